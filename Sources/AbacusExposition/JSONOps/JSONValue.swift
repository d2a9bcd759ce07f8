/// A parsed JSON value (RFC 8259), built by the strict reader in ``JSONCursor``.
///
/// Objects keep their members in document order, duplicates included (RFC 8259 leaves their
/// meaning open; callers decide). Numbers are `Double`; a number too large for a `Double` is
/// rejected rather than turned into infinity.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([Member])

    /// One member of an object.
    struct Member: Sendable, Equatable {
        var name: String
        var value: JSONValue
    }

    /// The default nesting limit of ``parse(_:maxDepth:)``.
    static let defaultMaxDepth = 64

    /// Parses exactly one JSON value, optionally surrounded by whitespace. O(input).
    static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONSyntaxError)
        -> JSONValue
    {
        let array = Array(bytes)
        let result = array.withUnsafeBytes { raw -> Result<JSONValue, JSONSyntaxError> in
            var cursor = JSONCursor(raw)
            do throws(JSONSyntaxError) {
                let value = try cursor.readValue(depth: 0, maxDepth: maxDepth)
                cursor.skipWhitespace()
                guard cursor.index == cursor.end else {
                    return .failure(
                        cursor.invalid("unexpected \(JSONCursor.describe(raw[cursor.index])) after the value"))
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension JSONCursor {
    /// Reads one value into a tree. O(size of the value).
    mutating func readValue(depth: Int, maxDepth: Int) throws(JSONSyntaxError) -> JSONValue {
        let b = try peekSignificant()
        switch b {
        case UInt8(ascii: "\""):
            return .string(string(of: try readString()))
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < maxDepth else { throw invalid("nested deeper than \(maxDepth) levels") }
            let isObject = b == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            var members: [JSONValue.Member] = []
            var elements: [JSONValue] = []
            if try peekSignificant() == close {
                index += 1
                return isObject ? .object([]) : .array([])
            }
            while true {
                if isObject {
                    guard try peekSignificant() == UInt8(ascii: "\"") else {
                        throw invalid("expected a member name in quotes, found \(JSONCursor.describe(base[index]))")
                    }
                    let name = string(of: try readString())
                    try expect(UInt8(ascii: ":"), "':'")
                    members.append(.init(name: name, value: try readValue(depth: depth + 1, maxDepth: maxDepth)))
                } else {
                    elements.append(try readValue(depth: depth + 1, maxDepth: maxDepth))
                }
                let next = try peekSignificant()
                if next == close {
                    index += 1
                    return isObject ? .object(members) : .array(elements)
                }
                guard next == UInt8(ascii: ",") else {
                    throw invalid(
                        "expected ',' or '\(Character(Unicode.Scalar(close)))', found \(JSONCursor.describe(next))")
                }
                index += 1
            }
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            let value = try readNumber()
            guard value.isFinite else { throw invalid("number out of range", at: start) }
            return .number(value)
        default:
            throw invalid("expected a value, found \(JSONCursor.describe(b))")
        }
    }
}
