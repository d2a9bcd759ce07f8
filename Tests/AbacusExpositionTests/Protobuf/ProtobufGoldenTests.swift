import Testing

@testable import AbacusExposition

/// The encoder's bytes for a fixed set of families, checked against
/// `Golden/protobuf/families.pb` (regenerate with `ABACUS_UPDATE_GOLDEN=1`; inspect with
/// `protoc --decode=io.prometheus.client.MetricFamily` on each length-delimited message).
@Suite("Protobuf golden")
struct ProtobufGoldenTests {
    static let exemplar = Exemplar(labels: [Label("trace_id", "abc123")], value: 0.67, timestamp: 1_700_000_000.5)

    static let families: [MetricFamily] = [
        MetricFamily(
            name: "http_requests_total", type: .counter, help: "Requests served.",
            metrics: [
                Metric(
                    labels: [Label("code", "200"), Label("method", "get")],
                    value: .counter(CounterValue(1027, created: 1_700_000_000.25, exemplar: exemplar)),
                    timestampMs: 1_700_000_123_456),
                Metric(labels: [Label("code", "500"), Label("method", "post")], value: .counter(CounterValue(3.5))),
            ]),
        MetricFamily(
            name: "temperature_celsius", type: .gauge, help: "Line one\nline \"two\" \\", unit: "celsius",
            metrics: [
                Metric(labels: [Label("room", "küche")], value: .gauge(-0.5)),
                Metric(labels: [Label("room", "nan")], value: .gauge(.nan)),
                Metric(labels: [Label("room", "inf")], value: .gauge(-.infinity)),
            ]),
        MetricFamily(name: "legacy", type: .untyped, metrics: [Metric(value: .untyped(42))]),
        MetricFamily(
            name: "rpc_duration_seconds", type: .summary, unit: "seconds",
            metrics: [
                Metric(
                    value: .summary(
                        SummaryValue(
                            quantiles: [Quantile(quantile: 0.5, value: 0.05), Quantile(quantile: 0.99, value: 0.2)],
                            count: 12, sum: 1.5, created: 1_600_000_000)))
            ]),
        MetricFamily(
            name: "request_size_bytes", type: .histogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 100, cumulativeCount: 2),
                                Bucket(upperBound: 1000, cumulativeCount: 5.5, exemplar: exemplar),
                                Bucket(upperBound: .infinity, cumulativeCount: 6.5),
                            ],
                            count: 6.5, sum: 4321.5, created: 1_650_000_000.000000001)))
            ]),
        MetricFamily(
            name: "queue_wait", type: .gaugeHistogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 1, cumulativeCount: 4),
                                Bucket(upperBound: .infinity, cumulativeCount: 9),
                            ],
                            count: 9, sum: 3)))
            ]),
        MetricFamily(
            name: "latency_seconds", type: .histogram, help: "Native.",
            metrics: [
                Metric(
                    labels: [Label("kind", "int")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [], count: 11, sum: 2.75,
                            native: NativeHistogram(
                                schema: 3, zeroThreshold: 1e-128, zeroCount: 1,
                                negativeSpans: [.init(offset: -2, length: 1)], negativeDeltas: [2],
                                positiveSpans: [.init(offset: 0, length: 2), .init(offset: 3, length: 1)],
                                positiveDeltas: [4, -2, 1], exemplars: [exemplar])))),
                Metric(
                    labels: [Label("kind", "float")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [], count: 3.5, sum: 1,
                            native: NativeHistogram(
                                schema: -1, zeroThreshold: 0.001, zeroCountFloat: 0.5,
                                positiveSpans: [.init(offset: 1, length: 2)], positiveCounts: [1.5, 1.5])))),
            ]),
        MetricFamily(name: "build", type: .info, metrics: [Metric(labels: [Label("version", "1.0.0")], value: .info)]),
        MetricFamily(
            name: "door", type: .stateSet,
            metrics: [
                Metric(value: .stateSet([State("open", isSet: false), State("closed", isSet: true)]))
            ]),
    ]

    @Test func encoderMatchesGolden() throws {
        let bytes = ProtobufEncoder.encode(Self.families)
        let golden = try TestFiles.golden("protobuf/families.pb", bytes)
        #expect(bytes == golden)
    }

    @Test func goldenDecodes() throws {
        let golden = try TestFiles.bytes("Golden/protobuf/families.pb")
        let decoded = try ProtobufDecoder.decode(golden)
        // Everything but info and stateset (written as gauges) comes back as it was.
        #expect(Array(decoded.prefix(7)) == Array(Self.families.prefix(7)))
        #expect(decoded.map(\.name).suffix(2) == ["build_info", "door"])
        #expect(decoded.suffix(2).allSatisfy { $0.type == .gauge })
    }
}
