/// Collects the samples of one family as they are parsed and assembles its metrics.
///
/// Histograms and summaries are built in place (`partials`), so a bucket line costs no copy;
/// their series are found by a byte key of their labels, checked against the previous line's
/// first so that consecutive lines of one series cost no hashing.
struct FamilyBuilder: Sendable {
    let name: String
    let nameBytes: [UInt8]
    var type: MetricType = .untyped
    var help: String?
    var sawType = false
    let firstLine: Int
    /// Metrics of scalar families (counter, gauge, untyped), in order.
    var metrics: [Metric] = []
    /// Histogram and summary series under construction, in order of first appearance.
    var partials: [Partial] = []
    /// The line of each metric's first sample, for error messages.
    var metricLines: [Int] = []
    /// Label keys of the partial series, back to back (`keyEnds[i]` ends series `i`'s key), found
    /// by a 64-bit FNV-1a hash chained through `nextWithSameHash`: no allocation per series.
    var keyBytes: [UInt8] = []
    var keyEnds: [Int] = []
    var firstWithHash: [UInt64: Int] = [:]
    var nextWithSameHash: [Int] = []
    var lastIndex = -1

    struct Partial: Sendable {
        var labels: [Label]
        var timestampMs: Int64?
        var histogram = HistogramValue(buckets: [])
        var summary = SummaryValue(quantiles: [])

        /// Sets the histogram's or summary's `_sum` or `_count`; returns whether it was set already.
        mutating func set(isSum: Bool, _ value: Double, histogram isHistogram: Bool) -> Bool {
            func assign(_ slot: inout Double?) -> Bool {
                defer { slot = value }
                return slot != nil
            }
            switch (isHistogram, isSum) {
            case (true, true): return assign(&histogram.sum)
            case (true, false): return assign(&histogram.count)
            case (false, true): return assign(&summary.sum)
            case (false, false): return assign(&summary.count)
            }
        }
    }

    init(name: String, line: Int) {
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.firstLine = line
    }

    var hasSamples: Bool { !metrics.isEmpty || !partials.isEmpty }

    /// The role a sample name plays in this family, or `nil` if it belongs to another family.
    func role(of sample: UnsafeBufferPointer<UInt8>) -> SampleRole? {
        let n = nameBytes.count
        if sample.count == n {
            guard nameBytes.withUnsafeBufferPointer({ bytesEqual(sample, $0) }) else { return nil }
            switch type {
            case .summary: return .quantile
            case .histogram, .gaugeHistogram: return .histogramBase
            default: return .value
            }
        }
        guard type == .summary || type == .histogram, sample.count > n,
            nameBytes.withUnsafeBufferPointer({ bytesEqual(UnsafeBufferPointer(rebasing: sample[0..<n]), $0) })
        else { return nil }
        let suffix = UnsafeBufferPointer(rebasing: sample[n...])
        if bytesEqual(suffix, "_sum") { return .sum }
        if bytesEqual(suffix, "_count") { return .count }
        if type == .histogram, bytesEqual(suffix, "_bucket") { return .bucket }
        return nil
    }

    enum SampleRole {
        case value, quantile, sum, count, bucket, histogramBase
    }

    /// The index of the partial series with this label key, created with `makeLabels` if new.
    /// Consecutive lines of one series (the usual order) cost one `memcmp`.
    mutating func partialIndex(key: [UInt8], line: Int, timestampMs: Int64?, makeLabels: () -> [Label]) -> Int {
        key.withUnsafeBufferPointer { key in
            if lastIndex >= 0, keyEquals(lastIndex, key) { return lastIndex }
            var fnv = FNV1a()
            fnv.combine(key)
            let hash = fnv.value
            var candidate = firstWithHash[hash] ?? -1
            while candidate >= 0 {
                if keyEquals(candidate, key) {
                    lastIndex = candidate
                    return candidate
                }
                candidate = nextWithSameHash[candidate]
            }
            let index = partials.count
            partials.append(Partial(labels: makeLabels(), timestampMs: timestampMs))
            metricLines.append(line)
            keyBytes.append(contentsOf: key)
            keyEnds.append(keyBytes.count)
            nextWithSameHash.append(firstWithHash[hash] ?? -1)
            firstWithHash[hash] = index
            lastIndex = index
            return index
        }
    }

    func keyEquals(_ index: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = index == 0 ? 0 : keyEnds[index - 1]
        return keyBytes.withUnsafeBufferPointer {
            bytesEqual(UnsafeBufferPointer(rebasing: $0[start..<keyEnds[index]]), key)
        }
    }

    /// The finished family.
    func build() -> MetricFamily {
        var family = MetricFamily(name: name, type: type, help: help)
        switch type {
        case .histogram, .gaugeHistogram:
            family.metrics = partials.map {
                var histogram = $0.histogram
                // Text 0.0.4 lets the +Inf bucket go unwritten: it holds every observation, so it
                // is the _count, as Prometheus' expfmt reads it (and the Pushgateway serves it).
                // A _count below a written bucket is then caught as falling bucket counts.
                if type == .histogram, let count = histogram.count,
                    histogram.buckets.last.map({ $0.upperBound != .infinity }) ?? true
                {
                    histogram.buckets.append(Bucket(upperBound: .infinity, cumulativeCount: count))
                }
                return Metric(labels: $0.labels, value: .histogram(histogram), timestampMs: $0.timestampMs)
            }
        case .summary:
            family.metrics = partials.map {
                Metric(labels: $0.labels, value: .summary($0.summary), timestampMs: $0.timestampMs)
            }
        default:
            family.metrics = metrics
        }
        return family
    }
}
