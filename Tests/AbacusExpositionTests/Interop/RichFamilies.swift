import AbacusExposition

/// A realistic exposition that uses every corner the formats have: every type, escapes in help
/// and label values, non-ASCII text, empty label values, NaN and ±Inf, tiny and huge numbers,
/// timestamps, exemplars (with and without timestamps), `_created`, units.
///
/// It is also lint-clean for `promtool check metrics` (every family has help, counters end in
/// `_total`, names use base units), so promtool's exit status tells parse and lint apart.
enum RichFamilies {
    static let all: [MetricFamily] = [
        MetricFamily(
            name: "http_requests_total", type: .counter,
            help: "Total HTTP requests.\nSecond line: a backslash \\ and \"quotes\".",
            metrics: [
                Metric(
                    labels: [Label("method", "GET"), Label("path", "/api/v1/\"quoted\"")],
                    value: .counter(
                        CounterValue(
                            1027, created: 1_700_000_000.5,
                            exemplar: Exemplar(
                                labels: [Label("trace_id", "4bf92f3577b34da6")], value: 1,
                                timestamp: 1_700_000_123.125)))),
                Metric(
                    labels: [Label("method", "POST"), Label("path", "line1\nline2\\end")],
                    value: .counter(CounterValue(0, exemplar: Exemplar(labels: [], value: 0.25)))),
                Metric(
                    labels: [Label("method", "PÜT ✓ 数"), Label("path", "")],
                    value: .counter(CounterValue(1.5e300)), timestampMs: 1_700_000_000_123),
            ]),
        MetricFamily(
            name: "temperature_celsius", type: .gauge, help: "Temperature by sensor; NaN when unknown.",
            metrics: [
                Metric(labels: [Label("sensor", "nan")], value: .gauge(.nan)),
                Metric(labels: [Label("sensor", "hot")], value: .gauge(.infinity)),
                Metric(labels: [Label("sensor", "cold")], value: .gauge(-.infinity)),
                Metric(labels: [Label("sensor", "negative")], value: .gauge(-12.5)),
                Metric(labels: [Label("sensor", "tiny")], value: .gauge(1e-9)),
                Metric(labels: [Label("sensor", "huge")], value: .gauge(123_456_789_012_345_678)),
                Metric(labels: [Label("sensor", "tenth")], value: .gauge(0.1), timestampMs: 1_600_000_000_000),
                Metric(labels: [Label("sensor", "max")], value: .gauge(.greatestFiniteMagnitude)),
                Metric(labels: [Label("sensor", "min")], value: .gauge(-.leastNonzeroMagnitude)),
            ]),
        MetricFamily(
            name: "process_start_time_seconds", type: .gauge, help: "Start time of the process.", unit: "seconds",
            metrics: [Metric(value: .gauge(1_700_000_000.25))]),
        MetricFamily(
            name: "request_duration_seconds", type: .histogram, help: "Request latency.", unit: "seconds",
            metrics: [
                Metric(
                    labels: [Label("handler", "/")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.005, cumulativeCount: 1),
                                Bucket(
                                    upperBound: 0.1, cumulativeCount: 8,
                                    exemplar: Exemplar(
                                        labels: [Label("trace_id", "a1")], value: 0.067,
                                        timestamp: 1_700_000_001.001)),
                                Bucket(upperBound: 1, cumulativeCount: 10),
                                Bucket(
                                    upperBound: 2.5, cumulativeCount: 12,
                                    exemplar: Exemplar(labels: [Label("trace_id", "b2"), Label("span", "x")], value: 2)),
                                Bucket(upperBound: .infinity, cumulativeCount: 13),
                            ], count: 13, sum: 17.25, created: 1_699_999_000))),
                Metric(
                    labels: [Label("handler", "/metrics")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.005, cumulativeCount: 0),
                                Bucket(upperBound: 0.1, cumulativeCount: 0),
                                Bucket(upperBound: 1, cumulativeCount: 0),
                                Bucket(upperBound: 2.5, cumulativeCount: 0),
                                Bucket(upperBound: .infinity, cumulativeCount: 0),
                            ], count: 0, sum: 0)), timestampMs: 1_700_000_000_000),
            ]),
        MetricFamily(
            name: "rpc_latency_seconds", type: .summary, help: "RPC latency quantiles.",
            metrics: [
                Metric(
                    labels: [Label("service", "a")],
                    value: .summary(
                        SummaryValue(
                            quantiles: [
                                Quantile(quantile: 0, value: 0.001),
                                Quantile(quantile: 0.5, value: 0.2),
                                Quantile(quantile: 0.99, value: 1.75),
                                Quantile(quantile: 1, value: 3),
                            ], count: 1000, sum: 250.125, created: 1_690_000_000))),
                // A summary that has not observed anything yet: NaN quantiles, zero count and sum.
                Metric(
                    labels: [Label("service", "idle")],
                    value: .summary(
                        SummaryValue(
                            quantiles: [Quantile(quantile: 0.5, value: .nan), Quantile(quantile: 0.9, value: .nan)],
                            count: 0, sum: 0))),
            ]),
        MetricFamily(
            name: "legacy_value", type: .untyped, help: "An untyped value.",
            metrics: [
                Metric(value: .untyped(42)),
                Metric(labels: [Label("_underscore", "x"), Label("label2", "tab\there")], value: .untyped(-0.5)),
            ]),
        MetricFamily(
            name: "build", type: .info, help: "Build information.",
            metrics: [Metric(labels: [Label("version", "1.2.3"), Label("revision", "abc123")], value: .info)]),
        MetricFamily(
            name: "feature_state", type: .stateSet, help: "Feature flags.",
            metrics: [
                Metric(
                    labels: [Label("env", "prod")],
                    value: .stateSet([State("enabled", isSet: true), State("disabled", isSet: false)]))
            ]),
        MetricFamily(
            name: "queue_size_bytes", type: .gaugeHistogram, help: "Queue sizes right now.", unit: "bytes",
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 1024, cumulativeCount: 3),
                                Bucket(upperBound: 1_048_576, cumulativeCount: 5),
                                Bucket(upperBound: .infinity, cumulativeCount: 6),
                            ], count: 6, sum: 2_000_000)))
            ]),
    ]

    /// The same families with a timestamp on every metric that has none (promtool's OpenMetrics
    /// backfill reader requires one on every sample).
    static func withTimestamps(_ families: [MetricFamily], ms: Int64 = 1_700_000_000_000) -> [MetricFamily] {
        families.map { family in
            var family = family
            for index in family.metrics.indices where family.metrics[index].timestampMs == nil {
                family.metrics[index].timestampMs = ms
            }
            return family
        }
    }
}
