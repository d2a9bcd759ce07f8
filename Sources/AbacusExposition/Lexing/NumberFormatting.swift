/// Formats sample values the way Prometheus' own Go code does (`strconv.AppendFloat(f, 'g', -1, 64)`
/// behind `expfmt`): the shortest digits that read back as the same `Double`, in plain notation for
/// decimal exponents −4 through 5 and in `1.5e+06` notation otherwise; `+Inf`, `-Inf` and `NaN`
/// spelled exactly; both zeros written `0`.
///
/// Integral values and values with few decimals take a fast path with no allocation.
public enum NumberFormatting {
    /// Appends the formatted value to `buffer`.
    @inlinable
    public static func append(_ value: Double, to buffer: inout [UInt8]) {
        if value == 0 { buffer.append(UInt8(ascii: "0")); return }
        if value.isNaN { buffer.append(contentsOf: [0x4E, 0x61, 0x4E]); return }  // NaN
        if value.isInfinite {
            buffer.append(contentsOf: value < 0 ? [0x2D, 0x49, 0x6E, 0x66] : [0x2B, 0x49, 0x6E, 0x66])
            return
        }
        // Fast path: small integers, which most counters and bucket counts are.
        if value == value.rounded(.towardZero), value.magnitude < 1_000_000 {
            appendInteger(Int64(value), to: &buffer)
            return
        }
        appendSlow(value, to: &buffer)
    }

    /// The formatted value as a `String`.
    public static func string(_ value: Double) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(24)
        append(value, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Appends a decimal integer.
    @inlinable
    public static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
            appendUnsigned(value.magnitude, to: &buffer)
        } else {
            appendUnsigned(UInt64(value), to: &buffer)
        }
    }

    @inlinable
    static func appendUnsigned(_ value: UInt64, to buffer: inout [UInt8]) {
        if value < 10 { buffer.append(UInt8(truncatingIfNeeded: value) &+ 0x30); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { tmp in
            var v = value
            var i = 20
            while v > 0 {
                i -= 1
                tmp[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: tmp[i..<20]))
        }
    }

    @usableFromInline
    static func appendSlow(_ value: Double, to buffer: inout [UInt8]) {
        let negative = value < 0
        let (digits, count, point) = shortestDigits(value.magnitude)
        if negative { buffer.append(UInt8(ascii: "-")) }
        layOut(digits: digits, count: count, point: point, into: &buffer)
    }

    /// Shortest round-trip decimal digits of a positive finite `x`: `x ≈ 0.d₁d₂…dₙ × 10^point`,
    /// digits given as an integer with `count` digits, no trailing zeros.
    static func shortestDigits(_ x: Double) -> (digits: UInt64, count: Int, point: Int) {
        // Exact integers below 2^53: their own digits are the shortest form.
        if x < 9_007_199_254_740_992, x == x.rounded(.towardZero) {
            var m = UInt64(x)
            var count = decimalLength(m)
            let point = count
            while m % 10 == 0 { m /= 10; count -= 1 }
            return (m, count, point)
        }
        // Few decimals: the first k for which round(x·10^k)/10^k reads back as x gives the
        // shortest digits. Limited to 15 significant digits, where this is always exact.
        if x >= 1e-7, x < 1e15 {
            for k in 1...15 {
                let p = powersOfTen[k]
                let m = (x * p).rounded()
                if m >= 1e15 { break }
                if m / p == x {
                    var digits = UInt64(m)
                    var count = decimalLength(digits)
                    while digits % 10 == 0 { digits /= 10; count -= 1 }
                    return (digits, count, decimalLength(UInt64(m)) - k)
                }
            }
        }
        return digitsFromDescription(x)
    }

    /// Falls back to the standard library's shortest round-trip printing and reads its digits.
    static func digitsFromDescription(_ x: Double) -> (digits: UInt64, count: Int, point: Int) {
        var digits: UInt64 = 0
        var count = 0
        var point = 0
        var seenPoint = false
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        var leading = true
        for byte in x.description.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let d = UInt64(byte &- 0x30)
                if inExponent {
                    exponent = exponent * 10 + Int(d)
                } else if leading && d == 0 {
                    if seenPoint { point -= 1 }
                } else {
                    leading = false
                    digits = digits * 10 + d
                    count += 1
                    if !seenPoint { point += 1 }
                }
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-"): if inExponent { exponentSign = -1 }
            default: break
            }
        }
        while count > 1 && digits % 10 == 0 { digits /= 10; count -= 1 }
        return (digits, count, point + exponentSign * exponent)
    }

    /// Go's `%g` layout for shortest digits: exponent form when the decimal exponent is below −4
    /// or at least 6.
    static func layOut(digits: UInt64, count: Int, point: Int, into buffer: inout [UInt8]) {
        // At most 17 significant digits; written into a stack buffer, no allocation.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { text in
            var d = digits
            for i in stride(from: count - 1, through: 0, by: -1) {
                text[i] = UInt8(truncatingIfNeeded: d % 10) &+ 0x30
                d /= 10
            }
            let all = UnsafeBufferPointer(rebasing: text[0..<count])
            let exponent = point - 1
            if exponent < -4 || exponent >= 6 {
                buffer.append(text[0])
                if count > 1 {
                    buffer.append(UInt8(ascii: "."))
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[1..<count]))
                }
                buffer.append(UInt8(ascii: "e"))
                buffer.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                let e = exponent.magnitude
                if e < 10 { buffer.append(UInt8(ascii: "0")) }
                appendUnsigned(UInt64(e), to: &buffer)
            } else if point <= 0 {
                buffer.append(UInt8(ascii: "0"))
                buffer.append(UInt8(ascii: "."))
                for _ in 0..<(-point) { buffer.append(UInt8(ascii: "0")) }
                buffer.append(contentsOf: all)
            } else if count <= point {
                buffer.append(contentsOf: all)
                for _ in 0..<(point - count) { buffer.append(UInt8(ascii: "0")) }
            } else {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[0..<point]))
                buffer.append(UInt8(ascii: "."))
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[point..<count]))
            }
        }
    }

    static func decimalLength(_ value: UInt64) -> Int {
        var n = 1
        var v = value
        while v >= 10 { v /= 10; n += 1 }
        return n
    }

    /// 10^0 … 10^22, every one exactly representable as a `Double`.
    static let powersOfTen: [Double] = (0...22).map { k in
        var p = 1.0
        for _ in 0..<k { p *= 10 }
        return p
    }
}
