public import Abacus
public import CoreMetrics
import Synchronization

/// A swift-metrics backend that exports every metric through an Abacus `Registry`.
///
/// ```swift
/// MetricsSystem.bootstrap(AbacusMetricsFactory(registry: .shared))
/// // …
/// let body = Registry.shared.exposition(format: .text)
/// ```
///
/// ## Mapping
///
/// | swift-metrics | Prometheus |
/// |---|---|
/// | `Counter`, `FloatingPointCounter` | counter, name + `_total` |
/// | `Meter`, `Gauge`, `Recorder(aggregate: false)` | gauge |
/// | `Recorder(aggregate: true)` | histogram or summary (``Configuration/recorders``) |
/// | `Timer` | histogram or summary in seconds, name + `_seconds` (``Configuration/timers``) |
///
/// ## Names
///
/// The label becomes ``sanitizedMetricName(_:)`` (characters outside `[a-zA-Z0-9_:]` → `_`,
/// a leading digit gets a `_` prefix, empty → `_`); counters then get `_total` and timers
/// `_seconds`, each unless the name already ends with it. Dimension names become
/// ``sanitizedLabelName(_:)`` (the same, with `:` → `_` too, a leading `__…` cut to `_`, and
/// `le`/`quantile` prefixed with `_`).
///
/// ## Dimensions
///
/// The first metric made under a name fixes its label names: the distinct sanitised
/// dimension names, sorted. A later metric of that name with other dimension names is
/// exported under the fixed ones: a label it lacks gets the value `""`, a dimension the family
/// lacks is dropped. When two dimensions sanitise to the same label name, the first one's
/// value is kept. These rules hold per factory; the registry itself refuses the same name with
/// other label names (see below).
///
/// ## What is never exported
///
/// swift-metrics handlers cannot throw, and nothing here traps. When the registry refuses a
/// registration (the name is taken by another type, or registered elsewhere with other label
/// names, HELP, buckets or objectives; or the configured buckets or objectives are invalid),
/// the metric gets a handler that accepts every call and exports nothing, and the error is kept
/// in ``rejections``.
///
/// ## Values
///
/// - Counter increments that are negative, NaN or infinite are ignored; `reset()` sets the
///   series back to zero, which Prometheus reads as a counter reset (as after a restart).
/// - Timers record nanoseconds; they are exported as seconds (`ns / 1e9`), whatever
///   `preferDisplayUnit` asks for.
/// - NaN observations of histograms and summaries are ignored; gauges store any value.
///
/// ## Destroying
///
/// `destroy()` on a metric removes its series (its label values) from the family; the family
/// stays registered, with its HELP and TYPE lines. Other handlers of the same series keep
/// working but are not exported until a metric with those values is made again.
///
/// ## Cost
///
/// Making a metric takes the factory's lock, a dictionary lookup and the family's
/// get-or-create (O(number of dimensions)). Every handler holds its Abacus series directly: an
/// increment or observation costs what the Abacus instrument costs (one or two atomic
/// operations), with no lookup.
public final class AbacusMetricsFactory: MetricsFactory, Sendable {
    /// The registry the metrics are registered in.
    public let registry: Registry
    /// How timers and recorders are exported, and the HELP texts.
    public let configuration: Configuration
    let state = Mutex(FactoryState())

    /// A factory registering in `registry` (the shared one by default).
    public init(registry: Registry = .shared, configuration: Configuration = Configuration()) {
        self.registry = registry
        self.configuration = configuration
    }

    /// The registrations the registry refused, first occurrence of each error only, at most
    /// ``maxRejections``; their metrics accept every call and export nothing.
    public var rejections: [RegistrationError] { state.withLock { $0.rejections } }

    /// How many distinct errors ``rejections`` keeps.
    public static let maxRejections = 100

    // MARK: MetricsFactory

    /// A counter: a series of the counter family ``sanitizedMetricName(_:)`` + `_total`.
    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        counter(label: label, dimensions: dimensions)
    }

    /// A floating-point counter: the same series as ``makeCounter(label:dimensions:)``.
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        counter(label: label, dimensions: dimensions)
    }

    /// A meter: a series of the gauge family ``sanitizedMetricName(_:)``.
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        gauge(label: label, dimensions: dimensions)
    }

    /// A recorder: with `aggregate`, a series of a histogram or summary family (as
    /// ``Configuration/recorders`` and ``Configuration/recorderOverrides`` say); without, of a gauge family.
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return gauge(label: label, dimensions: dimensions) }
        let name = Self.sanitizedMetricName(label)
        switch configuration.recorder(label) {
        case .histogram(let buckets): return histogram(name, label, dimensions, buckets)
        case .summary(let objectives): return summary(name, label, dimensions, objectives)
        }
    }

    /// A timer: a series of a histogram or summary family in seconds, named
    /// ``sanitizedMetricName(_:)`` + `_seconds` (unless it ends with `_seconds`).
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let name = Self.timerName(label)
        switch configuration.timer(label) {
        case .histogram(let buckets): return histogram(name, label, dimensions, buckets)
        case .summary(let objectives): return summary(name, label, dimensions, objectives)
        }
    }

    /// Removes the counter's series from its family.
    public func destroyCounter(_ handler: any CounterHandler) { (handler as? CounterBackend)?.removal() }

    /// Removes the meter's series from its family.
    public func destroyMeter(_ handler: any MeterHandler) { (handler as? GaugeBackend)?.removal() }

    /// Removes the counter's series from its family.
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        (handler as? CounterBackend)?.removal()
    }

    /// Removes the recorder's series from its family.
    public func destroyRecorder(_ handler: any RecorderHandler) { Self.destroy(handler) }

    /// Removes the timer's series from its family.
    public func destroyTimer(_ handler: any TimerHandler) { Self.destroy(handler) }

    // MARK: Internals

    private static func destroy(_ handler: AnyObject) {
        switch handler {
        case let gauge as GaugeBackend: gauge.removal()
        case let histogram as HistogramBackend: histogram.removal()
        case let summary as SummaryBackend: summary.removal()
        default: break
        }
    }
}
