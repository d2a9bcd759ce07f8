extension JSONCursor {
    // MARK: Numbers

    /// Reads a number whose first byte (`-` or a digit) is at `index`. Out-of-range values
    /// become ±infinity (callers decide whether that is acceptable).
    mutating func readNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        var negative = false
        if base[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0  // significant digits accumulated in `mantissa`
        var dropped = 0  // integer digits not accumulated (beyond 19)
        var fractionDigits = 0
        var exact = true
        guard index < end else { throw truncated() }
        let first = base[index]
        if first == UInt8(ascii: "0") {
            index += 1
            if index < end, base[index] >= UInt8(ascii: "0") && base[index] <= UInt8(ascii: "9") {
                throw invalid("leading zero in a number")
            }
        } else if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
            while index < end, case let d = base[index] &- UInt8(ascii: "0"), d < 10 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    digits += 1
                } else {
                    dropped += 1
                    exact = false
                }
                index += 1
            }
        } else {
            throw invalid("expected a digit, found \(JSONCursor.describe(first))")
        }
        if index < end, base[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < end, case let d = base[index] &- UInt8(ascii: "0"), d < 10 {
                if digits < 19 {
                    if mantissa != 0 || d != 0 { digits += 1 }  // leading zeros only scale
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    fractionDigits += 1
                } else {
                    exact = false
                }
                index += 1
            }
            if index == fractionStart {
                guard index < end else { throw truncated() }
                throw invalid("expected a digit after the decimal point")
            }
        }
        var exponent = 0
        if index < end, base[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            guard index < end else { throw truncated() }
            var expNegative = false
            if base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") {
                expNegative = base[index] == UInt8(ascii: "-")
                index += 1
            }
            let expStart = index
            while index < end, case let d = base[index] &- UInt8(ascii: "0"), d < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(d) }
                index += 1
            }
            if index == expStart {
                guard index < end else { throw truncated() }
                throw invalid("expected a digit in the exponent")
            }
            if expNegative { exponent = -exponent }
        }
        try checkTokenEnd()
        // Clinger's fast path: an exact mantissa below 2^53 scaled by an exact power of ten.
        let scale = exponent - fractionDigits + dropped
        if exact && mantissa <= 1 << 53 && scale >= -22 && scale <= 22 {
            var value = Double(mantissa)
            if scale < 0 {
                value /= JSONCursor.powersOfTen[-scale]
            } else if scale > 0 {
                value *= JSONCursor.powersOfTen[scale]
            }
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: base[start..<index]), as: UTF8.self)
        guard let value = Double(text) else { throw invalid("unreadable number", at: start) }
        return value
    }

    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    // MARK: Skipping

    /// Validates and skips one value of any kind starting at the next significant byte.
    /// `depth` is the nesting of the value's container; beyond `maxDepth` it is rejected.
    mutating func skipValue(depth: Int, maxDepth: Int) throws(JSONSyntaxError) {
        let b = try peekSignificant()
        switch b {
        case UInt8(ascii: "\""):
            _ = try readString(decode: false)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < maxDepth else { throw invalid("nested deeper than \(maxDepth) levels") }
            let isObject = b == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            if try peekSignificant() == close {
                index += 1
                return
            }
            while true {
                if isObject {
                    guard try peekSignificant() == UInt8(ascii: "\"") else {
                        throw invalid("expected a member name in quotes, found \(JSONCursor.describe(base[index]))")
                    }
                    _ = try readString(decode: false)
                    try expect(UInt8(ascii: ":"), "':'")
                }
                try skipValue(depth: depth + 1, maxDepth: maxDepth)
                let next = try peekSignificant()
                index += 1
                if next == close { return }
                guard next == UInt8(ascii: ",") else {
                    index -= 1
                    throw invalid(
                        "expected ',' or '\(Character(Unicode.Scalar(close)))', found \(JSONCursor.describe(next))")
                }
            }
        case UInt8(ascii: "t"): try readLiteral("true")
        case UInt8(ascii: "f"): try readLiteral("false")
        case UInt8(ascii: "n"): try readLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber()
        default:
            throw invalid("expected a value, found \(JSONCursor.describe(b))")
        }
    }
}
