/// RFC 3339 date-times, the `timestamp` of ops messages (what Go's `time.Time` reads and writes
/// in JSON): `2024-05-01T12:30:00Z`, `2024-05-01T12:30:00.123456789+02:00`. Pure arithmetic on
/// the proleptic Gregorian calendar; no locale, no time-zone database.
public enum RFC3339 {
    /// Unix nanoseconds of `text`, or `nil` when it is not an RFC 3339 date-time (`T` or `t`
    /// between date and time, `Z`, `z` or `±hh:mm` as offset, 1 to 9 fraction digits, seconds
    /// 00–60) or lies outside what 64-bit nanoseconds hold (1677-09-21 to 2262-04-11).
    public static func nanoseconds(_ text: some Collection<UInt8>) -> Int64? {
        let b = Array(text)
        guard b.count >= 20 else { return nil }
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var value = 0
            for i in at..<(at + n) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            b[7] == UInt8(ascii: "-"), let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
            b[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return nil }
        guard (1...2262).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month, year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100_000_000
            let first = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                guard i - first < 9 else { return nil }
                fraction += Int64(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > first else { return nil }
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let hours = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"),
                let minutes = digits(i + 4, 2), hours <= 23, minutes <= 59
            else { return nil }
            offsetSeconds = (hours * 60 + minutes) * 60 * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        return overflow2 ? nil : total
    }

    /// Whether `text` is Go's zero `time.Time` as `encoding/json` writes it
    /// (`0001-01-01T00:00:00Z`): what a Go client sends for a field it never set.
    public static func isGoZeroTime(_ text: some Collection<UInt8>) -> Bool {
        text.elementsEqual("0001-01-01T00:00:00Z".utf8)
    }

    /// `nanoseconds` as RFC 3339 in UTC with as many fraction digits as needed (none for a
    /// whole second), as Go's `time.Time` writes it: `2024-05-01T12:30:00.5Z`.
    public static func format(nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var out =
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(Int(rest / 3600), 2)):"
            + "\(pad(Int(rest / 60 % 60), 2)):\(pad(Int(rest % 60), 2))"
        if fraction > 0 {
            var digits = pad(Int(fraction), 9)
            while digits.hasSuffix("0") { digits.removeLast() }
            out += "." + digits
        }
        return out + "Z"
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
