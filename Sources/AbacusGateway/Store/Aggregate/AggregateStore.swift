import AbacusExposition

/// The aggregated series: what JSON ops and the aggregating push endpoint build up, as opposed
/// to the groups the Pushgateway API replaces. Lives behind ``GroupStore``'s lock, beside the
/// groups, so the rules span both: one type per name in the whole gateway (the aggregate holds
/// each of its families in the ``FamilyIndex`` like a group does), no series both pushed in a
/// group and aggregated.
///
/// A series is its name and sorted labels (the configured extra labels included). Its type is
/// fixed by the first message for its name, and so is the set of label names; a histogram's
/// bucket layout is fixed by its first observation.
struct AggregateStore {
    /// One aggregated metric name.
    struct Family {
        var type: MetricType
        /// Sorted label names every series of the family has.
        var labelNames: [String]
        /// `# HELP name text\n`, from the first message that had one.
        var helpLine: [UInt8]
        var members: Set<Int32> = []
        /// `members` in label order, for scrapes; rebuilt after a series came or went.
        var order: [Int32]?
    }

    /// One aggregated series.
    struct Series {
        var family: Int32
        /// The family's type (kept here so the hot path reads one struct).
        var type: MetricType
        /// The series' identity and storage key: `name{a="x",b="y"}` (labels sorted, escaped).
        var key: String
        /// `a="x",b="y"`: what goes between the braces of every line.
        var labelText: [UInt8]
        var fingerprint: UInt64
        /// Counter or gauge value; the sum of a histogram or summary.
        var value: Double
        /// Observations of a histogram or summary.
        var count: Double = 0
        /// A histogram's finite upper bounds; empty otherwise.
        var bounds: [Double] = []
        /// Per-bucket (not cumulative) counts, one per bound plus `+Inf`.
        var buckets: [Double] = []
        var updatedMs: Int64
        var dirty = true
    }

    var families: [Int32: Family] = [:]
    var slots: [Series?] = []
    /// Bumped each time a slot is created or freed: a ``QuickKeyCache`` entry with an older
    /// generation points at a series that is gone.
    var generations: [UInt32] = []
    var free: [Int32] = []
    var byKey: [String: Int32] = [:]
    var quick = QuickKeyCache()
    /// Series changed since the last flush to the journal.
    var dirty: [Int32] = []
    /// Sample lines the series write (a histogram: buckets + 2).
    var lineCount = 0
    var count: Int { byKey.count }

    static func lines(_ type: MetricType, bounds: Int) -> Int {
        switch type {
        case .histogram: bounds + 3
        case .summary: 2
        default: 1
        }
    }

    mutating func markDirty(_ slot: Int32) {
        if !slots[Int(slot)]!.dirty {
            slots[Int(slot)]!.dirty = true
            dirty.append(slot)
        }
    }
}

/// How a value changes an aggregated series.
enum AggregateUpdate {
    /// Counter add (checked ≥ 0 before).
    case add(Double)
    /// Gauge set.
    case set(Double)
    /// Gauge add.
    case gaugeAdd(Double)
    /// One histogram observation.
    case observe(Double)
    /// A pushed histogram's counts added (cumulative counts per finite bound, then count, sum).
    case mergeHistogram(bounds: [Double], cumulative: [Double], count: Double, sum: Double)
    /// A pushed summary's count and sum added.
    case mergeSummary(count: Double, sum: Double)

    var type: MetricType {
        switch self {
        case .add: .counter
        case .set, .gaugeAdd: .gauge
        case .observe, .mergeHistogram: .histogram
        case .mergeSummary: .summary
        }
    }

    /// The finite bounds a merged histogram brings; empty for every other update.
    var bounds: [Double] {
        if case .mergeHistogram(let bounds, _, _, _) = self { return bounds }
        return []
    }

    /// How a parsed sample merges into a series (an aggregating push, or a series read back
    /// from storage): counters add, gauges and untyped samples set, histograms and summaries
    /// add their counts and sums (quantiles are dropped). `nil` for the other types.
    init?(merging value: MetricValue) {
        switch value {
        case .counter(let counter): self = .add(counter.value)
        case .gauge(let value), .untyped(let value): self = .set(value)
        case .histogram(let histogram):
            let finite = histogram.buckets.filter { $0.upperBound.isFinite }
            let total = histogram.buckets.last { !$0.upperBound.isFinite }?.cumulativeCount
            self = .mergeHistogram(
                bounds: finite.map(\.upperBound), cumulative: finite.map(\.cumulativeCount),
                count: histogram.count ?? total ?? 0, sum: histogram.sum ?? 0)
        case .summary(let summary): self = .mergeSummary(count: summary.count ?? 0, sum: summary.sum ?? 0)
        default: return nil
        }
    }
}

extension AggregateStore.Series {
    /// Applies an update whose type matches the series (checked by the caller).
    @inline(__always)
    mutating func apply(_ update: AggregateUpdate) {
        switch update {
        case .add(let v), .gaugeAdd(let v): value += v
        case .set(let v): value = v
        case .observe(let v): observe(v)
        case .mergeHistogram(_, let cumulative, let count, let sum):
            var previous = 0.0
            for (index, total) in cumulative.enumerated() {
                buckets[index] += total - previous
                previous = total
            }
            buckets[buckets.count - 1] += count - previous
            self.count += count
            value += sum
        case .mergeSummary(let count, let sum):
            self.count += count
            value += sum
        }
    }

    @inline(__always)
    mutating func observe(_ v: Double) {
        // The first bound ≥ v (binary search), or +Inf.
        var low = 0
        var high = bounds.count
        while low < high {
            let mid = (low + high) >> 1
            if bounds[mid] >= v { high = mid } else { low = mid + 1 }
        }
        buckets[low] += 1
        count += 1
        value += v
    }
}
