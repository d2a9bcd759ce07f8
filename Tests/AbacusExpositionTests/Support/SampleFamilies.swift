@testable import AbacusExposition

/// Hand-written families covering every type and the tricky corners, shared by golden-file tests.
enum SampleFamilies {
    static let exemplar = Exemplar(
        labels: [Label("trace_id", "4bf92f3577b34da6")], value: 0.67, timestamp: 1_700_000_000.123)

    /// What text 0.0.4 can express exactly.
    static let text: [MetricFamily] = [
        MetricFamily(
            name: "http_requests_total", type: .counter, help: "Requests handled, by code.",
            metrics: [
                Metric(labels: [Label("code", "200"), Label("method", "get")], value: .counter(CounterValue(1027))),
                Metric(
                    labels: [Label("code", "500"), Label("method", "post")], value: .counter(CounterValue(3)),
                    timestampMs: 1_395_066_363_000),
            ]),
        MetricFamily(
            name: "escapes", type: .gauge, help: "Backslash \\ and\nnewline; \"quotes\" stay in HELP.",
            metrics: [
                Metric(
                    labels: [Label("path", "C:\\DIR\\FILE.TXT"), Label("error", "Cannot find file:\n\"FILE.TXT\"")],
                    value: .gauge(1.458255915e9)),
                Metric(labels: [Label("snowman", "☃"), Label("empty", "")], value: .gauge(-0.0005)),
            ]),
        MetricFamily(
            name: "special_values", type: .gauge,
            metrics: [
                Metric(labels: [Label("v", "nan")], value: .gauge(.nan)),
                Metric(labels: [Label("v", "plus_inf")], value: .gauge(.infinity)),
                Metric(labels: [Label("v", "minus_inf")], value: .gauge(-.infinity)),
                Metric(labels: [Label("v", "big")], value: .gauge(1.7976931348623157e308)),
                Metric(labels: [Label("v", "tiny")], value: .gauge(5e-324)),
                Metric(labels: [Label("v", "million")], value: .gauge(1e6)),
            ]),
        MetricFamily(
            name: "untyped_thing", type: .untyped,
            metrics: [
                Metric(value: .untyped(12.47), timestampMs: -3_982_045)
            ]),
        MetricFamily(
            name: "request_duration_seconds", type: .histogram, help: "Request latency.",
            metrics: [
                Metric(
                    labels: [Label("handler", "/api")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.005, cumulativeCount: 2),
                                Bucket(upperBound: 0.1, cumulativeCount: 5),
                                Bucket(upperBound: 1, cumulativeCount: 9), Bucket(upperBound: 1e6, cumulativeCount: 10),
                                Bucket(upperBound: .infinity, cumulativeCount: 10),
                            ], count: 10, sum: 3.25)))
            ]),
        MetricFamily(
            name: "rpc_duration_seconds", type: .summary, help: "RPC latency.",
            metrics: [
                Metric(
                    value: .summary(
                        SummaryValue(
                            quantiles: [Quantile(quantile: 0.5, value: 0.012), Quantile(quantile: 0.99, value: 0.3)],
                            count: 2693, sum: 1.7560473e7)))
            ]),
        MetricFamily(
            name: "no_help_counter_total", type: .counter,
            metrics: [
                Metric(value: .counter(CounterValue(0)))
            ]),
    ]
}
