import AbacusExposition
import AbacusTesting

/// Generates metric families for round-trip tests.
///
/// `valid` families follow the ``ExpositionValidator`` rules (names, cumulative buckets, a
/// `+Inf` bucket, count = `+Inf` count, …); `wild` ones do not (negative and NaN counts,
/// unsorted buckets) and are used with the unvalidated decoder. Neither uses the lossy cases
/// (info, stateset, non-finite timestamps, fractional summary counts).
struct ProtobufFamilyGenerator {
    var rng: SplitMix64
    var wild = false

    init(seed: UInt64, wild: Bool = false) {
        rng = SplitMix64(seed: seed)
        self.wild = wild
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
    mutating func pick<T>(_ options: [T]) -> T { options[int(0...options.count - 1)] }

    /// Any double, biased towards the special ones.
    mutating func anyDouble() -> Double {
        switch int(0...9) {
        case 0:
            pick([
                .nan, .infinity, -.infinity, -0.0, 0, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                -.greatestFiniteMagnitude, .ulpOfOne, 9_007_199_254_740_994,
            ])
        case 1...3: Double(int(-1000...1000))
        case 4: Double(bitPattern: rng.next())
        default: Double.random(in: -1e6...1e6, using: &rng)
        }
    }

    /// A non-negative count: integral, fractional, or beyond 2^53.
    mutating func count() -> Double {
        if wild && chance(20) { return pick([.nan, -1, -0.5, .infinity, 1e300]) }
        return switch int(0...5) {
        case 0: Double(int(0...5)) + 0.5
        case 1: Double.random(in: 0...1e4, using: &rng)
        case 2: pick([9_007_199_254_740_992, 9_007_199_254_740_994, 1.8446744073709552e19, 1e20])
        default: Double(int(0...100_000))
        }
    }

    /// Seconds that a `google.protobuf.Timestamp` represents exactly (nanosecond resolution).
    mutating func timestamp() -> Double {
        let seconds = Int64.random(in: -62_135_596_800...253_402_300_799, using: &rng)
        let whole = pick([seconds, Int64(int(1_500_000_000...1_800_000_000)), 0, -1])
        let nanos = pick([0, Int32.random(in: 0...999_999_999, using: &rng), 999_999_999, 500_000_000])
        return Double(whole) + Double(nanos) / 1e9
    }

    mutating func name(_ prefix: String) -> String {
        let tail = String((0..<int(0...6)).map { _ in pick(Array("abcxyz_:019")) })
        return prefix + tail
    }

    mutating func text() -> String {
        String((0..<int(0...8)).map { _ in pick(Array("aZ9 _-\"\\\n{}=,é日🚀\u{0}")) })
    }

    mutating func labels(index: Int, avoiding reserved: String) -> [Label] {
        var labels = [Label("i", String(index))]
        for n in 0..<int(0...3) {
            let name = pick(["job", "instance", "path", "code", "_x", "method", reserved + "_"]) + String(n)
            labels.append(Label(name, text()))
        }
        return labels
    }

    mutating func exemplar(timestamped: Bool = false) -> Exemplar {
        let labels = (0..<int(0...2)).map { Label("trace_id\($0)", text()) }
        return Exemplar(labels: labels, value: anyDouble(), timestamp: timestamped || chance(50) ? timestamp() : nil)
    }

    mutating func maybe<T>(_ make: (inout Self) -> T) -> T? {
        chance(50) ? make(&self) : nil
    }

    mutating func histogram() -> HistogramValue {
        if chance(30) { return nativeHistogram() }
        var bounds = Set<Double>()
        for _ in 0..<int(0...6) { bounds.insert(Double.random(in: -100...100, using: &rng).rounded() / 4) }
        var sorted = bounds.sorted() + [.infinity]
        if wild && chance(30) { sorted.shuffle(using: &rng) }
        var cumulative: Double = chance(10) ? 1e17 : 0  // beyond 2^53: the float fields
        let fractional = chance(30)
        let buckets = sorted.map { bound -> Bucket in
            cumulative += fractional ? Double(int(0...20)) * 0.25 : Double(int(0...20))
            return Bucket(
                upperBound: bound, cumulativeCount: wild && chance(10) ? count() : cumulative,
                exemplar: chance(20) ? exemplar() : nil)
        }
        return HistogramValue(
            buckets: buckets, count: chance(80) ? cumulative : nil,
            sum: maybe { $0.chance(10) ? $0.anyDouble() : Double.random(in: 0...1e5, using: &$0.rng) },
            created: maybe { $0.timestamp() })
    }

    mutating func spans(total: Int) -> [NativeHistogram.Span] {
        var spans: [NativeHistogram.Span] = []
        var left = total
        var first = true
        while left > 0 {
            let length = int(1...left)
            spans.append(.init(offset: Int32(first ? int(-20...20) : int(0...5)), length: UInt32(length)))
            left -= length
            first = false
        }
        if chance(10) { spans.append(.init(offset: 0, length: 0)) }
        return spans
    }

    /// Deltas of `n` random absolute bucket counts, adding the counts to `total`.
    mutating func deltas(_ n: Int, total: inout Double) -> [Int64] {
        var previous: Int64 = 0
        return (0..<n).map { _ in
            let absolute = Int64(int(0...40))
            defer { previous = absolute }
            total += Double(absolute)
            return absolute - previous
        }
    }

    mutating func nativeHistogram() -> HistogramValue {
        let isFloat = chance(40)
        let negatives = int(0...4)
        let positives = int(0...6)
        var total: Double = 0
        var native = NativeHistogram(schema: Int32(int(-4...8)), zeroThreshold: pick([0, 1e-128, 0.001, 2.5]))
        native.negativeSpans = spans(total: negatives)
        native.positiveSpans = spans(total: positives)
        if isFloat {
            native.zeroCountFloat = Double(int(0...10)) + (chance(50) ? 0.5 : 0)
            native.negativeCounts = (0..<negatives).map { _ in Double(int(0...30)) * 0.5 }
            native.positiveCounts = (0..<positives).map { _ in Double(int(0...30)) * 0.5 }
            total = native.zeroCountFloat! + native.negativeCounts.reduce(0, +) + native.positiveCounts.reduce(0, +)
        } else {
            native.zeroCount = UInt64(int(0...10))
            total = Double(native.zeroCount!)
            native.negativeDeltas = deltas(negatives, total: &total)
            native.positiveDeltas = deltas(positives, total: &total)
        }
        native.exemplars = (0..<int(0...2)).map { _ in exemplar(timestamped: true) }
        // Some native histograms keep classic buckets too.
        let buckets =
            chance(30)
            ? [Bucket(upperBound: 1, cumulativeCount: 0), Bucket(upperBound: .infinity, cumulativeCount: total)] : []
        return HistogramValue(
            buckets: buckets, count: total, sum: Double.random(in: 0...1e4, using: &rng),
            created: maybe { $0.timestamp() }, native: native)
    }

    mutating func summary() -> SummaryValue {
        var ranks = Set<Double>()
        for _ in 0..<int(0...4) { ranks.insert(pick([0, 0.5, 0.9, 0.99, 0.999, 1, Double(int(0...1000)) / 1000])) }
        return SummaryValue(
            quantiles: ranks.sorted().map { Quantile(quantile: $0, value: anyDouble()) },
            count: maybe { Double($0.int(0...1_000_000)) }, sum: maybe { $0.anyDouble() },
            created: maybe { $0.timestamp() })
    }

    /// A family of one of the types protobuf carries losslessly.
    mutating func family(index: Int) -> MetricFamily {
        let type = pick([MetricType.counter, .gauge, .untyped, .histogram, .gaugeHistogram, .summary])
        var family = MetricFamily(name: name("f\(index)_"), type: type)
        family.help = maybe { $0.text() }
        if chance(20) {
            family.unit = "seconds"
            family.name += "_seconds"
        }
        if type == .counter { family.name += "_total" }
        let reserved = type == .summary ? "quantile" : "le"
        for i in 0..<int(0...5) {
            let value: MetricValue =
                switch type {
                case .counter:
                    .counter(
                        CounterValue(
                            wild ? anyDouble() : abs(pick([count(), Double.infinity, 0.1])),
                            created: maybe { $0.timestamp() }, exemplar: chance(30) ? exemplar() : nil))
                case .gauge: .gauge(anyDouble())
                case .untyped: .untyped(anyDouble())
                case .summary: .summary(summary())
                default: .histogram(histogram())
                }
            let timestamp = maybe { $0.pick([0, -1, Int64.max, Int64.min, Int64($0.int(0...Int.max))]) }
            family.metrics.append(
                Metric(labels: labels(index: i, avoiding: reserved), value: value, timestampMs: timestamp))
        }
        return family
    }
}
