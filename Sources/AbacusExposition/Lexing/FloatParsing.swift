/// Reads sample values with the syntax Prometheus accepts (Go's `strconv.ParseFloat` without hex
/// floats or underscores): `[+-]digits[.digits][e[+-]digits]`, `.5`, `5.`, `Inf`/`Infinity` with
/// an optional sign and `NaN`, case-insensitively. A finite literal too large for a `Double` is
/// rejected, as Prometheus does.
///
/// Values with up to 15 significant digits and a small exponent are converted exactly without
/// allocating; the rest go through the standard library's correctly rounded conversion.
public enum FloatParsing {
    /// Parses `bytes`; `nil` when they are not a number in the accepted syntax.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = bytes.count
        if n == 0 { return nil }
        var i = 0
        var negative = false
        let first = bytes[0]
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            i = 1
            if n == 1 { return nil }
        }
        let c = bytes[i] | 0x20  // ASCII lower case
        if c == UInt8(ascii: "i") {
            if matchesIgnoringCase(bytes, from: i, "inf") || matchesIgnoringCase(bytes, from: i, "infinity") {
                return negative ? -.infinity : .infinity
            }
            return nil
        }
        if c == UInt8(ascii: "n") {
            if i == 0 && matchesIgnoringCase(bytes, from: 0, "nan") { return .nan }
            return nil
        }
        var mantissa: UInt64 = 0
        var significant = 0  // significant digits accumulated in `mantissa`
        var dropped = 0  // integer digits that did not fit in `mantissa`
        var fractionDigits = 0
        var sawDigit = false
        while i < n, bytes[i] &- 0x30 < 10 {
            sawDigit = true
            accumulate(bytes[i], &mantissa, &significant, &dropped)
            i += 1
        }
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, bytes[i] &- 0x30 < 10 {
                sawDigit = true
                // More than 19 significant digits: leave it to the correctly rounded slow path.
                if significant >= 19 { return slowParse(bytes) }
                let d = UInt64(bytes[i] &- 0x30)
                if significant > 0 || d != 0 {
                    mantissa = mantissa &* 10 &+ d
                    significant += 1
                }
                fractionDigits += 1
                i += 1
            }
        }
        if !sawDigit { return nil }
        var exponent = 0
        if i < n, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var sawExpDigit = false
            while i < n, bytes[i] &- 0x30 < 10 {
                sawExpDigit = true
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[i] &- 0x30) }
                i += 1
            }
            if !sawExpDigit { return nil }
            if expNegative { exponent = -exponent }
        }
        if i != n { return nil }
        let scale = exponent + dropped - fractionDigits
        // Exact fast path (Clinger): mantissa fits in 53 bits and 10^|scale| is exact.
        if dropped == 0, mantissa <= 1 << 53, scale >= -22, scale <= 22 {
            var value = Double(mantissa)
            if scale < 0 {
                value /= NumberFormatting.powersOfTen[-scale]
            } else if scale > 0 {
                value *= NumberFormatting.powersOfTen[scale]
            }
            return negative ? -value : value
        }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        return slowParse(bytes)
    }

    /// Parses a `String` (convenience for non-hot paths).
    public static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    @inline(__always)
    static func accumulate(_ byte: UInt8, _ mantissa: inout UInt64, _ significant: inout Int, _ dropped: inout Int) {
        let d = UInt64(byte &- 0x30)
        if significant == 0 && d == 0 { return }  // leading zeros
        if significant < 19 {
            mantissa = mantissa &* 10 &+ d
            significant += 1
        } else {
            dropped += 1
        }
    }

    /// The syntax has been checked; the standard library converts with correct rounding.
    static func slowParse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        // Re-validate the syntax for the paths that jump here early.
        guard isDecimalSyntax(bytes) else { return nil }
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else { return nil }
        if value.isInfinite { return nil }  // a finite literal out of range
        return value
    }

    static func isDecimalSyntax(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < n, bytes[i] &- 0x30 < 10 { i += 1; digits += 1 }
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, bytes[i] &- 0x30 < 10 { i += 1; digits += 1 }
        }
        if digits == 0 { return false }
        if i < n, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            var expDigits = 0
            while i < n, bytes[i] &- 0x30 < 10 { i += 1; expDigits += 1 }
            if expDigits == 0 { return false }
        }
        return i == n
    }

    static func matchesIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ word: StaticString) -> Bool
    {
        guard bytes.count - start == word.utf8CodeUnitCount else { return false }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for k in 0..<w.count where bytes[start + k] | 0x20 != w[k] { return false }
        return true
    }

    /// Parses a decimal `Int64` with an optional sign (timestamps); `nil` on bad syntax or overflow.
    public static func parseInt64(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = bytes.count
        var i = 0
        var negative = false
        if n > 0, bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        if i == n { return nil }
        var magnitude: UInt64 = 0
        while i < n {
            let d = bytes[i] &- 0x30
            if d >= 10 { return nil }
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            magnitude = m2
            i += 1
        }
        if negative {
            if magnitude > UInt64(Int64.max) + 1 { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        if magnitude > UInt64(Int64.max) { return nil }
        return Int64(magnitude)
    }
}
