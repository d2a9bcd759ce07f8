/// Writes JSON string literals, for the ops encoder and the prom2json-shaped exposition.
package enum JSONString {
    /// Appends `text` as a JSON string literal: `"` and `\` escaped, control characters as
    /// `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`. With `htmlSafe`, also `<`, `>`, `&`, U+2028 and
    /// U+2029 as `\u…`, as Go's `encoding/json` writes them (prom2json's output). Runs of bytes
    /// that need no escape are copied at once.
    package static func append(_ text: String, htmlSafe: Bool = false, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                let isLineSeparator =
                    htmlSafe && b == 0xE2 && i + 2 < bytes.count && bytes[i + 1] == 0x80
                    && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9)
                let isHTML = htmlSafe && (b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: "&"))
                guard b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || isHTML || isLineSeparator else {
                    i += 1
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                if isLineSeparator {
                    // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
                    out.append(contentsOf: "\\u202".utf8)
                    out.append(bytes[i + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                    i += 3
                    runStart = i
                    continue
                }
                switch b {
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, b])
                default:
                    let digits: StaticString = "0123456789abcdef"
                    out.append(contentsOf: [
                        0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        digits.utf8Start[Int(b >> 4)], digits.utf8Start[Int(b & 0xF)],
                    ])
                }
                i += 1
                runStart = i
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
