/// Why a ``JSONCursor`` stopped: the input ended before the value did (more bytes may complete
/// it), or the bytes cannot be JSON whatever follows.
struct JSONSyntaxError: Error, Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// The input ended inside a value; a longer input may be valid.
        case endOfInput
        /// The input is not JSON (RFC 8259) at `offset`.
        case invalid
    }

    var kind: Kind
    /// Byte offset (in the cursor's buffer) of the offending byte, or of the end of input.
    var offset: Int
    /// What was wrong, for people.
    var message: String
}

/// A string token read by ``JSONCursor/readString(decode:)``: either the raw bytes between the
/// quotes (no escapes, already validated UTF-8) or the decoded bytes of a string with escapes.
enum JSONStringToken {
    case raw(Range<Int>)
    case decoded([UInt8])
}

/// A strict RFC 8259 reader over a buffer of bytes, used by the ops decoder (which reads known
/// fields directly, without building a tree) and by ``JSONValue``.
///
/// Strict means: no comments, no trailing commas, no leading zeros or `+` signs, no bare `.5`
/// or `1.`, no raw control characters or invalid UTF-8 (overlong forms, encoded surrogates,
/// code points above U+10FFFF) in strings, escaped surrogates only as valid pairs, and a
/// nesting limit. Every byte read is bounds-checked; the cursor never reads outside `end`.
///
/// When `isComplete` is false the input may continue in a later read, so running out of bytes
/// anywhere (even after the digits of a number) is reported as ``JSONSyntaxError/Kind/endOfInput``.
struct JSONCursor {
    let base: UnsafeRawBufferPointer
    let end: Int
    let isComplete: Bool
    var index: Int

    init(_ base: UnsafeRawBufferPointer, start: Int = 0, end: Int? = nil, isComplete: Bool = true) {
        self.base = base
        self.end = end ?? base.count
        self.isComplete = isComplete
        self.index = start
    }

    // MARK: Errors

    func invalid(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(kind: .invalid, offset: offset ?? index, message: message)
    }

    func truncated() -> JSONSyntaxError {
        if isComplete {
            return JSONSyntaxError(kind: .invalid, offset: end, message: "unexpected end of input")
        }
        return JSONSyntaxError(kind: .endOfInput, offset: end, message: "unexpected end of input")
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    // MARK: Basics

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < end, JSONCursor.isWhitespace(base[index]) { index += 1 }
    }

    /// The next non-whitespace byte, without consuming it.
    @inline(__always)
    mutating func peekSignificant() throws(JSONSyntaxError) -> UInt8 {
        skipWhitespace()
        guard index < end else { throw truncated() }
        return base[index]
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        let b = try peekSignificant()
        guard b == byte else { throw invalid("expected \(what), found \(JSONCursor.describe(b))") }
        index += 1
    }

    /// Consumes `true`, `false` or `null` whose first byte is at `index`.
    mutating func readLiteral(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        let start = word.utf8Start
        for i in 0..<count {
            guard index < end else { throw truncated() }
            guard base[index] == start[i] else {
                throw invalid("invalid literal, expected \(word)")
            }
            index += 1
        }
        try checkTokenEnd()
    }

    /// After a literal or number: the next byte must not continue the token (`truex`, `12a`).
    @inline(__always)
    mutating func checkTokenEnd() throws(JSONSyntaxError) {
        guard index < end else {
            if isComplete { return }
            throw truncated()
        }
        let b = base[index]
        if JSONCursor.isWhitespace(b) || b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
            return
        }
        throw invalid("unexpected \(JSONCursor.describe(b)) after a value")
    }

    // MARK: Strings

    /// Reads a string whose opening quote is at `index`. With `decode` false, escapes are
    /// validated but not decoded and the token is always `.raw` (use it to skip a string).
    mutating func readString(decode: Bool = true) throws(JSONSyntaxError) -> JSONStringToken {
        index += 1  // opening quote
        let start = index
        // Fast path: printable ASCII up to the closing quote, 8 bytes at a time while no byte
        // is a quote, a backslash, a control character or non-ASCII (SWAR bit tricks), then
        // byte by byte.
        if let pointer = base.baseAddress {
            var i = index
            let bytes = pointer.assumingMemoryBound(to: UInt8.self)
            while i + 8 <= end {
                let word = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let special =
                    (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                        | ((word &- ones &* 0x20) & ~word) | word) & highs
                if special == 0 {
                    i += 8
                    continue
                }
                // The lowest flagged byte is exact (borrows only run upwards).
                i += special.trailingZeroBitCount >> 3
                if bytes[i] == UInt8(ascii: "\"") {
                    index = i + 1
                    return .raw(start..<i)
                }
                break
            }
            while i < end {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    index = i + 1
                    return .raw(start..<i)
                }
                if b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { break }
                i += 1
            }
            index = i
        }
        var out: [UInt8] = []
        var escaped = false
        while true {
            guard index < end else { throw truncated() }
            let b = base[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                if escaped && decode { return .decoded(out) }
                return .raw(start..<(index - 1))
            }
            if b == UInt8(ascii: "\\") {
                if !escaped && decode {
                    out.reserveCapacity(index - start + 16)
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: base[start..<index]))
                }
                escaped = true
                try readEscape(into: &out, decode: decode)
            } else if b < 0x20 {
                throw invalid("raw control character \(JSONCursor.describe(b)) in a string (escape it)")
            } else if b < 0x80 {
                if escaped && decode { out.append(b) }
                index += 1
            } else {
                let from = index
                try skipUTF8Sequence(lead: b)
                if escaped && decode {
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: base[from..<index]))
                }
            }
        }
    }

    /// Validates one multi-byte UTF-8 sequence starting at `index` (lead byte `lead`).
    @inline(__always)
    mutating func skipUTF8Sequence(lead: UInt8) throws(JSONSyntaxError) {
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F  // no UTF-16 surrogates
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F  // nothing above U+10FFFF
        default: throw invalid("invalid UTF-8 lead \(JSONCursor.describe(lead)) in a string")
        }
        for i in 1..<length {
            guard index + i < end else { throw truncated() }
            let c = base[index + i]
            let (lo, hi) = i == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            guard c >= lo && c <= hi else {
                throw invalid("invalid UTF-8 sequence in a string", at: index + i)
            }
        }
        index += length
    }

    /// Reads the escape whose backslash is at `index`.
    mutating func readEscape(into out: inout [UInt8], decode: Bool) throws(JSONSyntaxError) {
        guard index + 1 < end else { index = end; throw truncated() }
        let e = base[index + 1]
        index += 2
        let simple: UInt8
        switch e {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard index + 1 < end else { index = end; throw truncated() }
                guard base[index] == UInt8(ascii: "\\"), base[index + 1] == UInt8(ascii: "u") else {
                    throw invalid("unpaired high surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                }
                index += 2
                let low = try readHex4()
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw invalid("high surrogate not followed by a low surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw invalid("unpaired low surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
            }
            if decode { JSONCursor.appendUTF8(scalar, to: &out) }
            return
        default:
            throw invalid("invalid escape \\\(Character(Unicode.Scalar(e)))", at: index - 1)
        }
        if decode { out.append(simple) }
    }

    mutating func readHex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < end else { throw truncated() }
            let b = base[index]
            guard let digit = hexDigitValue(b) else {
                throw invalid("invalid hex digit \(JSONCursor.describe(b)) in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// The bytes of a token, for reading without copying.
    @inline(__always)
    func withBytes<R>(of token: JSONStringToken, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch token {
        case .raw(let range): body(UnsafeRawBufferPointer(rebasing: base[range]))
        case .decoded(let bytes): bytes.withUnsafeBytes(body)
        }
    }

    /// The token as a `String`. The bytes are valid UTF-8 already; this initializer is the
    /// cheapest public way to build a (small, inline) string from them.
    func string(of token: JSONStringToken) -> String {
        withBytes(of: token) { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { target in
                UnsafeMutableRawBufferPointer(target).copyMemory(from: bytes)
                return bytes.count
            }
        }
    }
}
