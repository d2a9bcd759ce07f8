/// A gauge: a value that goes up and down, such as queue length, temperature or the time of
/// the last successful run.
///
/// Every operation is one atomic instruction (set) or a compare-and-exchange loop (add), with
/// no lock and no allocation. Values are `Double`; NaN and infinities are stored as given.
public final class AbacusGauge: Sendable, FamilyMember {
    private let cell: AtomicDouble
    let series: SeriesLabels

    init(series: SeriesLabels) {
        self.series = series
        self.cell = AtomicDouble(0)
    }

    /// Sets the value.
    @inline(__always)
    public func set(_ value: Double) { cell.store(value) }

    /// Adds `amount` (default 1).
    @inline(__always)
    public func increment(by amount: Double = 1) { cell.add(amount) }

    /// Subtracts `amount` (default 1).
    @inline(__always)
    public func decrement(by amount: Double = 1) { cell.add(-amount) }

    /// Sets the value to the current Unix time in seconds, e.g. for `last_success_timestamp_seconds`.
    public func setToCurrentTime() { cell.store(Clock.unixNow()) }

    /// Increments the gauge while `body` runs and decrements it afterwards, also when `body`
    /// throws or its task is cancelled.
    public func trackInProgress<T>(_ body: () async throws -> T) async rethrows -> T {
        increment()
        defer { decrement() }
        return try await body()
    }

    /// Sets the gauge to how long `body` took, in seconds (monotonic clock).
    public func setToDuration<T, E: Error>(of body: () throws(E) -> T) throws(E) -> T {
        let start = Clock.monotonicNanoseconds()
        defer { set(Double(Clock.monotonicNanoseconds() &- start) / 1e9) }
        return try body()
    }

    /// The current value.
    public var value: Double { cell.load() }
}

/// The series of a gauge with label names, one per label set (see ``CounterFamily`` for how
/// lookups work and cost).
public final class GaugeFamily: Sendable {
    let core: FamilyCore<AbacusGauge>

    init(core: FamilyCore<AbacusGauge>) { self.core = core }

    /// The label names, in the order ``labels(_:)-([String])`` takes values.
    public var labelNames: [String] { core.labelNames }

    /// The series for one label value.
    public func labels(_ value: String) throws(LabelError) -> AbacusGauge { try core.child(value) }

    /// The series for two label values.
    public func labels(_ first: String, _ second: String) throws(LabelError) -> AbacusGauge {
        try core.child(first, second)
    }

    /// The series for three label values.
    public func labels(_ first: String, _ second: String, _ third: String) throws(LabelError) -> AbacusGauge {
        try core.child(first, second, third)
    }

    /// The series for these values, given in the order of ``labelNames``.
    public func labels(_ values: [String]) throws(LabelError) -> AbacusGauge { try core.withValues(values) }

    /// The series for these label names and values; every label name must be given.
    public func labels(_ labels: [String: String]) throws(LabelError) -> AbacusGauge { try core.child(labels) }

    /// Removes the series with these values from the exposition; `false` when there is none.
    @discardableResult
    public func remove(_ values: String...) -> Bool { core.remove(values) }

    /// Removes the series with these values (in the order of ``labelNames``); `false` when
    /// there is none.
    @discardableResult
    public func remove(_ values: [String]) -> Bool { core.remove(values) }

    /// Removes every series.
    public func removeAll() { core.removeAll() }
}
