import AbacusExposition
import AbacusTesting

/// A seeded generator of valid `[MetricFamily]` for the codecs' round-trip property tests
/// (text 0.0.4, OpenMetrics, protobuf). The same seed always gives the same families.
///
/// What it produces, so a format's test can ask only for what the format can express:
/// - family names from `[a-zA-Z][a-zA-Z0-9_:]*` (with `:` and `_`, never a leading `_`),
///   unique, each ending in its own `_f<n>` token (plus `_<unit>` when `units`) so no family
///   can clash with another's suffixed sample names; counters end in `_total`; stateset names
///   have no `:` (they are also a label name); info names do not end in `_info`.
/// - label names valid and never reserved (`__…`), never `le` or `quantile`; label values with
///   `\`, `"`, line feeds, NUL, non-ASCII text and empty values; label sets unique per family.
/// - values: NaN, ±Inf, −0, tiny and huge numbers where the type allows them (gauges, unknown,
///   quantile values, exemplar values); counters, sums and counts finite and non-negative;
///   histograms with sorted unique non-negative bounds ending in `+Inf`, cumulative counts and
///   `count` equal to the `+Inf` bucket, `count` and `sum` both present or both absent; gauge
///   histograms never have `created`; summaries with quantiles in [0, 1].
/// - optional features by parameter: exemplars (counters and buckets, each bucket's exemplar
///   within its bucket), timestamps, units, created times, fractional (non-integer) counts.
///   Text 0.0.4 should pass `types` without `gaugeHistogram`, `info` and `stateSet` and leave
///   `exemplars`, `units` and `created` off; OpenMetrics needs `fractionalCounts: false`.
struct FamilyGenerator {
    private var rng: SplitMix64

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        rng.next()
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % width)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < p
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[int(0...(items.count - 1))]
    }

    /// `count` valid families of the given types (all of `types` are used in turn).
    mutating func families(
        count: Int, types: Set<MetricType>, exemplars: Bool, timestamps: Bool,
        units: Bool = false, created: Bool = false,
        fractionalCounts: Bool = false
    ) -> [MetricFamily] {
        let order = MetricType.allCases.filter { types.contains($0) }
        guard !order.isEmpty else { return [] }
        var options = Options(
            exemplars: exemplars, timestamps: timestamps, created: created,
            fractionalCounts: fractionalCounts)
        var result: [MetricFamily] = []
        for index in 0..<count {
            let type = order[index % order.count]
            options.unit = units && type != .info && type != .stateSet && chance(0.4) ? pick(Self.units) : nil
            result.append(family(index: index, type: type, options: options))
        }
        return result
    }

    private struct Options {
        var exemplars: Bool
        var timestamps: Bool
        var created: Bool
        var fractionalCounts: Bool
        var unit: String?
    }

    // MARK: Names and labels

    private static let words = ["http", "requests", "app", "Go", "process", "db", "queue", "x", "a1", "rpc"]
    private static let units = ["seconds", "bytes", "ratio", "celsius", "meters"]
    private static let labelNames = ["a", "job", "instance", "_private", "path", "Method", "code2", "x_y_z", "Zone"]
    private static let labelValues = [
        "", "a", "GET", "x y", "back\\slash", "quote\"d", "new\nline", "both\\\"\n", "ünïcödé", "日本語",
        "emoji 🎉", "=,{}# ", "tab\there", "nul\u{0}byte", "/api/v1/items?id=7", "trailing\\",
    ]
    private static let helps = [
        "Total number of requests.", "Help with \\ backslash.", "Multi\nline help.", "Quote \" inside.",
        "Ünïcode 📈 help", "Both \\n and \n.",
    ]

    private mutating func familyName(index: Int, type: MetricType, unit: String?) -> String {
        var name = pick(Self.words)
        for _ in 0..<int(0...2) {
            name += type == .stateSet ? "_" : pick(["_", "_", ":"])
            name += pick(Self.words)
        }
        name += "_f\(index)"
        if let unit { name += "_" + unit }
        if type == .counter { name += "_total" }
        return name
    }

    private mutating func labelValue() -> String {
        chance(0.7) ? pick(Self.labelValues) : "v\(int(0...999))"
    }

    // MARK: Families

    private mutating func family(index: Int, type: MetricType, options: Options) -> MetricFamily {
        let name = familyName(index: index, type: type, unit: options.unit)
        let help: String? = chance(0.6) ? pick(Self.helps) : nil
        var family = MetricFamily(name: name, type: type, help: help, unit: options.unit)
        var names = Self.labelNames
        var labelNames: [String] = []
        for _ in 0..<int(0...3) {
            labelNames.append(names.remove(at: int(0...(names.count - 1))))
        }
        var seen = Set<[Label]>()
        let metricCount = labelNames.isEmpty ? 1 : int(1...4)
        for _ in 0..<metricCount {
            let labels = labelNames.map { Label($0, labelValue()) }
            guard seen.insert(labels.sorted()).inserted else { continue }
            let value = self.value(of: type, options: options)
            let timestamp: Int64? = options.timestamps && chance(0.3) ? timestampMs() : nil
            family.metrics.append(Metric(labels: labels, value: value, timestampMs: timestamp))
        }
        return family
    }

    private mutating func value(of type: MetricType, options: Options) -> MetricValue {
        switch type {
        case .counter:
            return .counter(
                CounterValue(
                    nonNegative(), created: options.created && chance(0.5) ? createdTime() : nil,
                    exemplar: options.exemplars && chance(0.5) ? exemplar(value: anyValue()) : nil))
        case .gauge: return .gauge(anyValue())
        case .untyped: return .untyped(anyValue())
        case .histogram, .gaugeHistogram: return .histogram(histogram(gauge: type == .gaugeHistogram, options: options))
        case .summary: return .summary(summary(options: options))
        case .info: return .info
        case .stateSet:
            var states: [State] = []
            var used = Set<String>()
            for _ in 0..<int(1...4) {
                let name = chance(0.5) ? pick(Self.labelValues) : "state\(int(0...9))"
                if used.insert(name).inserted { states.append(State(name, isSet: chance(0.5))) }
            }
            return .stateSet(states)
        }
    }

    private static let bounds: [Double] = [0, 1e-5, 0.001, 0.005, 0.1, 0.25, 1, 2.5, 10, 100_000, 1e6, 1e23, 1.1e23]

    private mutating func histogram(gauge: Bool, options: Options) -> HistogramValue {
        var upper = Self.bounds.filter { _ in chance(0.4) }
        upper.append(.infinity)
        var buckets: [Bucket] = []
        var cumulative = 0.0
        var previous: Double?
        for bound in upper {
            cumulative += count(options)
            var exemplar: Exemplar?
            if options.exemplars && chance(0.4) {
                // Inside (previous, bound]: the bound itself, or above the previous for +Inf.
                let value = bound.isFinite ? bound : (previous ?? 0) * 2 + 1
                exemplar = self.exemplar(value: value)
            }
            buckets.append(Bucket(upperBound: bound, cumulativeCount: cumulative, exemplar: exemplar))
            previous = bound
        }
        let withTotals = chance(0.8)
        return HistogramValue(
            buckets: buckets, count: withTotals ? cumulative : nil,
            sum: withTotals ? nonNegative() : nil,
            created: !gauge && options.created && chance(0.5) ? createdTime() : nil)
    }

    private mutating func summary(options: Options) -> SummaryValue {
        let ranks: [Double] = [0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1]
        let quantiles = ranks.filter { _ in chance(0.3) }.map {
            Quantile(quantile: $0, value: chance(0.15) ? .nan : nonNegative())
        }
        var value = SummaryValue(
            quantiles: quantiles, count: chance(0.7) ? count(options) : nil,
            sum: chance(0.7) ? nonNegative() : nil,
            created: options.created && chance(0.4) ? createdTime() : nil)
        if quantiles.isEmpty && value.count == nil && value.sum == nil { value.count = count(options) }
        return value
    }

    // MARK: Numbers

    private static let specials: [Double] = [
        0, -0.0, 1, -1, 0.5, 0.1, -2.5e-7, .leastNonzeroMagnitude, 1e-300, 1.7976931348623157e308, -1e21,
        123_456_789.125,
        3.141592653589793, .nan, .infinity, -.infinity, 42, 1e6, 0.001,
    ]

    /// Any value, special ones included (NaN, ±Inf, −0, tiny, huge).
    private mutating func anyValue() -> Double {
        if chance(0.5) { return pick(Self.specials) }
        return Double(bitPattern: next() & 0x7FEF_FFFF_FFFF_FFFF | (chance(0.5) ? 0x8000_0000_0000_0000 : 0))
    }

    /// A finite value ≥ 0.
    private mutating func nonNegative() -> Double {
        if chance(0.5) { return pick(Self.specials.filter { $0.isFinite && $0 >= 0 }) }
        return chance(0.5) ? Double(int(0...1_000_000)) : Double(int(0...1_000_000)) / 64
    }

    /// A count: integral unless fractional counts are allowed (then sometimes not).
    private mutating func count(_ options: Options) -> Double {
        if options.fractionalCounts && chance(0.3) { return Double(int(0...4000)) / 8 }
        return chance(0.1) ? 9_007_199_254_740_992 : Double(int(0...10_000))
    }

    private mutating func timestampMs() -> Int64 {
        let extremes: [Int64] = [0, -1, 1, 999, -1500, 1_520_879_607_789, Int64.max, Int64.min]
        if chance(0.3) { return pick(extremes) }
        return 1_600_000_000_000 + Int64(int(0...100_000_000_000))
    }

    private mutating func createdTime() -> Double {
        chance(0.3) ? pick([0, 1_520_430_000.123, -1.5]) : 1.6e9 + Double(int(0...1_000_000)) / 1000
    }

    private mutating func exemplar(value: Double) -> Exemplar {
        var labels: [Label] = []
        if chance(0.8) { labels.append(Label("trace_id", String(next(), radix: 16))) }
        if chance(0.3) { labels.append(Label("span", pick(["ünï", "a\"b", "x\\y", "n\nl", ""]))) }
        let timestamp: Double? = chance(0.5) ? pick([1_520_879_607.789, 0, 1.7e9, -3.25]) : nil
        return Exemplar(labels: labels, value: value, timestamp: timestamp)
    }
}
