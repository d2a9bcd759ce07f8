/// The MetricPoint being assembled from consecutive sample lines with the same labels.
struct OpenMetricsPoint {
    /// The metric's labels in the order of its first sample, without the type's own label.
    var labels: [Label]
    /// `labels` sorted by name, to compare label sets regardless of order.
    var key: [Label]
    /// The first sample's labels as input ranges (without the type's own label), for a cheap
    /// byte comparison with the next sample's.
    var raw: [RawLabel]
    var timestampMs: Int64?
    var lastLine: Int

    var scalar: Double?
    var total: Double?
    var created: Double?
    var exemplar: Exemplar?
    var buckets: [Bucket] = []
    var count: Double?
    var sum: Double?
    var quantiles: [Quantile] = []
    var sawInfo = false
    var states: [State] = []
    /// Quantile ranks and state names seen, kept once a point has more than 32 of them
    /// (hostile input only), so duplicate checks stay linear.
    var longQuantileRanks: Set<Double>?
    var longStateNames: Set<String>?

    init(labels: [Label], key: [Label], raw: [RawLabel], timestampMs: Int64?, line: Int) {
        self.labels = labels
        self.key = key
        self.raw = raw
        self.timestampMs = timestampMs
        self.lastLine = line
    }

    /// `name{a="b",…}` for messages.
    func describe(_ name: String) -> String {
        name + ExpositionValidator.render(labels)
    }

    /// Whether `sample` (skipping index `skip`) has the same labels, byte for byte and in the
    /// same order, as this point's first sample.
    func matchesRaw(_ sample: [RawLabel], skipping skip: Int, in input: UnsafeBufferPointer<UInt8>) -> Bool {
        if sample.count - (skip >= 0 ? 1 : 0) != raw.count { return false }
        var k = 0
        for (j, label) in sample.enumerated() where j != skip {
            let mine = raw[k]
            k += 1
            if !Self.sameBytes(input, mine.nameStart, mine.nameEnd, label.nameStart, label.nameEnd) { return false }
            if !Self.sameBytes(input, mine.valueStart, mine.valueEnd, label.valueStart, label.valueEnd) { return false }
        }
        return true
    }

    private static func sameBytes(_ input: UnsafeBufferPointer<UInt8>, _ a: Int, _ aEnd: Int, _ b: Int, _ bEnd: Int)
        -> Bool
    {
        if aEnd - a != bEnd - b { return false }
        if a == b { return true }
        for k in 0..<(aEnd - a) where input[a + k] != input[b + k] { return false }
        return true
    }

    /// The model value of a finished point, after the checks that need the whole point.
    /// `fail` builds an error for the point's last line.
    func value(type: MetricType, name: String, fail: (String) -> ExpositionError) throws -> MetricValue {
        switch type {
        case .gauge: return .gauge(scalar ?? 0)
        case .untyped: return .untyped(scalar ?? 0)
        case .counter:
            guard let total else {
                throw fail("counter \(describe(name)) has \(name)_created but no \(name)_total sample")
            }
            return .counter(CounterValue(total, created: created, exemplar: exemplar))
        case .histogram, .gaugeHistogram:
            try checkHistogram(gauge: type == .gaugeHistogram, name: name, fail: fail)
            return .histogram(HistogramValue(buckets: buckets, count: count, sum: sum, created: created))
        case .summary:
            return .summary(SummaryValue(quantiles: quantiles, count: count, sum: sum, created: created))
        case .info:
            return .info
        case .stateSet:
            return .stateSet(states)
        }
    }

    private func checkHistogram(gauge: Bool, name: String, fail: (String) -> ExpositionError) throws {
        let what = gauge ? "gauge histogram" : "histogram"
        let countName = name + (gauge ? "_gcount" : "_count")
        let sumName = name + (gauge ? "_gsum" : "_sum")
        guard let last = buckets.last, last.upperBound == .infinity else {
            throw fail("\(what) \(describe(name)) has no le=\"+Inf\" bucket")
        }
        if let count, !sameValue(count, last.cumulativeCount) {
            throw fail(
                "\(countName) (\(NumberFormatting.string(count))) of \(describe(name)) differs from its +Inf bucket (\(NumberFormatting.string(last.cumulativeCount)))"
            )
        }
        if count != nil, sum == nil { throw fail("\(what) \(describe(name)) has \(countName) but no \(sumName)") }
        if sum != nil, count == nil { throw fail("\(what) \(describe(name)) has \(sumName) but no \(countName)") }
        let negativeBuckets = buckets.first.map { $0.upperBound < 0 } ?? false
        if let sum {
            if !gauge && negativeBuckets {
                throw fail("histogram \(describe(name)) has buckets below zero, so it must not have \(sumName)")
            }
            if gauge && sum < 0 && !negativeBuckets {
                throw fail("\(sumName) of \(describe(name)) is negative although no bucket is below zero")
            }
        }
    }
}
