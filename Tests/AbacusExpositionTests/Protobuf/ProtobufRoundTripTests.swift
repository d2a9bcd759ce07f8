import AbacusTesting
import Testing

@testable import AbacusExposition

@Suite("Protobuf round trips")
struct ProtobufRoundTripTests {
    @Test("decode(encode(x)) == x for valid families of every protobuf type", arguments: 0..<8)
    func validFamilies(seed: UInt64) throws {
        var generator = ProtobufFamilyGenerator(seed: seed)
        for round in 0..<40 {
            let families = (0..<generator.int(0...5)).map { generator.family(index: $0) }
            let bytes = ProtobufEncoder.encode(families)
            let decoded = try ProtobufDecoder.decode(bytes)
            #expect(decoded == families, "seed \(seed) round \(round)")
            // Re-encoding what was decoded gives the same bytes.
            #expect(ProtobufEncoder.encode(decoded) == bytes, "seed \(seed) round \(round)")
        }
    }

    @Test("every type, native histograms, special floats and non-integral counts are generated")
    func generatorCoverage() {
        var generator = ProtobufFamilyGenerator(seed: 42)
        var types = Set<MetricType>()
        var native = 0
        var floatNative = 0
        var fractionalCounts = 0
        var bigCounts = 0
        var nans = 0
        for index in 0..<300 {
            let family = generator.family(index: index)
            types.insert(family.type)
            for metric in family.metrics {
                switch metric.value {
                case let .histogram(histogram):
                    if let n = histogram.native {
                        native += 1
                        if n.zeroCountFloat != nil { floatNative += 1 }
                    }
                    for count in histogram.buckets.map(\.cumulativeCount) + [histogram.count ?? 0] {
                        if count != count.rounded() { fractionalCounts += 1 }
                        if count > ProtobufMapping.maxExactInteger { bigCounts += 1 }
                    }
                case let .gauge(value), let .untyped(value):
                    if !value.isFinite { nans += 1 }
                default: break
                }
            }
        }
        #expect(types == [.counter, .gauge, .untyped, .histogram, .gaugeHistogram, .summary])
        #expect(native > 10)
        #expect(floatNative > 3)
        #expect(fractionalCounts > 10)
        #expect(bigCounts > 3)
        #expect(nans > 3)
    }

    @Test("wild values (negative, NaN, unsorted) survive the mapping, validator aside", arguments: 100..<106)
    func wildFamilies(seed: UInt64) throws {
        var generator = ProtobufFamilyGenerator(seed: seed, wild: true)
        for round in 0..<40 {
            let families = (0..<generator.int(1...4)).map { generator.family(index: $0) }
            let decoded = try ProtobufDecoder.decodeUnvalidated(ProtobufEncoder.encode(families))
            #expect(decoded == families.map(Self.withImplicitInfBucket), "seed \(seed) round \(round)")
        }
    }

    /// The decoder's one deliberate change: a classic histogram whose last bucket is not +Inf
    /// gets the +Inf bucket protobuf leaves implicit, counting `count` (client_golang omits it).
    static func withImplicitInfBucket(_ family: MetricFamily) -> MetricFamily {
        var family = family
        family.metrics = family.metrics.map { metric in
            guard case .histogram(var histogram) = metric.value, let count = histogram.count,
                histogram.buckets.last.map({ $0.upperBound != .infinity }) ?? (histogram.native == nil)
            else { return metric }
            histogram.buckets.append(Bucket(upperBound: .infinity, cumulativeCount: count))
            var metric = metric
            metric.value = .histogram(histogram)
            return metric
        }
        return family
    }

    @Test("the +Inf bucket client_golang leaves implicit is made explicit from the count")
    func implicitInfBucket() throws {
        let family = MetricFamily(
            name: "h", type: .histogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(buckets: [Bucket(upperBound: 0.5, cumulativeCount: 2)], count: 3, sum: 1))),
                Metric(labels: [Label("a", "b")], value: .histogram(HistogramValue(buckets: [], count: 4, sum: 1))),
            ])
        let decoded = try ProtobufDecoder.decode(ProtobufEncoder.encode([family]))
        #expect(
            decoded[0].metrics.map(\.value) == [
                .histogram(
                    HistogramValue(
                        buckets: [
                            Bucket(upperBound: 0.5, cumulativeCount: 2),
                            Bucket(upperBound: .infinity, cumulativeCount: 3),
                        ],
                        count: 3, sum: 1)),
                .histogram(
                    HistogramValue(buckets: [Bucket(upperBound: .infinity, cumulativeCount: 4)], count: 4, sum: 1)),
            ])
    }

    @Test("counts: integer field when integral within 0…2^53, float field otherwise")
    func countFields() {
        #expect(ProtobufMapping.countField(0) == .integer(0))
        #expect(ProtobufMapping.countField(-0.0) == .integer(0))
        #expect(ProtobufMapping.countField(42) == .integer(42))
        #expect(ProtobufMapping.countField(9_007_199_254_740_992) == .integer(9_007_199_254_740_992))
        #expect(ProtobufMapping.countField(9_007_199_254_740_994) == .float(9_007_199_254_740_994))
        #expect(ProtobufMapping.countField(2.5) == .float(2.5))
        #expect(ProtobufMapping.countField(-1) == .float(-1))
        #expect(ProtobufMapping.countField(.infinity) == .float(.infinity))
        guard case let .float(nan) = ProtobufMapping.countField(.nan) else {
            Issue.record("NaN must use the float field")
            return
        }
        #expect(nan.isNaN)
        // Prometheus' rule on reading: the float field wins when > 0.
        #expect(ProtobufMapping.count(integer: 3, float: 2.5) == 2.5)
        #expect(ProtobufMapping.count(integer: 3, float: 0) == 3)
        #expect(ProtobufMapping.count(integer: nil, float: 0) == 0)
        #expect(ProtobufMapping.count(integer: nil, float: nil) == nil)
    }

    @Test("timestamps: Double seconds ↔ google.protobuf.Timestamp, exact when representable")
    func timestamps() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let whole = Int64.random(in: ProtobufMapping.timestampSeconds, using: &rng)
            let nanos = Int32.random(in: 0...999_999_999, using: &rng)
            let seconds = Double(whole) + Double(nanos) / 1e9
            let timestamp = try #require(ProtobufMapping.timestamp(seconds))
            #expect(ProtobufMapping.seconds(of: timestamp) == seconds, "\(whole).\(nanos)")
        }
        let t = try #require(ProtobufMapping.timestamp(1_700_000_000.25))
        #expect(t.seconds == 1_700_000_000 && t.nanos == 250_000_000)
        let negative = try #require(ProtobufMapping.timestamp(-1.5))
        #expect(negative.seconds == -2 && negative.nanos == 500_000_000)
        let last = try #require(ProtobufMapping.timestamp(253_402_300_799.999999999))
        #expect(ProtobufMapping.seconds(of: last) == 253_402_300_799.999999999)
        #expect(ProtobufMapping.timestamp(.nan) == nil)
        #expect(ProtobufMapping.timestamp(.infinity) == nil)
        #expect(ProtobufMapping.timestamp(1e300) == nil)
        #expect(ProtobufMapping.timestamp(-1e13) == nil)
    }

    @Test("presence: absent sum, count, created, help, unit and timestamp stay nil; present zeros stay 0")
    func presence() throws {
        let families = [
            MetricFamily(
                name: "s", type: .summary,
                metrics: [
                    Metric(value: .summary(SummaryValue(quantiles: []))),
                    Metric(
                        labels: [Label("a", "1")],
                        value: .summary(SummaryValue(quantiles: [], count: 0, sum: 0, created: 0)),
                        timestampMs: 0),
                ]),
            MetricFamily(
                name: "h", type: .histogram, help: "", unit: "",
                metrics: [
                    Metric(
                        value: .histogram(HistogramValue(buckets: [Bucket(upperBound: .infinity, cumulativeCount: 0)]))),
                    Metric(
                        labels: [Label("a", "1")],
                        value: .histogram(
                            HistogramValue(
                                buckets: [Bucket(upperBound: .infinity, cumulativeCount: 0)], count: 0, sum: 0,
                                created: 0))),
                ]),
        ]
        #expect(try ProtobufDecoder.decode(ProtobufEncoder.encode(families)) == families)
    }

    @Test("an empty native histogram stays native; zero_count and zero_count_float keep presence")
    func emptyNative() throws {
        let family = MetricFamily(
            name: "n", type: .histogram,
            metrics: [
                Metric(value: .histogram(HistogramValue(buckets: [], native: NativeHistogram()))),
                Metric(
                    labels: [Label("a", "1")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [], native: NativeHistogram(zeroCount: 0, zeroCountFloat: 0)))),
            ])
        #expect(try ProtobufDecoder.decode(ProtobufEncoder.encode([family])) == [family])
    }

    @Test("info is written as a gauge family <name>_info with value 1 (lossy)")
    func info() throws {
        let family = MetricFamily(
            name: "build", type: .info, help: "Build.",
            metrics: [
                Metric(labels: [Label("version", "1.2")], value: .info, timestampMs: 5)
            ])
        let decoded = try ProtobufDecoder.decode(ProtobufEncoder.encode([family]))
        #expect(
            decoded == [
                MetricFamily(
                    name: "build_info", type: .gauge, help: "Build.",
                    metrics: [
                        Metric(labels: [Label("version", "1.2")], value: .gauge(1), timestampMs: 5)
                    ])
            ])
    }

    @Test("a stateset is written as a gauge per state with a label named after the family (lossy)")
    func stateSet() throws {
        let family = MetricFamily(
            name: "door", type: .stateSet,
            metrics: [
                Metric(
                    labels: [Label("room", "a")],
                    value: .stateSet([State("open", isSet: true), State("shut", isSet: false)]))
            ])
        let decoded = try ProtobufDecoder.decode(ProtobufEncoder.encode([family]))
        #expect(
            decoded == [
                MetricFamily(
                    name: "door", type: .gauge,
                    metrics: [
                        Metric(labels: [Label("room", "a"), Label("door", "open")], value: .gauge(1)),
                        Metric(labels: [Label("room", "a"), Label("door", "shut")], value: .gauge(0)),
                    ])
            ])
    }

    @Test("a summary's count has no float field: fractional counts are truncated (lossy)")
    func summaryCount() throws {
        let family = MetricFamily(
            name: "s", type: .summary,
            metrics: [
                Metric(value: .summary(SummaryValue(quantiles: [], count: 2.75)))
            ])
        let decoded = try ProtobufDecoder.decode(ProtobufEncoder.encode([family]))
        #expect(decoded.first?.metrics.first?.value == .summary(SummaryValue(quantiles: [], count: 2)))
    }

    @Test("append(_:to:) adds to an existing buffer; encode of nothing is empty")
    func append() throws {
        let family = MetricFamily(name: "g", type: .gauge, metrics: [Metric(value: .gauge(1))])
        var buffer: [UInt8] = ProtobufEncoder.encode([family])
        let one = buffer.count
        ProtobufEncoder.append(MetricFamily(name: "h", type: .gauge), to: &buffer)
        #expect(buffer.count > one)
        #expect(try ProtobufDecoder.decode(buffer).map(\.name) == ["g", "h"])
        #expect(ProtobufEncoder.encode([]).isEmpty)
        #expect(try ProtobufDecoder.decode([]).isEmpty)
    }
}
