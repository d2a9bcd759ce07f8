import Abacus
import CoreMetrics

// The handlers the factory hands out. Each holds its Abacus series directly, so a call from
// swift-metrics is one call on the instrument: no lookup, no lock (except what the instrument
// itself takes: a summary with quantiles).

/// Removes one series from its family, for the `destroy*` calls.
struct SeriesRemoval: Sendable {
    private let remove: @Sendable () -> Void

    /// Removes the series with `values` through `remove`, a family's `remove(_:)`.
    init(values: [String], remove: @escaping @Sendable ([String]) -> Bool) {
        self.remove = { _ = remove(values) }
    }

    func callAsFunction() { remove() }
}

/// `Counter` and `FloatingPointCounter` → one series of a counter family.
final class CounterBackend: CounterHandler, FloatingPointCounterHandler {
    let counter: AbacusCounter
    let removal: SeriesRemoval

    init(_ counter: AbacusCounter, removal: SeriesRemoval) {
        self.counter = counter
        self.removal = removal
    }

    /// Negative amounts are ignored (by the counter).
    func increment(by amount: Int64) { counter.increment(by: Int(truncatingIfNeeded: amount)) }

    /// Negative, NaN and infinite amounts are ignored: one bad value must not spoil the total.
    func increment(by amount: Double) {
        guard amount.isFinite else { return }
        counter.increment(by: amount)
    }

    /// Sets the series back to zero; Prometheus reads it as a counter reset.
    func reset() { counter.reset() }
}

/// `Meter` and `Recorder(aggregate: false)` (so `Gauge`) → one series of a gauge family.
final class GaugeBackend: MeterHandler, RecorderHandler {
    let gauge: AbacusGauge
    let removal: SeriesRemoval

    init(_ gauge: AbacusGauge, removal: SeriesRemoval) {
        self.gauge = gauge
        self.removal = removal
    }

    func set(_ value: Int64) { gauge.set(Double(value)) }
    func set(_ value: Double) { gauge.set(value) }
    func increment(by amount: Double) { gauge.increment(by: amount) }
    func decrement(by amount: Double) { gauge.decrement(by: amount) }
    func record(_ value: Int64) { gauge.set(Double(value)) }
    func record(_ value: Double) { gauge.set(value) }
}

/// `Recorder(aggregate: true)` and `Timer` → one series of a histogram family. Timers record
/// nanoseconds; the histogram observes seconds.
final class HistogramBackend: RecorderHandler, TimerHandler {
    let histogram: AbacusHistogram
    let removal: SeriesRemoval

    init(_ histogram: AbacusHistogram, removal: SeriesRemoval) {
        self.histogram = histogram
        self.removal = removal
    }

    func record(_ value: Int64) { histogram.observe(Double(value)) }
    func record(_ value: Double) { histogram.observe(value) }
    func recordNanoseconds(_ duration: Int64) { histogram.observe(Double(duration) / 1_000_000_000) }
    /// Ignored: timers are exported in seconds, Prometheus' base unit.
    func preferDisplayUnit(_ unit: TimeUnit) {}
}

/// `Recorder(aggregate: true)` and `Timer` → one series of a summary family. Timers record
/// nanoseconds; the summary observes seconds.
final class SummaryBackend: RecorderHandler, TimerHandler {
    let summary: AbacusSummary
    let removal: SeriesRemoval

    init(_ summary: AbacusSummary, removal: SeriesRemoval) {
        self.summary = summary
        self.removal = removal
    }

    func record(_ value: Int64) { summary.observe(Double(value)) }
    func record(_ value: Double) { summary.observe(value) }
    func recordNanoseconds(_ duration: Int64) { summary.observe(Double(duration) / 1_000_000_000) }
    /// Ignored: timers are exported in seconds, Prometheus' base unit.
    func preferDisplayUnit(_ unit: TimeUnit) {}
}

/// What a metric the registry refused gets: every call is accepted and dropped.
final class UnexportedBackend: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler,
    TimerHandler
{
    static let shared = UnexportedBackend()

    func increment(by amount: Int64) {}
    func increment(by amount: Double) {}
    func reset() {}
    func set(_ value: Int64) {}
    func set(_ value: Double) {}
    func decrement(by amount: Double) {}
    func record(_ value: Int64) {}
    func record(_ value: Double) {}
    func recordNanoseconds(_ duration: Int64) {}
}
