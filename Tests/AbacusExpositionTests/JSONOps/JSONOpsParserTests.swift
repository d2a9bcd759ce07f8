import Testing

@testable import AbacusExposition

@Suite("JSONOps: strict JSON parser")
struct JSONOpsParserTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    func parse(bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try JSONValue.parse(bytes)
    }

    @Test("accepts every kind of value")
    func acceptsValues() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("\tfalse\r\n") == .bool(false))
        #expect(try parse("0") == .number(0))
        #expect(try parse("-0") == .number(-0.0))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([]))
        #expect(
            try parse(#"[1,"a",{"b":[null]}]"#)
                == .array([.number(1), .string("a"), .object([.init(name: "b", value: .array([.null]))])]))
        #expect(
            try parse(#"{"a":1,"a":2}"#)
                == .object([.init(name: "a", value: .number(1)), .init(name: "a", value: .number(2))]))
    }

    @Test(
        "numbers: grammar and correctly rounded values",
        arguments: [
            ("1", 1.0), ("-1", -1.0), ("1.5", 1.5), ("0.1", 0.1), ("1e2", 100), ("1E+2", 100), ("1e-2", 0.01),
            ("123456789012345678901234567890", 123456789012345678901234567890.0),
            ("0.30000000000000004", 0.30000000000000004),
            ("2.2250738585072014e-308", 2.2250738585072014e-308), ("5e-324", 5e-324),
            ("1.7976931348623157e308", 1.7976931348623157e308),
            ("9007199254740993", 9007199254740992), ("0.000001", 0.000001), ("1e-400", 0), ("-0.0", -0.0),
            ("12345678901234567890e-10", 1234567890.123456789), ("0.00000000000000000000000001", 1e-26),
        ])
    func numbers(text: String, expected: Double) throws {
        #expect(try parse(text) == .number(expected))
    }

    @Test(
        "rejects malformed numbers",
        arguments: [
            "01", "-01", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-", "--1", "0x10", "1_000", "NaN", "Infinity",
            "-Infinity",
            "1e400", "-1e400", "1.5.2", "1ee2", "٣",
        ])
    func malformedNumbers(text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test("strings: every escape, surrogate pairs, raw UTF-8")
    func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == .string("a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti"))
        #expect(try parse(#""\u0041\u00e9\u20AC\uD83D\uDE00""#) == .string("Aé€😀"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse("\"héllo €😀\"") == .string("héllo €😀"))
        #expect(try parse(#""{}[],:""#) == .string("{}[],:"))
        #expect(try parse(#""""#) == .string(""))
    }

    @Test(
        "rejects malformed strings",
        arguments: [
            #""abc"#, #""\x""#, #""\u12""#, #""\u12G4""#, #""\uD83D""#, #""\uD83Dx""#, #""\uD83D\u0041""#,
            #""\uDE00""#, "\"a\nb\"", "\"a\tb\"", "\"\u{1}\"", "'a'",
        ])
    func malformedStrings(text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test(
        "rejects invalid UTF-8",
        arguments: [
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],  // invalid lead
            [0x22, 0x80, 0x22],  // lone continuation
            [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
            [0x22, 0xFF, 0x22],
            [0xEF, 0xBB, 0xBF, 0x31],  // byte order mark
        ] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONSyntaxError.self) { try parse(bytes: bytes) }
    }

    @Test(
        "rejects malformed structure",
        arguments: [
            "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\" 1}", "{a:1}", "{'a':1}",
            "[1 2]", "{\"a\":1 \"b\":2}", "tru", "truex", "nul", "[true false]", "1 2", "{} {}", "[] x", "// c\n1",
            "[1]]", "{\"a\":1}}", "\u{0C}1",
        ])
    func malformedStructure(text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test("limits nesting depth")
    func depth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try parse(ok) != .null)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try parse(hostile) }
    }

    @Test("an incomplete input is reported as end of input only when more may come")
    func endOfInput() throws {
        let bytes = Array(#"{"a":12"#.utf8)
        bytes.withUnsafeBytes { raw in
            var streaming = JSONCursor(raw, isComplete: false)
            #expect(throws: JSONSyntaxError(kind: .endOfInput, offset: 7, message: "unexpected end of input")) {
                try streaming.skipValue(depth: 0, maxDepth: 8)
            }
            var complete = JSONCursor(raw, isComplete: true)
            #expect(throws: JSONSyntaxError(kind: .invalid, offset: 7, message: "unexpected end of input")) {
                try complete.skipValue(depth: 0, maxDepth: 8)
            }
        }
    }
}
