import Testing

@testable import AbacusExposition

@Suite("JSONOps: prom2json-shaped exposition")
struct JSONOpsExpositionTests {
    static let families: [MetricFamily] = [
        MetricFamily(
            name: "http_requests_total", type: .counter, help: "Requests <served> & \"counted\".",
            metrics: [
                Metric(labels: [Label("method", "get"), Label("code", "200")], value: .counter(CounterValue(1027))),
                Metric(
                    labels: [Label("method", "post"), Label("code", "400")], value: .counter(CounterValue(3)),
                    timestampMs: 1_395_066_363_000),
                Metric(labels: [Label("path", "a\\b\n\"c\"\u{2028}é")], value: .counter(CounterValue(1_063_110))),
            ]),
        MetricFamily(
            name: "temperature", type: .gauge,
            metrics: [
                Metric(value: .gauge(-0.5)),
                Metric(labels: [Label("room", "x")], value: .gauge(.nan)),
                Metric(labels: [Label("room", "y")], value: .gauge(.infinity)),
                Metric(labels: [Label("room", "z")], value: .gauge(1e-7)),
            ]),
        MetricFamily(name: "plain", type: .untyped, metrics: [Metric(value: .untyped(123456.789))]),
        MetricFamily(
            name: "rpc_duration_seconds", type: .histogram, help: "RPC latency.", unit: "seconds",
            metrics: [
                Metric(
                    labels: [Label("service", "a")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.05, cumulativeCount: 1),
                                Bucket(
                                    upperBound: 0.5, cumulativeCount: 2,
                                    exemplar: Exemplar(labels: [Label("trace_id", "abc")], value: 0.3)),
                                Bucket(upperBound: 2.5, cumulativeCount: 5),
                                Bucket(upperBound: 10, cumulativeCount: 7),
                                Bucket(upperBound: .infinity, cumulativeCount: 8),
                            ], count: 8, sum: 12.75))),
                Metric(labels: [Label("service", "b")], value: .histogram(HistogramValue(buckets: []))),
            ]),
        MetricFamily(
            name: "queue_size", type: .gaugeHistogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 1, cumulativeCount: 2),
                                Bucket(upperBound: .infinity, cumulativeCount: 3),
                            ], count: 3, sum: 4)))
            ]),
        MetricFamily(
            name: "rpc_latency", type: .summary, help: "Summary.",
            metrics: [
                Metric(
                    labels: [Label("service", "a")],
                    value: .summary(
                        SummaryValue(
                            quantiles: [
                                Quantile(quantile: 0.5, value: 6865.718), Quantile(quantile: 0.9, value: 23902.678),
                                Quantile(quantile: 0.99, value: 67542.292),
                            ], count: 743, sum: 6936936.447000001)))
            ]),
        MetricFamily(
            name: "build", type: .info, help: "Build facts.",
            metrics: [
                Metric(labels: [Label("version", "1.2.3"), Label("commit", "abc")], value: .info)
            ]),
        MetricFamily(
            name: "door", type: .stateSet,
            metrics: [
                Metric(
                    labels: [Label("site", "hq")],
                    value: .stateSet([State("open", isSet: true), State("closed", isSet: false)]))
            ]),
        MetricFamily(name: "empty_family", type: .gauge, help: "No metrics."),
    ]

    @Test("matches the golden file")
    func golden() throws {
        let actual = JSONExpositionEncoder.encode(Self.families)
        let golden = try TestFiles.golden("json/families.json", actual)
        #expect(String(decoding: actual, as: UTF8.self) == String(decoding: golden, as: UTF8.self))
        // The output is valid JSON.
        #expect(throws: Never.self) { try JSONValue.parse(actual) }
    }

    @Test("prom2json's own README example")
    func readmeExample() {
        let families = [
            MetricFamily(
                name: "roshi_select_call_count", type: .counter, help: "How many select calls have been made.",
                metrics: [Metric(value: .counter(CounterValue(1063110)))])
        ]
        #expect(
            String(decoding: JSONExpositionEncoder.encode(families), as: UTF8.self)
                == #"[{"name":"roshi_select_call_count","help":"How many select calls have been made.","type":"COUNTER","metrics":[{"value":"1.06311e+06"}]}]"#
                + "\n")
        #expect(JSONExpositionEncoder.encode([]) == Array("[]\n".utf8))
    }

    @Test("numbers as Go's fmt.Sprint writes them")
    func numbers() {
        let cases: [(Double, String)] = [
            (0, "0"), (-0.0, "-0"), (1, "1"), (-2, "-2"), (0.1, "0.1"), (1e-5, "1e-05"), (0.0001, "0.0001"),
            (123456, "123456"),
            (1e6, "1e+06"), (1234567, "1.234567e+06"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
            (1e21, "1e+21"),
        ]
        for (value, text) in cases {
            #expect(JSONExpositionEncoder.formatFloat(value) == text, "\(value)")
        }
        #expect(JSONExpositionEncoder.formatCount(1e6) == "1000000")
        #expect(JSONExpositionEncoder.formatCount(2.5) == "2.5")
        #expect(JSONExpositionEncoder.formatCount(1e20) == "1e+20")
    }
}
