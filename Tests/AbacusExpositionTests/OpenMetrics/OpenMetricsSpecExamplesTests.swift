import AbacusExposition
import Foundation
import Testing

/// The examples of the OpenMetrics 1.0 specification (section "Text format"), each completed
/// with `# EOF`.
@Suite struct OpenMetricsSpecExamplesTests {
    static let examples: [String] = [
        // Overall structure: a complete exposition (TYPE, UNIT, HELP order).
        """
        # TYPE acme_http_router_request_seconds summary
        # UNIT acme_http_router_request_seconds seconds
        # HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
        acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
        acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
        acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
        acme_http_router_request_seconds_sum{path="/api/v2",method="POST"} 479.3
        acme_http_router_request_seconds_count{path="/api/v2",method="POST"} 34.0
        acme_http_router_request_seconds_created{path="/api/v2",method="POST"} 1605281325.0
        # TYPE go_goroutines gauge
        # HELP go_goroutines Number of goroutines that currently exist.
        go_goroutines 69
        # TYPE process_cpu_seconds counter
        # UNIT process_cpu_seconds seconds
        # HELP process_cpu_seconds Total user and system CPU time spent in seconds.
        process_cpu_seconds_total 4.20072246e+06
        """,
        "# TYPE foo_seconds counter\n# UNIT foo_seconds seconds",
        "# TYPE foo_seconds counter",
        "# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\n# HELP foo_seconds Some text and \\n some \\\" escaping",
        "bar_seconds_count 0",
        "bar_seconds_count{} 0",
        "bar_seconds_count{a=\"x\",b=\"escaping\\\" example \\n \"} 0",
        // Gauge.
        "# TYPE foo gauge\nfoo 17.0",
        "# TYPE foo gauge\nfoo{a=\"bb\"} 17.0\nfoo{a=\"ccc\"} 17.0",
        "# TYPE foo gauge",
        "# TYPE foo gauge\nfoo{a=\"b\"} 17.0 1520879607.789",
        "# TYPE foo gauge\nfoo 17.0 1520879607.789",
        // Counter.
        "# TYPE foo counter\nfoo_total 17.0",
        "# TYPE foo counter\nfoo_total 17.0 1520879607.789",
        "# TYPE foo counter\nfoo_total 17.0\nfoo_created 1520430000.123",
        "# TYPE foo counter\nfoo_total 17.0 1520879607.789\nfoo_created 1520430000.123 1520879607.789",
        // StateSet.
        "# TYPE foo stateset\nfoo{foo=\"a\"} 0\nfoo{foo=\"bb\"} 1\nfoo{foo=\"ccc\"} 0",
        """
        # TYPE foo stateset
        foo{entity="controller",foo="a"} 1.0
        foo{entity="controller",foo="bb"} 0.0
        foo{entity="controller",foo="ccc"} 0.0
        foo{entity="replica",foo="a"} 1.0
        foo{entity="replica",foo="bb"} 0.0
        foo{entity="replica",foo="ccc"} 1.0
        """,
        // Info.
        "# TYPE foo info\nfoo_info{name=\"pretty name\",version=\"8.2.7\"} 1",
        """
        # TYPE foo info
        foo_info{entity="controller",name="pretty name",version="8.2.7"} 1.0
        foo_info{entity="replica",name="prettier name",version="8.1.9"} 1.0
        """,
        // Summary.
        "# TYPE foo summary\nfoo_count 17.0\nfoo_sum 324789.3\nfoo_created 1520430000.123",
        "# TYPE foo summary\nfoo{quantile=\"0.95\"} 123.7\nfoo{quantile=\"0.99\"} 150.0",
        // Histogram.
        """
        # TYPE foo histogram
        foo_bucket{le="0.0"} 0
        foo_bucket{le="1e-05"} 0
        foo_bucket{le="0.0001"} 5
        foo_bucket{le="0.1"} 8
        foo_bucket{le="1.0"} 10
        foo_bucket{le="10.0"} 11
        foo_bucket{le="100000.0"} 11
        foo_bucket{le="1e+06"} 15
        foo_bucket{le="1e+23"} 16
        foo_bucket{le="1.1e+23"} 17
        foo_bucket{le="+Inf"} 17
        foo_count 17
        foo_sum 324789.3
        foo_created 1520430000.123
        """,
        // Exemplars. (The specification's copy has two spaces after foo_created, which its own
        // ABNF forbids; see the rejection test.)
        """
        # TYPE foo histogram
        foo_bucket{le="0.01"} 0
        foo_bucket{le="0.1"} 8 # {} 0.054
        foo_bucket{le="1"} 11 # {trace_id="KOO5S4vxi0o"} 0.67
        foo_bucket{le="10"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
        foo_bucket{le="+Inf"} 17
        foo_count 17
        foo_sum 324789.3
        foo_created 1520430000.123
        """,
        // GaugeHistogram.
        """
        # TYPE foo gaugehistogram
        foo_bucket{le="0.01"} 20.0
        foo_bucket{le="0.1"} 25.0
        foo_bucket{le="1"} 34.0
        foo_bucket{le="10"} 34.0
        foo_bucket{le="+Inf"} 42.0
        foo_gcount 42.0
        foo_gsum 3289.3
        """,
        // Unknown.
        "# TYPE foo unknown\nfoo 42.23",
        // Target metadata.
        """
        # TYPE target info
        # HELP target Target metadata
        target_info{env="prod",hostname="myhost",datacenter="sdc",region="europe",owner="frontend"} 1
        """,
    ]

    @Test(arguments: examples)
    func parses(example: String) throws {
        let families = try OpenMetricsParser.parse(Array((example + "\n# EOF\n").utf8))
        #expect(!families.isEmpty)
        // What we parse, we write and read back the same.
        #expect(try OpenMetricsParser.parse(OpenMetricsEncoder.encode(families)) == families)
    }

    @Test func completeExpositionMapsToTheModel() throws {
        let families = try OpenMetricsParser.parse(Array((Self.examples[0] + "\n# EOF\n").utf8))
        #expect(
            families.map(\.name) == ["acme_http_router_request_seconds", "go_goroutines", "process_cpu_seconds_total"])
        #expect(families.map(\.type) == [.summary, .gauge, .counter])
        #expect(families[0].unit == "seconds")
        #expect(families[0].help == "Latency though all of ACME's HTTP request router.")
        #expect(
            families[0].metrics[0]
                == Metric(
                    labels: [Label("path", "/api/v1"), Label("method", "GET")],
                    value: .summary(
                        SummaryValue(
                            quantiles: [], count: 807283, sum: 9036.32,
                            created: 1605281325))))
        #expect(families[2].metrics == [Metric(value: .counter(CounterValue(4.20072246e+06)))])
    }

    @Test func exemplarsTimestampsAndInfoMapToTheModel() throws {
        let histogram = try OpenMetricsParser.parse(Array((Self.examples[23] + "\n# EOF\n").utf8))
        guard case let .histogram(h) = histogram[0].metrics[0].value else { Issue.record("not a histogram"); return }
        #expect(h.buckets.map(\.upperBound) == [0.01, 0.1, 1, 10, .infinity])
        #expect(h.buckets[1].exemplar == Exemplar(labels: [], value: 0.054))
        #expect(
            h.buckets[3].exemplar
                == Exemplar(labels: [Label("trace_id", "oHg5SJYRHA0")], value: 9.8, timestamp: 1520879607.789))
        #expect(h.count == 17 && h.sum == 324789.3 && h.created == 1520430000.123)

        let gauge = try OpenMetricsParser.parse(Array("# TYPE foo gauge\nfoo 17.0 1520879607.789\n# EOF\n".utf8))
        #expect(gauge[0].metrics == [Metric(value: .gauge(17), timestampMs: 1_520_879_607_789)])

        let info = try OpenMetricsParser.parse(Array((Self.examples[26] + "\n# EOF").utf8))
        #expect(
            info == [
                MetricFamily(
                    name: "target", type: .info, help: "Target metadata",
                    metrics: [
                        Metric(
                            labels: [
                                Label("env", "prod"), Label("hostname", "myhost"), Label("datacenter", "sdc"),
                                Label("region", "europe"), Label("owner", "frontend"),
                            ], value: .info)
                    ])
            ])

        let stateset = try OpenMetricsParser.parse(Array((Self.examples[17] + "\n# EOF\n").utf8))
        #expect(stateset[0].metrics.map(\.labels) == [[Label("entity", "controller")], [Label("entity", "replica")]])
        #expect(
            stateset[0].metrics[1].value
                == .stateSet([State("a", isSet: true), State("bb", isSet: false), State("ccc", isSet: true)]))
    }

    @Test func metadataEscapesAndEmptyValues() throws {
        let families = try OpenMetricsParser.parse(Array((Self.examples[3] + "\n# EOF\n").utf8))
        #expect(
            families == [
                MetricFamily(
                    name: "foo_seconds_total", type: .counter, help: "Some text and \n some \" escaping",
                    unit: "seconds")
            ])
        let empty = try OpenMetricsParser.parse(Array("# TYPE a gauge\n# HELP a \n# UNIT a \na 1\n# EOF\n".utf8))
        #expect(empty == [MetricFamily(name: "a", type: .gauge, metrics: [Metric(value: .gauge(1))])])
        let labels = try OpenMetricsParser.parse(Array((Self.examples[6] + "\n# EOF\n").utf8))
        #expect(labels[0].metrics[0].labels == [Label("a", "x"), Label("b", "escaping\" example \n ")])
        #expect(labels[0].type == .untyped)
    }

    /// Spec examples this parser refuses, and why.
    @Test func refusedExamples() {
        // Two spaces before the value: the ABNF allows exactly one.
        #expect(throws: ExpositionError.self) {
            try OpenMetricsParser.parse(
                Array(
                    "# TYPE foo histogram\nfoo_bucket{le=\"+Inf\"} 17\nfoo_count 17\nfoo_sum 1\nfoo_created  1520430000.123\n# EOF\n"
                        .utf8))
        }
        // Several MetricPoints per metric: valid OpenMetrics, but the model holds one per series.
        #expect(throws: ExpositionError.self) {
            try OpenMetricsParser.parse(Array("# TYPE foo gauge\nfoo 17.0 123\nfoo 18.0 456\n# EOF\n".utf8))
        }
    }

    @Test func eofWithoutFinalLineFeedIsAccepted() throws {
        #expect(try OpenMetricsParser.parse(Array("a 1\n# EOF".utf8)).count == 1)
        #expect(try OpenMetricsParser.parse(Array("# EOF".utf8)).isEmpty)
        #expect(try OpenMetricsParser.parse(Array("# EOF\n".utf8)).isEmpty)
    }

    @Test func nonCanonicalNumbersAreAccepted() throws {
        let text =
            "# TYPE h histogram\nh_bucket{le=\"1.1e-4\"} 0\nh_bucket{le=\"0042\"} 1\nh_bucket{le=\"+Inf\"} 2\n# TYPE s summary\ns{quantile=\"5e-1\"} 1\n# EOF\n"
        let families = try OpenMetricsParser.parse(Array(text.utf8))
        guard case let .histogram(h) = families[0].metrics[0].value else { Issue.record("not a histogram"); return }
        #expect(h.buckets.map(\.upperBound) == [1.1e-4, 42, .infinity])
        #expect(families[1].metrics[0].value == .summary(SummaryValue(quantiles: [Quantile(quantile: 0.5, value: 1)])))
    }
}

/// Writes the fuzz seed corpus (`Fuzz/corpus/openmetrics/`) when `ABACUS_WRITE_FUZZ_CORPUS=1`:
/// the specification's examples and generated expositions.
@Suite struct OpenMetricsFuzzCorpus {
    @Test func writeSeedCorpus() throws {
        guard ProcessInfo.processInfo.environment["ABACUS_WRITE_FUZZ_CORPUS"] == "1" else { return }
        let directory = TestFiles.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/openmetrics")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (k, example) in OpenMetricsSpecExamplesTests.examples.enumerated() {
            try Data((example + "\n# EOF\n").utf8).write(to: directory.appendingPathComponent("spec-\(k).om"))
        }
        var generator = FamilyGenerator(seed: 2024)
        for k in 0..<24 {
            let families = generator.families(
                count: 3, types: Set(MetricType.allCases), exemplars: true, timestamps: true,
                units: true, created: true)
            try Data(OpenMetricsEncoder.encode(families)).write(
                to: directory.appendingPathComponent("generated-\(k).om"))
        }
    }
}
