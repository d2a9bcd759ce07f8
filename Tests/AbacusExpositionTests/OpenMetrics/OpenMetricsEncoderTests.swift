import Testing

@testable import AbacusExposition

/// The encoder's output, pinned by golden files under `Golden/openmetrics/` (rewrite them with
/// `ABACUS_UPDATE_GOLDEN=1` and read the diff), and read back by our parser.
@Suite struct OpenMetricsEncoderTests {
    static let everyType: [MetricFamily] = [
        MetricFamily(
            name: "http_requests_total", type: .counter, help: "Requests served.",
            metrics: [
                Metric(labels: [Label("method", "GET"), Label("code", "200")], value: .counter(CounterValue(1027))),
                Metric(labels: [Label("method", "POST"), Label("code", "500")], value: .counter(CounterValue(3.5))),
            ]),
        MetricFamily(
            name: "queue_length", type: .gauge, help: "Items waiting.",
            metrics: [
                Metric(value: .gauge(42))
            ]),
        MetricFamily(
            name: "request_seconds", type: .histogram, help: "Latency.",
            metrics: [
                Metric(
                    labels: [Label("handler", "/")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0, cumulativeCount: 0),
                                Bucket(upperBound: 1e-05, cumulativeCount: 0),
                                Bucket(upperBound: 0.005, cumulativeCount: 2),
                                Bucket(upperBound: 0.1, cumulativeCount: 8),
                                Bucket(upperBound: 1, cumulativeCount: 10), Bucket(upperBound: 10, cumulativeCount: 11),
                                Bucket(upperBound: 100_000, cumulativeCount: 11),
                                Bucket(upperBound: 1e6, cumulativeCount: 12),
                                Bucket(upperBound: .infinity, cumulativeCount: 12),
                            ], count: 12, sum: 324789.3)))
            ]),
        MetricFamily(
            name: "queue_wait_seconds", type: .gaugeHistogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.01, cumulativeCount: 20),
                                Bucket(upperBound: 1, cumulativeCount: 34),
                                Bucket(upperBound: .infinity, cumulativeCount: 42),
                            ], count: 42, sum: 3289.3)))
            ]),
        MetricFamily(
            name: "rpc_seconds", type: .summary, help: "RPC latency.",
            metrics: [
                Metric(
                    value: .summary(
                        SummaryValue(
                            quantiles: [
                                Quantile(quantile: 0.5, value: 0.052), Quantile(quantile: 0.99, value: 0.15),
                                Quantile(quantile: 1, value: .nan),
                            ], count: 807283, sum: 9036.32)))
            ]),
        MetricFamily(name: "legacy_thing", type: .untyped, metrics: [Metric(value: .untyped(-1.5))]),
        MetricFamily(
            name: "build", type: .info, help: "Build information.",
            metrics: [
                Metric(labels: [Label("version", "8.2.7"), Label("revision", "abc123")], value: .info)
            ]),
        MetricFamily(
            name: "breaker", type: .stateSet,
            metrics: [
                Metric(
                    labels: [Label("service", "db")],
                    value: .stateSet([
                        State("closed", isSet: true), State("open", isSet: false), State("half_open", isSet: false),
                    ]))
            ]),
        MetricFamily(name: "empty_family", type: .gauge, help: "No metrics yet."),
    ]

    static let escapesAndSpecialFloats: [MetricFamily] = [
        MetricFamily(
            name: "escapes", type: .gauge, help: "Backslash \\ quote \" newline \n end.",
            metrics: [
                Metric(
                    labels: [Label("path", "C:\\dir\\"), Label("quote", "say \"hi\""), Label("nl", "a\nb")],
                    value: .gauge(1)),
                Metric(labels: [Label("unicode", "ünïcödé 日本 🎉"), Label("empty", "")], value: .gauge(2)),
            ]),
        MetricFamily(
            name: "special_floats", type: .gauge,
            metrics: [
                Metric(labels: [Label("v", "nan")], value: .gauge(.nan)),
                Metric(labels: [Label("v", "inf")], value: .gauge(.infinity)),
                Metric(labels: [Label("v", "minus_inf")], value: .gauge(-.infinity)),
                Metric(labels: [Label("v", "minus_zero")], value: .gauge(-0.0)),
                Metric(labels: [Label("v", "tiny")], value: .gauge(.leastNonzeroMagnitude)),
                Metric(labels: [Label("v", "huge")], value: .gauge(.greatestFiniteMagnitude)),
                Metric(labels: [Label("v", "million")], value: .gauge(1e6)),
                Metric(labels: [Label("v", "fraction")], value: .gauge(0.1)),
            ]),
    ]

    static let exemplarsUnitsCreatedTimestamps: [MetricFamily] = [
        MetricFamily(
            name: "process_cpu_seconds_total", type: .counter, help: "CPU time.", unit: "seconds",
            metrics: [
                Metric(
                    value: .counter(
                        CounterValue(
                            4.20072246e+06, created: 1520430000.123,
                            exemplar: Exemplar(
                                labels: [Label("trace_id", "KOO5S4vxi0o")], value: 0.67,
                                timestamp: 1520879607.789))),
                    timestampMs: 1_520_879_607_789)
            ]),
        MetricFamily(
            name: "request_size_bytes", type: .histogram, unit: "bytes",
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 100, cumulativeCount: 3, exemplar: Exemplar(labels: [], value: 54)),
                                Bucket(
                                    upperBound: 1000, cumulativeCount: 7,
                                    exemplar: Exemplar(
                                        labels: [Label("trace_id", "oHg5SJYRHA0")], value: 980, timestamp: 1520879607.5)
                                ),
                                Bucket(upperBound: .infinity, cumulativeCount: 9),
                            ], count: 9, sum: 12345, created: 1520430000)), timestampMs: -1500)
            ]),
        MetricFamily(
            name: "rpc_seconds", type: .summary, unit: "seconds",
            metrics: [
                Metric(
                    value: .summary(SummaryValue(quantiles: [], count: 17, sum: 324789.3, created: 1520430000.123)),
                    timestampMs: 0)
            ]),
        MetricFamily(
            name: "temperature_celsius", type: .gauge, unit: "celsius",
            metrics: [
                Metric(value: .gauge(21.5), timestampMs: Int64.max)
            ]),
    ]

    @Test(arguments: [
        ("types.txt", everyType), ("escapes_and_special_floats.txt", escapesAndSpecialFloats),
        ("exemplars_units_created_timestamps.txt", exemplarsUnitsCreatedTimestamps),
    ])
    func matchesGoldenFileAndReadsBack(file: String, families: [MetricFamily]) throws {
        let encoded = OpenMetricsEncoder.encode(families)
        let golden = try TestFiles.golden("openmetrics/" + file, encoded)
        #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: golden, as: UTF8.self))
        #expect(try OpenMetricsParser.parse(golden) == families)
    }

    /// A counter whose OpenMetrics family name is another family's name is written as
    /// `unknown` under its full name; every other family is written as usual.
    @Test func countersWhoseNamesFoldAreUnknown() throws {
        let families = [
            MetricFamily(name: "a_bytes", type: .gauge, metrics: [Metric(value: .gauge(1))]),
            MetricFamily(
                name: "a_bytes_total", type: .counter, help: "Folds.",
                metrics: [Metric(labels: [Label("k", "v")], value: .counter(CounterValue(2, created: 5)))]),
            MetricFamily(name: "b", type: .counter, metrics: [Metric(value: .counter(CounterValue(3)))]),
            MetricFamily(name: "b_total", type: .counter, metrics: [Metric(value: .counter(CounterValue(4)))]),
            MetricFamily(name: "c_total", type: .counter, metrics: [Metric(value: .counter(CounterValue(6)))]),
        ]
        let bytes = OpenMetricsEncoder.encode(families)
        #expect(
            String(decoding: bytes, as: UTF8.self) == """
                # TYPE a_bytes gauge
                a_bytes 1
                # HELP a_bytes_total Folds.
                # TYPE a_bytes_total unknown
                a_bytes_total{k="v"} 2
                # TYPE b unknown
                b 3
                # TYPE b_total unknown
                b_total 4
                # TYPE c counter
                c_total 6
                # EOF

                """)
        let parsed = try OpenMetricsParser.parse(bytes)
        #expect(parsed.map(\.name) == ["a_bytes", "a_bytes_total", "b", "b_total", "c_total"])
    }

    @Test func counterWithoutTotalGetsItOnTheSample() throws {
        let family = MetricFamily(name: "jobs", type: .counter, metrics: [Metric(value: .counter(CounterValue(3)))])
        let text = String(decoding: OpenMetricsEncoder.encode([family]), as: UTF8.self)
        #expect(text == "# TYPE jobs counter\njobs_total 3\n# EOF\n")
        let parsed = try OpenMetricsParser.parse(Array(text.utf8))
        #expect(parsed[0].name == "jobs_total")
    }

    @Test func histogramWithoutInfBucketGetsOneFromItsCount() {
        let family = MetricFamily(
            name: "h", type: .histogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(buckets: [Bucket(upperBound: 1, cumulativeCount: 2)], count: 5, sum: 7)))
            ])
        let text = String(decoding: OpenMetricsEncoder.encode([family]), as: UTF8.self)
        #expect(
            text == "# TYPE h histogram\nh_bucket{le=\"1.0\"} 2\nh_bucket{le=\"+Inf\"} 5\nh_count 5\nh_sum 7\n# EOF\n")
    }

    @Test func emptyHelpAndUnitAreNotWritten() {
        let family = MetricFamily(name: "g", type: .gauge, help: "", unit: "", metrics: [Metric(value: .gauge(1))])
        #expect(String(decoding: OpenMetricsEncoder.encode([family]), as: UTF8.self) == "# TYPE g gauge\ng 1\n# EOF\n")
        #expect(OpenMetricsEncoder.encode([]) == Array("# EOF\n".utf8))
    }

    @Test(
        arguments: [
            (0.0, "0.0"), (-0.0, "0.0"), (0.001, "0.001"), (0.01, "0.01"), (0.1, "0.1"), (0.9, "0.9"), (0.95, "0.95"),
            (0.99, "0.99"), (0.999, "0.999"), (1, "1.0"), (1.7, "1.7"), (10, "10.0"), (1e-10, "1e-10"), (1e-9, "1e-09"),
            (1e-5, "1e-05"), (0.0001, "0.0001"), (100_000, "100000.0"), (1e6, "1e+06"), (1e10, "1e+10"),
            (1e23, "1e+23"), (1.1e23, "1.1e+23"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (-2.5, "-2.5"),
        ] as [(Double, String)])
    func formatsLeAndQuantileCanonically(value: Double, expected: String) {
        var buffer: [UInt8] = []
        OpenMetricsNumbers.appendCanonical(value, to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == expected)
    }

    @Test(
        arguments: [
            (0, "0"), (1, "0.001"), (-1, "-0.001"), (1000, "1"), (1500, "1.5"), (-1500, "-1.5"),
            (1_520_879_607_789, "1520879607.789"),
            (1_520_879_607_780, "1520879607.78"), (Int64.max, "9223372036854775.807"),
            (Int64.min, "-9223372036854775.808"),
        ] as [(Int64, String)])
    func writesTimestampsAsExactSeconds(ms: Int64, expected: String) throws {
        var buffer: [UInt8] = []
        OpenMetricsNumbers.appendTimestamp(milliseconds: ms, to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == expected)
        let back = buffer.withUnsafeBufferPointer { OpenMetricsNumbers.parseTimestampMilliseconds($0) }
        #expect(back == ms)
    }

    @Test(
        arguments: [
            ("1520879607.7895", 1_520_879_607_790), ("1520879607.7894999", 1_520_879_607_789), ("-0.0005", -1),
            ("-0.0004", 0), ("1.5e3", 1_500_000), ("1.520879607789e+09", 1_520_879_607_789), ("+2", 2000), (".5", 500),
            ("5.", 5000),
        ] as [(String, Int64)])
    func readsTimestampsRoundingToTheNearestMillisecond(text: String, expected: Int64) {
        let ms = Array(text.utf8).withUnsafeBufferPointer { OpenMetricsNumbers.parseTimestampMilliseconds($0) }
        #expect(ms == expected)
    }

    @Test(arguments: ["NaN", "+Inf", "-Inf", "1e300", "9223372036854776", "", "1_000", "0x10"])
    func rejectsTimestampsOutOfRangeOrNotReal(text: String) {
        let ms = Array(text.utf8).withUnsafeBufferPointer { OpenMetricsNumbers.parseTimestampMilliseconds($0) }
        #expect(ms == nil)
    }

    @Test(
        arguments: [
            (1_700_000_123.125, "1700000123.125"), (1_520_879_607.789, "1520879607.789"), (0.5, "0.5"),
            (-3.25, "-3.25"),
            (1e-7, "0.0000001"), (1e20, "100000000000000000000"), (1e300, "1e+300"),
        ] as [(Double, String)])
    func writesExemplarTimestampsWithoutExponent(value: Double, expected: String) {
        var buffer: [UInt8] = []
        OpenMetricsNumbers.appendPlainSeconds(value, to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == expected)
        #expect(FloatParsing.parse(expected) == value)
    }
}
