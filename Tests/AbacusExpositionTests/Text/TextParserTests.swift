import Testing

@testable import AbacusExposition

@Suite("Text 0.0.4 parser")
struct TextParserTests {
    static let example = """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000

        # Escaping in label values:
        msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

        # Minimalistic line:
        metric_without_timestamp_and_labels 12.47

        # A weird metric from before the epoch:
        something_weird{problem="division by zero"} +Inf -3982045

        # A histogram, which has a pretty complex representation in the text format:
        # HELP http_request_duration_seconds A histogram of the request duration.
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.05"} 24054
        http_request_duration_seconds_bucket{le="0.1"} 33444
        http_request_duration_seconds_bucket{le="0.2"} 100392
        http_request_duration_seconds_bucket{le="0.5"} 129389
        http_request_duration_seconds_bucket{le="1"} 133988
        http_request_duration_seconds_bucket{le="+Inf"} 144320
        http_request_duration_seconds_sum 53423
        http_request_duration_seconds_count 144320

        # Finally a summary, which has a complex representation, too:
        # HELP rpc_duration_seconds A summary of the RPC duration in seconds.
        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{quantile="0.01"} 3102
        rpc_duration_seconds{quantile="0.05"} 3272
        rpc_duration_seconds{quantile="0.5"} 4773
        rpc_duration_seconds{quantile="0.9"} 9001
        rpc_duration_seconds{quantile="0.99"} 76656
        rpc_duration_seconds_sum 1.7560473e+07
        rpc_duration_seconds_count 2693

        """

    @Test func parsesTheFormatDocumentationExample() throws {
        let families = try TextParser.parse(Array(Self.example.utf8))
        #expect(
            families.map(\.name) == [
                "http_requests_total", "msdos_file_access_time_seconds", "metric_without_timestamp_and_labels",
                "something_weird", "http_request_duration_seconds", "rpc_duration_seconds",
            ])
        #expect(
            families[0]
                == MetricFamily(
                    name: "http_requests_total", type: .counter, help: "The total number of HTTP requests.",
                    metrics: [
                        Metric(
                            labels: [Label("method", "post"), Label("code", "200")],
                            value: .counter(CounterValue(1027)),
                            timestampMs: 1395066363000),
                        Metric(
                            labels: [Label("method", "post"), Label("code", "400")], value: .counter(CounterValue(3)),
                            timestampMs: 1395066363000),
                    ]))
        #expect(
            families[1].metrics[0].labels == [
                Label("path", "C:\\DIR\\FILE.TXT"), Label("error", "Cannot find file:\n\"FILE.TXT\""),
            ])
        #expect(families[1].type == .untyped)
        #expect(families[1].metrics[0].value == .untyped(1458255915))
        #expect(
            families[3].metrics[0]
                == Metric(
                    labels: [Label("problem", "division by zero")],
                    value: .untyped(.infinity), timestampMs: -3982045))
        #expect(
            families[4].metrics == [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.05, cumulativeCount: 24054),
                                Bucket(upperBound: 0.1, cumulativeCount: 33444),
                                Bucket(upperBound: 0.2, cumulativeCount: 100392),
                                Bucket(upperBound: 0.5, cumulativeCount: 129389),
                                Bucket(upperBound: 1, cumulativeCount: 133988),
                                Bucket(upperBound: .infinity, cumulativeCount: 144320),
                            ], count: 144320, sum: 53423)))
            ])
        #expect(
            families[5].metrics == [
                Metric(
                    value: .summary(
                        SummaryValue(
                            quantiles: [
                                Quantile(quantile: 0.01, value: 3102), Quantile(quantile: 0.05, value: 3272),
                                Quantile(quantile: 0.5, value: 4773), Quantile(quantile: 0.9, value: 9001),
                                Quantile(quantile: 0.99, value: 76656),
                            ], count: 2693, sum: 17560473)))
            ])
    }

    @Test func acceptsWhatPrometheusAccepts() throws {
        let input = """
            # a comment, then HELP and TYPE in either order
            # TYPE a gauge
            # HELP a Help with \\\\ and \\n escapes.
            a{x="1",} 1
            a { y = "2" , z="3" } 2\t123
            a{x="\\"quoted\\" and unicode ☃"}\t3
            #TYPE is an ordinary comment here
            b 4  
            c{} 5
            # HELP d
            d -0.5e-3

            """
        let families = try TextParser.parse(Array(input.utf8))
        #expect(families.count == 4)
        #expect(families[0].help == "Help with \\ and \n escapes.")
        #expect(
            families[0].metrics.map(\.labels) == [
                [Label("x", "1")], [Label("y", "2"), Label("z", "3")], [Label("x", "\"quoted\" and unicode ☃")],
            ])
        #expect(families[0].metrics[1].timestampMs == 123)
        #expect(families[1] == MetricFamily(name: "b", type: .untyped, metrics: [Metric(value: .untyped(4))]))
        #expect(families[2].metrics[0].labels.isEmpty)
        #expect(families[3].help == "")
        #expect(families[3].metrics[0].value == .untyped(-0.0005))
    }

    @Test func pythonCreatedSamplesBecomeTheirOwnFamily() throws {
        let input = """
            # HELP jobs_total Jobs.
            # TYPE jobs_total counter
            jobs_total 3.0
            jobs_created 1.7e+09

            """
        let families = try TextParser.parse(Array(input.utf8))
        #expect(families.map(\.name) == ["jobs_total", "jobs_created"])
        #expect(families[1].type == .untyped)
    }

    @Test func emptyInputAndMetadataOnlyFamilies() throws {
        #expect(try TextParser.parse([]).isEmpty)
        let families = try TextParser.parse(Array("# HELP a x\n# TYPE a counter\n".utf8))
        #expect(families == [MetricFamily(name: "a", type: .counter, help: "x")])
    }

    @Test func histogramSeriesMayInterleaveTheirSumCountAndBuckets() throws {
        let input = """
            # TYPE h histogram
            h_sum{a="1"} 3
            h_bucket{a="1",le="1"} 1
            h_bucket{le="+Inf",a="1"} 2
            h_count{a="1"} 2
            h_bucket{a="2",le="+Inf"} 0

            """
        let families = try TextParser.parse(Array(input.utf8))
        #expect(families[0].metrics.count == 2)
        #expect(
            families[0].metrics[0].value
                == .histogram(
                    HistogramValue(
                        buckets: [
                            Bucket(upperBound: 1, cumulativeCount: 1),
                            Bucket(upperBound: .infinity, cumulativeCount: 2),
                        ],
                        count: 2, sum: 3)))
    }

    /// Text 0.0.4 may leave the +Inf bucket out (client libraries and Prometheus' expfmt treat
    /// the _count as +Inf); it is added, so every histogram has one after parsing.
    @Test func aMissingInfBucketIsTheCount() throws {
        let input = """
            # TYPE h histogram
            h_bucket{le="1"} 1
            h_bucket{le="2"} 2
            h_sum 4
            h_count 3
            # TYPE o histogram
            o_sum 1
            o_count 2

            """
        let families = try TextParser.parse(Array(input.utf8))
        #expect(
            families[0].metrics[0].value
                == .histogram(
                    HistogramValue(
                        buckets: [
                            Bucket(upperBound: 1, cumulativeCount: 1), Bucket(upperBound: 2, cumulativeCount: 2),
                            Bucket(upperBound: .infinity, cumulativeCount: 3),
                        ],
                        count: 3, sum: 4)))
        #expect(
            families[1].metrics[0].value
                == .histogram(
                    HistogramValue(buckets: [Bucket(upperBound: .infinity, cumulativeCount: 2)], count: 2, sum: 1)))
        #expect(
            TextEncoder.encode(families)
                == Array(
                    """
                    # TYPE h histogram
                    h_bucket{le="1"} 1
                    h_bucket{le="2"} 2
                    h_bucket{le="+Inf"} 3
                    h_sum 4
                    h_count 3
                    # TYPE o histogram
                    o_bucket{le="+Inf"} 2
                    o_sum 1
                    o_count 2

                    """.utf8))
        // A _count below a written bucket is inconsistent: refused.
        #expect(
            throws: ExpositionError(
                line: 2, "histogram h bucket counts must be cumulative: le=\"+Inf\" has 1, less than the 2 of le=\"1\"")
        ) {
            try TextParser.parse(Array("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_count 1\n".utf8))
        }
    }

    @Test func streamingGivesTheSameResultForEverySplit() throws {
        let bytes = Array(Self.example.utf8)
        let whole = try TextParser.parse(bytes)
        for split in stride(from: 0, through: bytes.count, by: 7) {
            var parser = TextParser()
            var families = try parser.feed(bytes[..<split])
            families += try parser.feed(bytes[split...])
            families += try parser.finish()
            #expect(families == whole, "split at \(split)")
        }
        var parser = TextParser()
        var families: [MetricFamily] = []
        for byte in bytes { families += try parser.feed(CollectionOfOne(byte)) }
        families += try parser.finish()
        #expect(families == whole)
    }

    @Test func streamingHandsOutFamiliesAsTheyComplete() throws {
        var parser = TextParser()
        #expect(try parser.feed(Array("a 1\nb 2\n".utf8)).map(\.name) == ["a"])
        #expect(try parser.feed(Array("c 3".utf8)).isEmpty)  // b ends only when c's line is complete
        #expect(throws: ExpositionError(line: 3, "the last line does not end with a line feed (\\n)")) {
            try parser.finish()
        }
    }

    @Test(
        arguments: [
            ("a 1", 1, "the last line does not end with a line feed (\\n)"),
            ("a 1\r\n", 1, "line ends with CR LF; the text format separates lines with a line feed (\\n) only"),
            ("a{b=\"\\x\"} 1\n", 1, "invalid escape \\x in the value of label b (only \\\\, \\\" and \\n are allowed)"),
            ("# HELP a bad \\t escape\n", 1, "invalid escape \\t in HELP text (only \\\\ and \\n are allowed)"),
            ("# HELP a ends in \\\n", 1, "HELP text ends with a lone backslash"),
            ("a abc\n", 1, "invalid value \"abc\" for a (expected a float, +Inf, -Inf or NaN)"),
            ("a 1e400\n", 1, "invalid value \"1e400\" for a (expected a float, +Inf, -Inf or NaN)"),
            ("a 0x1p3\n", 1, "invalid value \"0x1p3\" for a (expected a float, +Inf, -Inf or NaN)"),
            ("a\n", 1, "sample a has no value"),
            ("a{b=\"1\"}\n", 1, "sample a has no value"),
            ("a 1 12.5\n", 1, "invalid timestamp \"12.5\" for a (expected integer milliseconds)"),
            ("a 1 12 extra\n", 1, "unexpected \"extra\" after the timestamp of a"),
            ("a 1\nb 1\na{x=\"1\"} 2\n", 3, "samples of a are split apart: all lines of a family must be together"),
            ("a 1\na 2\n", 2, "duplicate series a"),
            ("a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", 2, "duplicate series a{y=\"2\",x=\"1\"}"),
            ("a 1\n# TYPE a gauge\n", 2, "HELP or TYPE line for a after its samples; metadata must come first"),
            ("a 1\n# HELP a late\n", 2, "HELP or TYPE line for a after its samples; metadata must come first"),
            (
                "a 1\nb 2\n# TYPE a gauge\n", 3,
                "metadata for a after its samples ended: all lines of a family must be together"
            ),
            ("# TYPE a gauge\n# TYPE a counter\n", 2, "second TYPE line for a"),
            ("# HELP a x\n# HELP a y\n", 2, "second HELP line for a"),
            (
                "# TYPE a gaugehistogram\n", 1,
                "unknown metric type \"gaugehistogram\" for a (expected counter, gauge, histogram, summary or untyped)"
            ),
            (
                "# TYPE a Counter\n", 1,
                "unknown metric type \"Counter\" for a (expected counter, gauge, histogram, summary or untyped)"
            ),
            ("# TYPE a counter extra\n", 1, "unexpected text after the TYPE of a"),
            ("# TYPE\n", 1, "TYPE line without a valid metric name"),
            ("# HELP 1a x\n", 1, "HELP line without a valid metric name"),
            ("a{b=\"1\" 1\n", 1, "expected , or } after the value of label b in a, found \"1\""),
            ("a{b=\"1\"\n", 1, "label set of a is not closed with }"),
            ("a{b=\"unterminated} 1\n", 1, "value of label b in a is not terminated by a quote"),
            ("a{b 1\n", 1, "expected = after label name b in a"),
            ("a{b=1} 1\n", 1, "value of label b in a must be in double quotes"),
            ("a{1b=\"x\"} 1\n", 1, "invalid label name starting with \"1\" in a"),
            ("a{b=\"1\",b=\"2\"} 1\n", 1, "duplicate label name b in a"),
            (
                "a{__name__=\"x\"} 1\n", 1,
                "label name __name__ in a is reserved (names starting with __ are for Prometheus)"
            ),
            ("a-b 1\n", 1, "invalid character \"-\" in metric name a"),
            ("1a 1\n", 1, "expected a metric name or a # comment, found \"1\""),
            ("# TYPE h histogram\nh_bucket 1\n", 2, "histogram bucket h_bucket has no le label"),
            ("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", 2, "invalid le \"x\" in h_bucket"),
            ("# TYPE h histogram\nh 1\n", 2, "histogram h has a sample without a _bucket, _sum or _count suffix"),
            ("# TYPE h histogram\nh_sum{le=\"1\"} 1\n", 2, "h_sum must not have a label named le"),
            ("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_sum 2\n", 4, "duplicate series h_sum"),
            ("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n", 2, "histogram h has no +Inf bucket"),
            (
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n", 2,
                "histogram h bucket counts must be cumulative: le=\"+Inf\" has 1, less than the 2 of le=\"1\""
            ),
            (
                "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n", 2,
                "histogram h bucket bounds must increase: le=\"1\" follows le=\"2\""
            ),
            (
                "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n", 2,
                "histogram h _count is 3 but its +Inf bucket counts 2"
            ),
            (
                "# TYPE h histogram\nh_bucket{le=\"+Inf\"} -1\n", 2,
                "histogram h bucket le=\"+Inf\" has count -1, counts must be non-negative"
            ),
            ("# TYPE h histogram\nh_sum 1\n", 2, "histogram h has no buckets (a +Inf bucket is required)"),
            (
                "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1 10\nh_count 1 20\n", 3,
                "samples of one histogram series of h carry different timestamps"
            ),
            (
                "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nx 1\nh_count 1\n", 4,
                "samples of histogram h are split apart: all lines of a family must be together"
            ),
            ("# TYPE s summary\ns 1\n", 2, "summary s has a sample without a quantile label"),
            ("# TYPE s summary\ns{quantile=\"a\"} 1\n", 2, "invalid quantile \"a\" in s"),
            ("# TYPE s summary\ns{quantile=\"1.5\"} 1\n", 2, "summary s has quantile 1.5, outside [0, 1]"),
            (
                "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.5\"} 2\n", 2,
                "summary s lists quantile 0.5 twice"
            ),
            ("# TYPE s summary\ns_count{quantile=\"0.5\"} 1\n", 2, "s_count must not have a label named quantile"),
            ("# TYPE s summary\ns_count -1\n", 2, "summary s count must be non-negative, got -1"),
        ] as [(String, Int, String)])
    func rejects(input: String, line: Int, message: String) {
        #expect(throws: ExpositionError(line: line, message)) { try TextParser.parse(Array(input.utf8)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: ExpositionError(line: 1, "value of label b in a is not valid UTF-8")) {
            try TextParser.parse(Array("a{b=\"".utf8) + [0xFF] + Array("\"} 1\n".utf8))
        }
        #expect(throws: ExpositionError(line: 1, "HELP text is not valid UTF-8")) {
            try TextParser.parse(Array("# HELP a ".utf8) + [0xC3] + Array("\n".utf8))
        }
    }

    @Test func lintingReportsEveryProblemWithItsLine() {
        let input = "a 1\na 2\nb{ 1\nc abc\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nd 1"
        let result = TextParser.problems(in: Array(input.utf8))
        #expect(
            result.problems.map(\.description) == [
                "line 2: duplicate series a",
                "line 3: invalid label name starting with \"1\" in b",
                "line 4: invalid value \"abc\" for c (expected a float, +Inf, -Inf or NaN)",
                "line 6: histogram h has no +Inf bucket",
                "line 7: the last line does not end with a line feed (\\n)",
            ])
    }
}

@Suite("Text 0.0.4 parser on hostile input")
struct TextParserHostileInputTests {
    @Test func manyLabelsStayLinear() throws {
        let names = (0..<50_000).map { "l\($0)=\"v\"" }.joined(separator: ",")
        let families = try TextParser.parse(Array("a{\(names)} 1\n".utf8))
        #expect(families[0].metrics[0].labels.count == 50_000)
        #expect(throws: ExpositionError(line: 1, "duplicate label name l7 in a")) {
            try TextParser.parse(Array("a{\(names),l7=\"x\"} 1\n".utf8))
        }
    }

    @Test func hugeLabelValueIsFine() throws {
        let value = String(repeating: "x", count: 1 << 20)
        let families = try TextParser.parse(Array("a{v=\"\(value)\"} 1\n".utf8))
        #expect(families[0].metrics[0].labels[0].value.utf8.count == 1 << 20)
    }
}
