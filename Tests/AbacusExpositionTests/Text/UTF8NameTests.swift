import AbacusTesting
import Foundation
import Testing

@testable import AbacusExposition

/// UTF-8 metric and label names, as Prometheus 3 writes and reads them in text (quoted names),
/// the escaping schemes for places and readers that take legacy names only, and content
/// negotiation with `escaping=allow-utf-8`.
@Suite("UTF-8 names: quoted in text, escaped for legacy readers")
struct UTF8NameTests {
    static let families = [
        MetricFamily(
            name: "http.requests_total", type: .counter, help: "Requests.",
            metrics: [
                Metric(labels: [Label("code", "200"), Label("route.name", "/a")], value: .counter(CounterValue(3))),
                Metric(labels: [Label("code", "500"), Label("route.name", "/b")], value: .counter(CounterValue(1))),
            ]),
        MetricFamily(
            name: "latency.seconds", type: .histogram,
            metrics: [
                Metric(
                    labels: [Label("zone→", "eu")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 1, cumulativeCount: 1),
                                Bucket(upperBound: .infinity, cumulativeCount: 2),
                            ],
                            count: 2, sum: 3)))
            ]),
        MetricFamily(
            name: "up", type: .gauge, metrics: [Metric(labels: [Label("cafe.é", "x")], value: .gauge(1))]),
    ]

    static let text = #"""
        # HELP "http.requests_total" Requests.
        # TYPE "http.requests_total" counter
        {"http.requests_total",code="200","route.name"="/a"} 3
        {"http.requests_total",code="500","route.name"="/b"} 1
        # TYPE "latency.seconds" histogram
        {"latency.seconds_bucket","zone→"="eu",le="1"} 1
        {"latency.seconds_bucket","zone→"="eu",le="+Inf"} 2
        {"latency.seconds_sum","zone→"="eu"} 3
        {"latency.seconds_count","zone→"="eu"} 2
        # TYPE up gauge
        up{"cafe.é"="x"} 1

        """#

    @Test func theTextEncoderQuotesUTF8NamesAndReadsThemBack() throws {
        #expect(String(decoding: TextEncoder.encode(Self.families), as: UTF8.self) == Self.text)
        #expect(try TextParser.parse(Array(Self.text.utf8), names: .utf8) == Self.families)
    }

    @Test func legacyNamesQuotedAreLegacyNames() throws {
        let parsed = try TextParser.parse(Array(#"{"up",job="a"} 1"#.utf8) + [0x0A])
        #expect(
            parsed == [
                MetricFamily(
                    name: "up", type: .untyped, metrics: [Metric(labels: [Label("job", "a")], value: .untyped(1))])
            ])
        let labels = try TextParser.parse(Array(#"x{"job"="a",b="c"} 2"#.utf8) + [0x0A])
        #expect(labels.first?.metrics.first?.labels == [Label("job", "a"), Label("b", "c")])
        #expect(try TextParser.parse(Array("# TYPE \"x\" gauge\nx 1\n".utf8)).first?.type == .gauge)
    }

    @Test(arguments: [
        (#"{"a.b"} 1"#, #"line 1: "a.b" is not a valid metric name (UTF-8 names are not enabled)"#),
        (#"x{"a.b"="1"} 1"#, #"line 1: "a.b" is not a valid label name (UTF-8 names are not enabled)"#),
        (#"# TYPE "a.b" gauge"#, #"line 1: "a.b" is not a valid metric name (UTF-8 names are not enabled)"#),
    ])
    func legacyValidationRefusesUTF8Names(line: String, message: String) {
        #expect(throws: ExpositionError.self) { try TextParser.parse(Array((line + "\n").utf8)) }
        do {
            _ = try TextParser.parse(Array((line + "\n").utf8))
        } catch {
            #expect("\(error)" == message)
        }
        #expect(throws: Never.self) { try TextParser.parse(Array((line + "\n").utf8), names: .utf8) }
    }

    @Test(arguments: [
        (#"{"a\"b"} 1"#, "line 1: a quoted name with an escape (\\) is not supported"),
        (#"{""} 1"#, "line 1: empty metric name"),
        (#"{"a.b" 1"#, "line 1: expected , or } after the metric name a.b"),
        (#"{a="1"} 1"#, "line 1: expected a quoted metric name after {, found \"a\""),
        (#"x{"__y"="1"} 1"#, "line 1: label name __y in x is reserved (names starting with __ are for Prometheus)"),
        (#"{"a.b" 1"# + "\"", "line 1: expected , or } after the metric name a.b"),
    ])
    func malformedQuotedNames(line: String, message: String) {
        do {
            _ = try TextParser.parse(Array((line + "\n").utf8), names: .utf8)
            Issue.record("accepted \(line)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func theValidatorFollowsTheScheme() throws {
        let family = Self.families[0]
        #expect(throws: ExpositionError.self) { try ExpositionValidator.validate([family]) }
        try ExpositionValidator.validate([family], names: .utf8)
        // Names that would need escapes inside quotes are refused under UTF-8 too.
        for name in ["a\"b", "a\\b", "a\nb", ""] {
            #expect(!NameRules.isValidMetricName(name, .utf8))
            #expect(!NameRules.isValidLabelName(name, .utf8))
        }
        #expect(NameRules.isValidMetricName("1.x→", .utf8))
    }

    @Test func protobufCarriesUTF8NamesAsTheyAre() throws {
        let bytes = ProtobufEncoder.encode(Self.families)
        #expect(throws: ExpositionError.self) { try ProtobufDecoder.decode(bytes) }
        #expect(try ProtobufDecoder.decode(bytes, names: .utf8) == Self.families)
    }

    // MARK: escaping schemes

    @Test(arguments: [
        ("foo.bar", "U__foo_2e_bar"),
        ("foo_bar", "foo_bar"),
        ("foo:bar", "foo:bar"),
        ("U__foo", "U__U____foo"),
        ("a b_c", "U__a_20_b__c"),
        ("😊", "U___1f60a_"),
        ("1x", "U___31_x"),
    ])
    func theValuesEscapingOfThePushgateway(name: String, escaped: String) {
        #expect(NameEscaping.escapeValues(name) == escaped)
        #expect(NameEscaping.unescapeValues(escaped) == name || escaped == name)
    }

    @Test func theValuesEscapingReadsThePushgatewaysExamples() {
        #expect(NameEscaping.unescapeValues("U__foo_2e_bar") == "foo.bar")
        #expect(NameEscaping.unescapeValues("U___55_____foo__2e__bar") == "U__foo_2e_bar")
        // Invalid sequences are left as they are.
        for name in ["U__in_xxx_valid", "U__a_2e", "U__a_", "U__a_1234567_", "U__a_d800_", "plain"] {
            #expect(NameEscaping.unescapeValues(name) == name, "\(name)")
        }
    }

    @Test func theValuesEscapingRoundTrips() {
        var random = SplitMix64(seed: 11)
        let alphabet = Array("ab_.:-U 1é→😊/")
        for _ in 0..<2000 {
            let length = Int.random(in: 1...12, using: &random)
            let name = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
            let escaped = NameEscaping.escapeValues(name)
            #expect(NameEscaping.unescapeValues(escaped) == name || escaped == name, "\(name) → \(escaped)")
            #expect(escaped.utf8.allSatisfy { NameRules.isMetricNameChar($0) }, "\(escaped)")
        }
    }

    @Test(arguments: [
        ("http.requests_total", true, "http_requests_total"),
        ("1st", true, "_st"),
        ("a:b", true, "a:b"),
        ("a:b", false, "a_b"),
        ("zone→", false, "zone_"),
        ("ok_name", false, "ok_name"),
    ])
    func theUnderscoresEscaping(name: String, metric: Bool, escaped: String) {
        #expect(NameEscaping.escapeUnderscores(name, metric: metric) == escaped)
    }

    // MARK: negotiation

    @Test(
        arguments: [
            (nil, ExpositionFormat.text, false),
            ("text/plain;version=0.0.4", .text, false),
            ("text/plain;version=0.0.4;escaping=allow-utf-8", .text, true),
            (
                "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.5",
                .openMetrics, true
            ),
            (
                "application/openmetrics-text;version=1.0.0;q=0.6,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.5",
                .openMetrics, false
            ),
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8",
                .protobuf, true
            ),
            ("text/plain;escaping=underscores", .text, false),
        ] as [(String?, ExpositionFormat, Bool)])
    func negotiation(accept: String?, format: ExpositionFormat, utf8: Bool) {
        let result = Negotiation.negotiate(accept: accept)
        #expect(result.format == format)
        #expect(result.utf8Names == utf8)
    }

    // MARK: grouping keys

    @Test func groupingKeysReadUEscapedLabelNamesWithUTF8() throws {
        let key = try GroupingKey.parse(path: "job/example/U__foo_2e_bar/baz", names: .utf8)
        #expect(key.labels == [Label("foo.bar", "baz"), Label("job", "example")])
        let base64 = try GroupingKey.parse(path: "job/example/U__foo_2e_bar@base64/YmF6", names: .utf8)
        #expect(base64 == key)
        // Legacy: the name is taken as written (a valid legacy name).
        #expect(try GroupingKey.parse(path: "job/example/U__foo_2e_bar/baz").labels.first?.name == "U__foo_2e_bar")
        // Written back escaped, so that Pushgateway 1.11 with the flag reads it.
        #expect(key.path == "job/example/U__foo_2e_bar/baz")
        #expect(try GroupingKey.parse(path: key.path, names: .utf8) == key)
        #expect(throws: GroupingKeyError.self) {
            try GroupingKey(job: "x", labels: [Label("foo.bar", "1")])
        }
        #expect(throws: GroupingKeyError("label name __x is reserved (names starting with __ are for Prometheus)")) {
            try GroupingKey.parse(path: "job/x/__x/1", names: .utf8)
        }
        // Found by the fuzzer: a key read with UTF-8 names writes a U__ name back escaped.
        let read = try GroupingKey.parse(path: "job/example/U___55_____x/1", names: .utf8)
        #expect(read.labels.first?.name == "U__x")
        #expect(read.path == "job/example/U__U____x/1")
        #expect(try GroupingKey.parse(path: read.path, names: .utf8) == read)
        // A legacy name that starts with U__ is kept apart from an escaped one in the group path.
        let literal = try GroupingKey(job: "x", labels: [Label("U__a", "1")])
        #expect(literal.path == "job/x/U__a/1")
        #expect(try GroupingKey.parse(path: literal.groupPath, names: .utf8) == literal)
    }
}
