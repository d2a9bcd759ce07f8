import AbacusExposition
import Synchronization

/// A counter: a total that only goes up, such as requests served or bytes written.
///
/// Get one from ``Registry/counter(_:help:unit:)`` (one series) or from a ``CounterFamily``
/// (one series per label set), keep it, and call ``increment(by:)-(Int)`` where the event
/// happens: an integral increment is one relaxed atomic addition, with no lock and no
/// allocation. Fractional increments use a compare-and-exchange loop on a second cell, so the
/// integral part stays exact beyond 2⁵³.
///
/// Negative and NaN increments are ignored: a counter cannot go down, and one bad value must
/// not spoil the total. The exposed value is the sum of both cells.
public final class AbacusCounter: Sendable, FamilyMember {
    // The value cells first: a scrape reads only them (and the header) of each counter.
    private let whole = Atomic<UInt64>(0)
    private let fraction = AtomicDouble()
    let series: SeriesLabels
    private let lastExemplar = Mutex<Exemplar?>(nil)
    /// When the series was created, seconds since the Unix epoch (OpenMetrics `_created`).
    let created: Double

    init(series: SeriesLabels) {
        self.series = series
        self.created = Clock.unixNow()
    }

    /// Adds one.
    @inline(__always)
    public func increment() { whole.wrappingAdd(1, ordering: .relaxed) }

    /// Adds `amount`; a negative amount is ignored.
    @inline(__always)
    public func increment(by amount: Int) {
        guard amount >= 0 else { return }
        whole.wrappingAdd(UInt64(amount), ordering: .relaxed)
    }

    /// Adds `amount`; a negative or NaN amount is ignored.
    @inline(__always)
    public func increment(by amount: Double) {
        guard amount >= 0 else { return }
        if amount < 9_007_199_254_740_992, amount == amount.rounded(.towardZero) {
            whole.wrappingAdd(UInt64(amount), ordering: .relaxed)
        } else {
            fraction.add(amount)
        }
    }

    /// Adds `amount` and keeps `exemplar` (for instance a trace ID) as the counter's exemplar,
    /// exposed in OpenMetrics. The exemplar's labels may hold at most 128 UTF-8 characters
    /// together; longer ones are dropped (the increment counts). Takes a lock.
    public func increment(by amount: Double = 1, exemplar labels: [String: String]) {
        guard amount >= 0 else { return }
        increment(by: amount)
        guard let exemplar = Exemplars.make(labels, value: amount) else { return }
        lastExemplar.withLock { $0 = exemplar }
    }

    /// Sets the total back to zero, for APIs that demand it (swift-metrics' `reset()`).
    /// Prometheus reads a decrease as a counter reset, as after a restart.
    public func reset() {
        whole.store(0, ordering: .relaxed)
        fraction.store(0)
    }

    /// The current total.
    public var value: Double { Double(whole.load(ordering: .relaxed)) + fraction.load() }

    /// The last exemplar given, if any.
    var exemplar: Exemplar? { lastExemplar.withLock { $0 } }
}

/// The series of a counter with label names, one per label set.
///
/// `family.labels("GET", "200")` returns the series for those values, creating it on first
/// use; the lookup takes one uncontended lock and allocates nothing when the series exists.
/// Hold on to the returned counter where the label values are fixed, and every increment after
/// that is lock-free.
public final class CounterFamily: Sendable {
    let core: FamilyCore<AbacusCounter>

    init(core: FamilyCore<AbacusCounter>) { self.core = core }

    /// The label names, in the order ``labels(_:)-([String])`` takes values.
    public var labelNames: [String] { core.labelNames }

    /// The series for one label value.
    public func labels(_ value: String) throws(LabelError) -> AbacusCounter { try core.child(value) }

    /// The series for two label values.
    public func labels(_ first: String, _ second: String) throws(LabelError) -> AbacusCounter {
        try core.child(first, second)
    }

    /// The series for three label values.
    public func labels(_ first: String, _ second: String, _ third: String) throws(LabelError) -> AbacusCounter {
        try core.child(first, second, third)
    }

    /// The series for these values, given in the order of ``labelNames``.
    public func labels(_ values: [String]) throws(LabelError) -> AbacusCounter { try core.withValues(values) }

    /// The series for these label names and values; every label name must be given.
    public func labels(_ labels: [String: String]) throws(LabelError) -> AbacusCounter { try core.child(labels) }

    /// Removes the series with these values from the exposition; `false` when there is none.
    /// A counter still held keeps counting, unseen.
    @discardableResult
    public func remove(_ values: String...) -> Bool { core.remove(values) }

    /// Removes the series with these values (in the order of ``labelNames``); `false` when
    /// there is none.
    @discardableResult
    public func remove(_ values: [String]) -> Bool { core.remove(values) }

    /// Removes every series.
    public func removeAll() { core.removeAll() }
}
