/// Targeted quantiles over a stream in bounded memory: the biased-quantiles algorithm of
/// Cormode, Korn, Muthukrishnan and Srivastava ("Effective computation of biased quantiles over
/// data streams", ICDE 2005), as client_golang's summaries use it.
///
/// For each target φ with error ε, ``query(_:)`` returns a value whose rank is within ε·n of
/// φ·n. The stream keeps a sorted list of (value, g, Δ) tuples, where g is the rank gap to the
/// previous tuple and Δ the uncertainty of the tuple's rank; neighbours are merged whenever the
/// invariant allows, so memory grows with log(ε·n)/ε rather than with n.
struct QuantileStream: Sendable {
    struct Tuple: Sendable {
        var value: Double
        var gap: Double
        var delta: Double
    }

    /// The targets: (φ, ε) pairs.
    let targets: [(quantile: Double, epsilon: Double)]
    private(set) var tuples: [Tuple] = []
    /// Observations merged so far.
    private(set) var count: Double = 0

    init(targets: [(quantile: Double, epsilon: Double)]) { self.targets = targets }

    /// The allowed rank uncertainty at rank `rank`: the tightest over all targets.
    private func allowed(_ rank: Double) -> Double {
        var bound = Double.greatestFiniteMagnitude
        for target in targets {
            let f =
                target.quantile * count <= rank
                ? 2 * target.epsilon * rank / target.quantile
                : 2 * target.epsilon * (count - rank) / (1 - target.quantile)
            if f < bound { bound = f }
        }
        return bound
    }

    /// Merges `sorted` (ascending) into the stream and compresses it. O(tuples + batch).
    mutating func merge(sorted batch: [Double]) {
        guard !batch.isEmpty else { return }
        var merged: [Tuple] = []
        merged.reserveCapacity(tuples.count + batch.count)
        var rank = 0.0
        var i = 0
        for value in batch {
            while i < tuples.count, tuples[i].value <= value {
                rank += tuples[i].gap
                merged.append(tuples[i])
                i += 1
            }
            // Inside the list the new tuple's rank is uncertain by what the invariant allows;
            // at either end it is exact.
            let inside = i < tuples.count && !merged.isEmpty
            let delta = inside ? Swift.max(0, (allowed(rank)).rounded(.down) - 1) : 0
            merged.append(Tuple(value: value, gap: 1, delta: delta))
            count += 1
            rank += 1
        }
        merged.append(contentsOf: tuples[i...])
        tuples = merged
        compress()
    }

    /// Merges neighbours whose combined gap and uncertainty stay within the invariant.
    private mutating func compress() {
        guard tuples.count > 2 else { return }
        // Walk from the top down, keeping the last tuple and the first (exact minimum).
        var kept: [Tuple] = []
        kept.reserveCapacity(tuples.count)
        var upper = tuples[tuples.count - 1]
        var rank = count - 1 - upper.gap
        var index = tuples.count - 2
        while index >= 1 {
            let current = tuples[index]
            if current.gap + upper.gap + upper.delta <= allowed(rank) {
                upper.gap += current.gap
            } else {
                kept.append(upper)
                upper = current
            }
            rank -= current.gap
            index -= 1
        }
        kept.append(upper)
        kept.append(tuples[0])
        tuples = kept.reversed()
    }

    /// The value at quantile `phi`; NaN when the stream is empty.
    func query(_ phi: Double) -> Double {
        guard let first = tuples.first else { return .nan }
        var target = (phi * count).rounded(.up)
        target += (allowed(target) / 2).rounded(.up)
        var previous = first
        var rank = 0.0
        for tuple in tuples.dropFirst() {
            rank += previous.gap
            if rank + tuple.gap + tuple.delta > target { return previous.value }
            previous = tuple
        }
        return previous.value
    }

    /// Forgets every observation.
    mutating func reset() {
        tuples.removeAll(keepingCapacity: true)
        count = 0
    }
}
