/// Number spellings specific to OpenMetrics: canonical `le`/`quantile` label values and
/// timestamps in seconds carried as whole milliseconds.
enum OpenMetricsNumbers {
    /// Appends `value` the way the OpenMetrics "Canonical Numbers" section wants `le` and
    /// `quantile` label values: Go's shortest `%g` rendering with `.0` appended when it has
    /// neither a decimal point nor an exponent (`1.0`, `0.0`, `1e-05`, `1e+06`, `+Inf`).
    static func appendCanonical(_ value: Double, to buffer: inout [UInt8]) {
        let start = buffer.count
        NumberFormatting.append(value, to: &buffer)
        if !value.isFinite { return }
        for b in buffer[start...] where b == UInt8(ascii: ".") || b == UInt8(ascii: "e") { return }
        buffer.append(UInt8(ascii: "."))
        buffer.append(UInt8(ascii: "0"))
    }

    /// Appends a timestamp in seconds (an exemplar's) with the shortest digits that read back
    /// exactly, in plain notation (`1700000123.125`, not `1.700000123125e+09`): the
    /// specification asks timestamps not to use exponents, and Python's prometheus_client
    /// misreads exponent forms. Magnitudes beyond 10²¹ or below 10⁻²⁰ keep Go's exponent form.
    static func appendPlainSeconds(_ value: Double, to buffer: inout [UInt8]) {
        guard value.isFinite, value != 0 else {
            NumberFormatting.append(value, to: &buffer)
            return
        }
        let (digits, count, point) = NumberFormatting.shortestDigits(value.magnitude)
        guard point <= 21, point >= -20 else {
            NumberFormatting.append(value, to: &buffer)
            return
        }
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var text: [UInt8] = []
        NumberFormatting.appendInteger(Int64(digits), to: &text)  // ≤ 17 digits
        if point <= 0 {
            buffer.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: ".")])
            buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -point))
            buffer.append(contentsOf: text)
        } else if point >= count {
            buffer.append(contentsOf: text)
            buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: point - count))
        } else {
            text.insert(UInt8(ascii: "."), at: point)
            buffer.append(contentsOf: text)
        }
    }

    /// Appends a millisecond timestamp as exact decimal seconds: `1520879607.789`, `-0.001`,
    /// `12` — never in exponent form, so every `Int64` survives a round trip.
    static func appendTimestamp(milliseconds ms: Int64, to buffer: inout [UInt8]) {
        if ms < 0 { buffer.append(UInt8(ascii: "-")) }
        let magnitude = ms.magnitude
        let seconds = magnitude / 1000
        var fraction = magnitude % 1000
        NumberFormatting.appendInteger(Int64(seconds), to: &buffer)  // ≤ Int64.max / 1000 + 1: fits
        if fraction == 0 { return }
        buffer.append(UInt8(ascii: "."))
        var divisor: UInt64 = 100
        while fraction > 0 {
            buffer.append(UInt8(truncatingIfNeeded: fraction / divisor) &+ 0x30)
            fraction %= divisor
            divisor /= 10
        }
    }

    /// Reads a timestamp in seconds (OpenMetrics `realnumber`: no NaN, no infinities) and
    /// converts it to milliseconds, rounding half away from zero. Plain decimals are converted
    /// exactly; exponent forms go through `Double`. `nil` for bad syntax or a value outside
    /// the `Int64` millisecond range.
    static func parseTimestampMilliseconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let seconds = FloatParsing.parse(bytes), seconds.isFinite else { return nil }
        if let exact = exactMilliseconds(bytes) { return exact }
        let ms = (seconds * 1000).rounded(.toNearestOrAwayFromZero)
        guard ms >= -9.223372036854775e18, ms <= 9.223372036854775e18 else { return nil }
        return Int64(ms)
    }

    /// `[sign] digits [. digits]` converted without floating point; `nil` when the text has an
    /// exponent, is not plain decimal, or overflows.
    private static func exactMilliseconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = bytes.count
        var negative = false
        if i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var whole: UInt64 = 0
        while i < n, bytes[i] != UInt8(ascii: ".") {
            let d = bytes[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            whole = s
            i += 1
        }
        var fraction: UInt64 = 0
        var roundUp = false
        if i < n {
            i += 1  // the point
            var place = 0
            while i < n {
                let d = bytes[i] &- 0x30
                guard d < 10 else { return nil }
                if place < 3 {
                    fraction = fraction * 10 + UInt64(d)
                } else if place == 3 {
                    roundUp = d >= 5
                }
                place += 1
                i += 1
            }
            for _ in min(place, 3)..<3 { fraction *= 10 }
        }
        let (m, o1) = whole.multipliedReportingOverflow(by: 1000)
        let (s1, o2) = m.addingReportingOverflow(fraction)
        let (total, o3) = s1.addingReportingOverflow(roundUp ? 1 : 0)
        if o1 || o2 || o3 { return nil }
        if negative {
            if total > UInt64(Int64.max) + 1 { return nil }
            return total == UInt64(Int64.max) + 1 ? Int64.min : -Int64(total)
        }
        return total > UInt64(Int64.max) ? nil : Int64(total)
    }
}
