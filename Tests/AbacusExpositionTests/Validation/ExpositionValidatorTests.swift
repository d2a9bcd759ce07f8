import Testing

@testable import AbacusExposition

/// The rules reachable only through the model (protobuf, OpenMetrics, API users), each with its
/// message. The text parser's tests cover the rest through real input.
@Suite("Exposition validator")
struct ExpositionValidatorTests {
    static func gauge(_ labels: [Label], _ value: Double = 1) -> Metric { Metric(labels: labels, value: .gauge(value)) }

    @Test(
        arguments: [
            (
                MetricFamily(name: "1bad", type: .gauge, metrics: []),
                "invalid metric name \"1bad\" (UTF-8 names are not enabled)"
            ),
            (
                MetricFamily(name: "g", type: .gauge, metrics: [gauge([Label("a-b", "1")])]),
                "invalid label name \"a-b\" in g{\"a-b\"=\"1\"}"
            ),
            (
                MetricFamily(name: "g", type: .gauge, metrics: [gauge([Label("__x", "1")])]),
                "label name __x in g{__x=\"1\"} is reserved (names starting with __ are for Prometheus)"
            ),
            (
                MetricFamily(name: "g", type: .gauge, metrics: [gauge([Label("a", "1"), Label("a", "2")])]),
                "duplicate label name a in g{a=\"1\",a=\"2\"}"
            ),
            (
                MetricFamily(
                    name: "g", type: .gauge,
                    metrics: [gauge([Label("a", "1"), Label("b", "2")]), gauge([Label("b", "2"), Label("a", "1")])]),
                "duplicate series g{b=\"2\",a=\"1\"}"
            ),
            (
                MetricFamily(name: "g", type: .gauge, metrics: [Metric(value: .counter(CounterValue(1)))]),
                "g has a counter value in a family of type gauge"
            ),
            (
                MetricFamily(name: "g_bytes", type: .gauge, unit: "seconds", metrics: []),
                "metric g_bytes has unit seconds but its name does not end in _seconds"
            ),
            (
                MetricFamily(
                    name: "h", type: .histogram,
                    metrics: [
                        Metric(
                            labels: [Label("le", "1")],
                            value: .histogram(
                                HistogramValue(buckets: [Bucket(upperBound: .infinity, cumulativeCount: 1)])))
                    ]),
                "histogram h{le=\"1\"} has a label named le besides its buckets' (le is reserved)"
            ),
            (
                MetricFamily(
                    name: "h", type: .histogram,
                    metrics: [
                        Metric(
                            value: .histogram(
                                HistogramValue(buckets: [Bucket(upperBound: .nan, cumulativeCount: 1)])))
                    ]),
                "histogram h has a bucket with le=\"NaN\""
            ),
            (
                MetricFamily(
                    name: "s", type: .summary,
                    metrics: [
                        Metric(
                            labels: [Label("quantile", "x")],
                            value: .summary(
                                SummaryValue(quantiles: [])))
                    ]),
                "summary s{quantile=\"x\"} has a label named quantile besides its quantiles' (quantile is reserved)"
            ),
            (
                MetricFamily(
                    name: "door", type: .stateSet,
                    metrics: [Metric(value: .stateSet([State("a", isSet: true), State("a", isSet: false)]))]),
                "stateset door lists state a twice"
            ),
            (
                MetricFamily(
                    name: "door", type: .stateSet, metrics: [Metric(labels: [Label("door", "x")], value: .stateSet([]))]
                ),
                "stateset door{door=\"x\"} has a label named like the family, which is reserved for its states"
            ),
            (
                MetricFamily(
                    name: "c_total", type: .counter,
                    metrics: [
                        Metric(
                            value: .counter(
                                CounterValue(
                                    1,
                                    exemplar: Exemplar(
                                        labels: [Label("trace_id", String(repeating: "x", count: 121))], value: 1))))
                    ]),
                "exemplar labels on c_total are 129 code points long, more than the 128 allowed"
            ),
            (
                MetricFamily(
                    name: "c_total", type: .counter,
                    metrics: [
                        Metric(
                            value: .counter(
                                CounterValue(
                                    1,
                                    exemplar: Exemplar(
                                        labels: [Label("1x", "y")], value: 1))))
                    ]),
                "invalid exemplar label name \"1x\" on c_total"
            ),
        ] as [(MetricFamily, String)])
    func rejects(family: MetricFamily, message: String) {
        #expect(ExpositionValidator.problems(in: family) == [message])
        #expect(throws: ExpositionError(message)) { try ExpositionValidator.validate([family]) }
    }

    @Test func exemplarOf128CodePointsIsFine() throws {
        // 8 ("trace_id") + 120 "日" = 128 code points, 368 bytes: the limit counts code points.
        let family = MetricFamily(
            name: "c_total", type: .counter,
            metrics: [
                Metric(
                    value: .counter(
                        CounterValue(
                            1,
                            exemplar: Exemplar(
                                labels: [Label("trace_id", String(repeating: "日", count: 120))], value: 1))))
            ])
        try ExpositionValidator.validate([family])
    }

    @Test func familyTwiceIsRejected() {
        let family = MetricFamily(name: "g", type: .gauge)
        #expect(throws: ExpositionError("metric family g appears twice")) {
            try ExpositionValidator.validate([family, family])
        }
    }

    @Test func fingerprintCollisionsAreSettledByComparison() {
        // Many distinct label sets: none may be reported as duplicates, whatever their fingerprints.
        let metrics = (0..<5000).map { Self.gauge([Label("a", "\($0 % 71)"), Label("b", "\($0 / 71)")]) }
        #expect(ExpositionValidator.problems(in: MetricFamily(name: "g", type: .gauge, metrics: metrics)).isEmpty)
    }
}

@Suite("Exposition facade and linter")
struct ExpositionFacadeTests {
    @Test func detectsFormats() throws {
        let families = SampleFamilies.text
        #expect(Exposition.detectFormat(TextEncoder.encode(families)) == .text)
        #expect(Exposition.detectFormat(OpenMetricsEncoder.encode(families)) == .openMetrics)
        #expect(Exposition.detectFormat(ProtobufEncoder.encode(families)) == .protobuf)
        #expect(Exposition.detectFormat([]) == .text)
        #expect(Exposition.detectFormat(Array("# EOF\n".utf8)) == .openMetrics)
    }

    @Test func parsesAndEncodesEveryFormat() throws {
        for format in [ExpositionFormat.text, .openMetrics, .protobuf] {
            let bytes = Exposition.encode(SampleFamilies.text, format: format)
            #expect(try Exposition.parse(bytes, format: format) == SampleFamilies.text, "\(format)")
        }
        #expect(throws: ExpositionError("JSON can be written but not read as an exposition")) {
            try Exposition.parse(Array("[]".utf8), format: .json)
        }
    }

    @Test(
        arguments: [
            (nil, ExpositionFormat.text), ("text/plain", .text), ("text/plain; version=0.0.4; charset=utf-8", .text),
            ("application/openmetrics-text; version=1.0.0; charset=utf-8", .openMetrics),
            ("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", .protobuf),
            ("Application/Vnd.Google.Protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", .protobuf),
        ] as [(String?, ExpositionFormat)])
    func readsContentTypes(contentType: String?, format: ExpositionFormat) {
        #expect(Exposition.format(contentType: contentType) == format)
    }

    @Test(arguments: [
        "application/json", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text",
    ])
    func refusesOtherContentTypes(contentType: String) {
        #expect(Exposition.format(contentType: contentType) == nil)
    }

    @Test func contentTypesOfEveryFormatAreUnderstood() {
        for format in [ExpositionFormat.text, .openMetrics, .protobuf] {
            #expect(Exposition.format(contentType: format.contentType) == format)
        }
    }

    @Test func lintFindings() {
        let families = [
            MetricFamily(name: "requests", type: .counter, metrics: [Metric(value: .counter(CounterValue(-1)))]),
            MetricFamily(name: "temp_total", type: .gauge, help: "x"),
            MetricFamily(name: "untyped_total", type: .untyped, help: "x"),
            MetricFamily(name: "latency_milliseconds", type: .histogram, help: "x"),
            MetricFamily(name: "entropy_bits", type: .gauge, help: "x"),
            MetricFamily(name: "rule:rate", type: .gauge, help: "x"),
            MetricFamily(
                name: "queueDepth", type: .gauge, help: "x",
                metrics: [
                    Metric(labels: [Label("queueName", "a")], value: .gauge(1)),
                    Metric(labels: [Label("queueName", "b")], value: .gauge(2)),
                ]),
            // promlint's camelCase is a lower-case letter followed by an upper-case one.
            MetricFamily(name: "node_memory_Active_bytes", type: .gauge, help: "x"),
            MetricFamily(name: "jobs_counter_total", type: .counter, help: "x"),
            MetricFamily(name: "wait_gauge_histogram", type: .gauge, help: "x"),
            MetricFamily(
                name: "x_bucket", type: .gauge, help: "x",
                metrics: [Metric(labels: [Label("le", "1")], value: .gauge(1))]),
            MetricFamily(name: "y_sum", type: .counter, help: "x"),
            MetricFamily(name: "z_count", type: .untyped, help: "x"),
            MetricFamily(name: "latency_ms", type: .gauge, help: "x"),
            MetricFamily(name: "good_seconds_total", type: .counter, help: "Fine."),
        ].map { family in
            // One sample each: promtool (and so the linter) skips a family without samples.
            var family = family
            if family.metrics.isEmpty {
                let value: MetricValue =
                    switch family.type {
                    case .counter: .counter(CounterValue(1))
                    case .histogram:
                        .histogram(
                            HistogramValue(
                                buckets: [Bucket(upperBound: .infinity, cumulativeCount: 1)], count: 1, sum: 1))
                    case .untyped: .untyped(1)
                    default: .gauge(1)
                    }
                family.metrics = [Metric(value: value)]
            }
            return family
        }
        #expect(ExpositionLinter.lint([MetricFamily(name: "fooBar", type: .counter)]).isEmpty)
        #expect(
            ExpositionLinter.lint(families).map(\.description) == [
                "requests: no help text",
                "requests: counter metrics should have \"_total\" suffix",
                "temp_total: non-counter metrics should not have \"_total\" suffix",
                "latency_milliseconds: use base unit \"seconds\" instead of \"milliseconds\"",
                "entropy_bits: use base unit \"bytes\" instead of \"bits\"",
                "rule:rate: metric names should not contain ':'",
                "queueDepth: metric names should be written in 'snake_case' not 'camelCase'",
                "queueDepth: label names should be written in 'snake_case' not 'camelCase'",
                "jobs_counter_total: metric name should not include type 'counter'",
                "wait_gauge_histogram: metric name should not include type 'gauge'",
                "wait_gauge_histogram: metric name should not include type 'histogram'",
                "wait_gauge_histogram: metric name should not include type 'gauge_histogram'",
                "x_bucket: non-histogram metrics should not have \"_bucket\" suffix",
                "x_bucket: non-histogram metrics should not have \"le\" label",
                "y_sum: counter metrics should have \"_total\" suffix",
                "y_sum: non-histogram and non-summary metrics should not have \"_sum\" suffix",
                "latency_ms: metric names should not contain abbreviated units",
            ])
    }
}

@Suite("Format detection at the 4 KiB boundary")
struct FormatDetectionBoundaryTests {
    @Test(arguments: 4090...4097)
    func multibyteCharacterAcrossTheBoundaryIsStillText(prefix: Int) {
        // A label value of "x"s then "日" (3 bytes) placed so it straddles byte 4096.
        let line = "a{v=\"" + String(repeating: "x", count: prefix - 5) + "日日\"} 1\n"
        #expect(Exposition.detectFormat(Array((line + line).utf8)) == .text)
    }
}

@Suite("Text parser after an error")
struct TextParserAfterErrorTests {
    @Test func keepsThrowingTheFirstError() throws {
        var parser = TextParser()
        let first = ExpositionError(line: 1, "invalid value \"x\" for a (expected a float, +Inf, -Inf or NaN)")
        #expect(throws: first) { try parser.feed(Array("a x\n".utf8)) }
        #expect(throws: first) { try parser.feed(Array("b 1\n".utf8)) }
        #expect(throws: first) { try parser.finish() }
    }
}
