import AbacusTesting
import Testing

@testable import AbacusExposition

@Suite("Pushgateway grouping key")
struct GroupingKeyTests {
    static func key(_ job: String, _ labels: [(String, String)] = []) throws -> GroupingKey {
        try GroupingKey(job: job, labels: labels.map { Label($0.0, $0.1) })
    }

    @Test(
        arguments: [
            ("job/backup", [("job", "backup")]),
            ("job/backup/instance/db1", [("instance", "db1"), ("job", "backup")]),
            // The Pushgateway README's examples.
            ("job/directory_cleaner/path@base64/L3Zhci90bXA=", [("job", "directory_cleaner"), ("path", "/var/tmp")]),
            ("job/directory_cleaner/path@base64/L3Zhci90bXA", [("job", "directory_cleaner"), ("path", "/var/tmp")]),
            (
                "job@base64/ZGlyZWN0b3J5X2NsZWFuZXI/path@base64/L3Zhci90bXA",
                [("job", "directory_cleaner"), ("path", "/var/tmp")]
            ),
            // An empty value is no label: not part of the key.
            ("job/example/first_label@base64/=", [("job", "example")]),
            // What Python's client sends: quote_plus for plain values (Go keeps the +), base64 for spaces.
            ("job/my+job/label@base64/dmFsdWUgd2l0aCBzcGFjZXM=", [("job", "my+job"), ("label", "value with spaces")]),
            ("job/a%26b/x/caf%C3%A9", [("job", "a&b"), ("x", "café")]),
        ] as [(String, [(String, String)])])
    func parses(path: String, labels: [(String, String)]) throws {
        #expect(try GroupingKey.parse(path: path).labels == labels.map { Label($0.0, $0.1) })
    }

    @Test func aLabelWithAnEmptyValueIsNoLabelButClearsTheBodyLabel() throws {
        let key = try GroupingKey.parse(path: "job/example/first_label@base64/=/second_label/foobar")
        #expect(try key == GroupingKey.parse(path: "job/example/second_label/foobar"))
        #expect(try key.hashValue == GroupingKey.parse(path: "job/example/second_label/foobar").hashValue)
        #expect(key.labels == [Label("job", "example"), Label("second_label", "foobar")])
        #expect(key.emptyLabelNames == ["first_label"])
        #expect(
            key.pushedLabels == [Label("first_label", ""), Label("job", "example"), Label("second_label", "foobar")])
        // What a client sends keeps the empty label; the group's path does not.
        #expect(key.path == "job/example/first_label@base64/=/second_label/foobar")
        #expect(key.groupPath == "job/example/second_label/foobar")
        #expect(try GroupingKey.parse(path: key.path).emptyLabelNames == ["first_label"])
        let built = try GroupingKey(job: "example", labels: [Label("a", ""), Label("b", "1")])
        #expect(built.groupPath == "job/example/b/1")
        // Repeats are refused whether the value is empty or not.
        #expect(throws: GroupingKeyError("label a appears twice in the grouping key")) {
            try GroupingKey.parse(path: "job/x/a@base64/=/a/1")
        }
        #expect(throws: GroupingKeyError("label a appears twice in the grouping key")) {
            try GroupingKey.parse(path: "job/x/a/1/a@base64/=")
        }
    }

    @Test func orderInThePathDoesNotMatter() throws {
        #expect(try GroupingKey.parse(path: "job/a/x/1/y/2") == GroupingKey.parse(path: "job/a/y/2/x/1"))
        #expect(try GroupingKey.parse(path: "job/a/x/1") != GroupingKey.parse(path: "job/a/x/2"))
    }

    @Test(arguments: [
        ("", "the grouping key must start with job/<JOB NAME>"),
        ("job", "the grouping key must start with job/<JOB NAME>"),
        ("instance/x", "the grouping key must start with job/<JOB NAME>, not instance"),
        ("job/a/instance", "label instance has no value"),
        ("job/a/instance/", "label instance has an empty value; write it as instance@base64/="),
        ("job/a/", "the grouping key ends with /; write an empty label value as <LABEL>@base64/="),
        ("job//x/1", "label job has an empty value; write it as job@base64/="),
        ("job/a/x//y/1", "label x has an empty value; write it as x@base64/="),
        ("job@base64/=", "the job name must not be empty"),
        ("job/a/1x/v", "\"1x\" is not a valid label name (UTF-8 names are not enabled)"),
        ("job/a/__x/v", "label name __x is reserved (names starting with __ are for Prometheus)"),
        ("job/a/x/1/x/2", "label x appears twice in the grouping key"),
        ("job/a/job/b", "label job appears twice in the grouping key"),
        ("job/a/x@base64/a+b=", "the value of x@base64 is not URL-safe base64"),
        ("job/a/x@base64/A", "the value of x@base64 is not URL-safe base64"),
        ("job/a/x@base64/QQ=", "the value of x@base64 is not URL-safe base64"),
        ("job/a/x@base64/QR==", "the value of x@base64 is not URL-safe base64"),
        ("job/a/x@base64/_w", "the value of x@base64 is not UTF-8 text"),
        ("job/a/x/%zz", "bad percent-encoding in the value of label x"),
        ("job/a/x/%C3", "the value of label x is not UTF-8 text"),
    ])
    func rejects(path: String, message: String) {
        #expect(throws: GroupingKeyError(message)) { try GroupingKey.parse(path: path) }
    }

    @Test func writesPlainValuesPlainlyAndTheRestInBase64() throws {
        let key = try Self.key(
            "backup", [("instance", "db 1"), ("path", "/var/tmp"), ("empty", ""), ("zone", "eu-1.a_b~")])
        #expect(
            key.path == "job/backup/empty@base64/=/instance@base64/ZGIgMQ==/path@base64/L3Zhci90bXA=/zone/eu-1.a_b~")
        #expect(try Self.key("a+b").path == "job@base64/YSti")
        #expect(key.groupPath == "job/backup/instance@base64/ZGIgMQ==/path@base64/L3Zhci90bXA=/zone/eu-1.a_b~")
        #expect(key.description == "{instance=\"db 1\",job=\"backup\",path=\"/var/tmp\",zone=\"eu-1.a_b~\"}")
        #expect(key.job == "backup")
        #expect(key["instance"] == "db 1")
    }

    @Test func initRejectsWhatParseRejects() {
        #expect(throws: GroupingKeyError("the job name must not be empty")) { try Self.key("") }
        #expect(throws: GroupingKeyError("label job appears twice in the grouping key")) {
            try Self.key("a", [("job", "b")])
        }
        #expect(throws: GroupingKeyError("label x appears twice in the grouping key")) {
            try Self.key("a", [("x", "1"), ("x", "2")])
        }
    }

    /// parse(key.path) == key for keys with every awkward value: `/`, spaces, `+`, `%`, `=`,
    /// unicode, empty, and every base64 padding length.
    @Test func pathRoundTrips() throws {
        var rng = SplitMix64(seed: 0x6b65_79)
        let pieces = [
            "/", " ", "+", "%", "=", "é", "日本", "🚀", "a", "Z", "0", "-", ".", "_", "~", "?", "#", "&", "\\", "\"",
        ]
        for _ in 0..<2000 {
            func value() -> String {
                (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            }
            var job = value()
            if job.isEmpty { job = "j" }
            let names = ["instance", "path", "x", "zone", "_y1"].shuffled(using: &rng).prefix(
                Int.random(in: 0...4, using: &rng))
            let key = try GroupingKey(job: job, labels: names.map { Label($0, value()) })
            let parsed = try GroupingKey.parse(path: key.path)
            #expect(parsed == key, "\(key.path)")
        }
    }

    @Test func base64MatchesTheRFCTestVectors() {
        // RFC 4648 §10, which uses no characters where the two alphabets differ.
        for (plain, encoded) in [
            ("", "="), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ] {
            var out: [UInt8] = []
            Base64URL.encode(Array(plain.utf8), into: &out)
            #expect(String(decoding: out, as: UTF8.self) == encoded)
            #expect(Base64URL.decode(ArraySlice(encoded.utf8)) == Array(plain.utf8))
        }
        #expect(Base64URL.decode(ArraySlice("-_8".utf8)) == [0xFB, 0xFF])
    }
}
