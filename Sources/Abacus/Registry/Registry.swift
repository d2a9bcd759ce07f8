public import AbacusExposition
import Synchronization

/// The metrics of a program: instruments registered by name, collectors, and their exposition
/// in the Prometheus text format 0.0.4, OpenMetrics 1.0 or protobuf.
///
/// ```swift
/// let registry = Registry()
/// let jobs = try registry.counter("jobs_processed_total", help: "Jobs processed.")
/// let requests = try registry.counter(
///     "http_requests_total", help: "HTTP requests.", labelNames: ["method", "code"])
/// jobs.increment()
/// try requests.labels("GET", "200").increment()
/// let body = registry.exposition(format: .text)
/// ```
///
/// - Registering a name twice with the same type, help, unit, label names (and buckets or
///   objectives) returns the instrument registered first, so libraries can register what they
///   use without coordinating. Anything else that clashes throws ``RegistrationError``.
/// - Counter names get `_total` appended when they do not end with it (as the Python client
///   does), so every format agrees on the sample name.
/// - Output is sorted: families by name, series by label values. Rendering copies the list of
///   families and of each family's series under their locks (pointer copies) and reads the
///   values outside them, so a scrape of 100,000 series holds up no increment.
/// - ``init(processMetrics:)`` registers ``ProcessMetrics`` unless told not to.
public final class Registry: Sendable {
    /// A registry for the whole program, with process metrics; the default of the other
    /// Abacus modules.
    public static let shared = Registry()

    private let state = Mutex(RegistryState())
    /// The size of the last text exposition, reserved up front for the next one.
    private let lastTextSize = Atomic<Int>(4096)

    /// Creates a registry; `processMetrics` registers ``ProcessMetrics`` (`process_*`).
    public init(processMetrics: Bool = true) {
        if processMetrics { try? register(ProcessMetrics()) }
    }

    // MARK: Counters

    /// A counter without labels. `_total` is appended to `name` when missing.
    public func counter(_ name: String, help: String, unit: String? = nil) throws(RegistrationError)
        -> AbacusCounter
    {
        let descriptor = try Self.describe(counter: name, help: help, unit: unit, labelNames: nil)
        return try register(descriptor) {
            let counter = AbacusCounter(series: .unlabelled)
            return (.counter(.single(counter)), counter)
        }
    }

    /// A counter with label names: one series per label set. `_total` is appended to `name`
    /// when missing.
    public func counter(_ name: String, help: String, unit: String? = nil, labelNames: [String])
        throws(RegistrationError) -> CounterFamily
    {
        let descriptor = try Self.describe(counter: name, help: help, unit: unit, labelNames: labelNames)
        return try register(descriptor) {
            let core = FamilyCore(name: descriptor.name, labelNames: labelNames) { AbacusCounter(series: $0) }
            return (.counter(.family(core)), CounterFamily(core: core))
        }
    }

    /// A counter whose value `value` returns at each scrape, e.g. a total another library
    /// keeps. `_total` is appended to `name` when missing.
    public func counter(
        _ name: String, help: String, unit: String? = nil, value: @escaping @Sendable () -> Double
    ) throws(RegistrationError) {
        var descriptor = try Self.describe(counter: name, help: help, unit: unit, labelNames: nil)
        descriptor.isCallback = true
        let _: Callback = try register(descriptor) { (.callback(value), Callback()) }
    }

    // MARK: Gauges

    /// A gauge without labels.
    public func gauge(_ name: String, help: String, unit: String? = nil) throws(RegistrationError) -> AbacusGauge {
        let descriptor = try Self.describe(name, .gauge, help: help, unit: unit, labelNames: nil)
        return try register(descriptor) {
            let gauge = AbacusGauge(series: .unlabelled)
            return (.gauge(.single(gauge)), gauge)
        }
    }

    /// A gauge with label names: one series per label set.
    public func gauge(_ name: String, help: String, unit: String? = nil, labelNames: [String])
        throws(RegistrationError) -> GaugeFamily
    {
        let descriptor = try Self.describe(name, .gauge, help: help, unit: unit, labelNames: labelNames)
        return try register(descriptor) {
            let core = FamilyCore(name: descriptor.name, labelNames: labelNames) { AbacusGauge(series: $0) }
            return (.gauge(.family(core)), GaugeFamily(core: core))
        }
    }

    /// A gauge whose value `value` returns at each scrape, e.g. the length of a queue.
    public func gauge(
        _ name: String, help: String, unit: String? = nil, value: @escaping @Sendable () -> Double
    ) throws(RegistrationError) {
        var descriptor = try Self.describe(name, .gauge, help: help, unit: unit, labelNames: nil)
        descriptor.isCallback = true
        let _: Callback = try register(descriptor) { (.callback(value), Callback()) }
    }

    // MARK: Histograms

    /// A histogram without labels.
    public func histogram(_ name: String, help: String, unit: String? = nil, buckets: Buckets = .default)
        throws(RegistrationError) -> AbacusHistogram
    {
        var descriptor = try Self.describe(name, .histogram, help: help, unit: unit, labelNames: nil)
        descriptor.bounds = try Self.bounds(buckets, name: descriptor.name)
        let layout = HistogramLayout(bounds: descriptor.bounds)
        return try register(descriptor) {
            let histogram = AbacusHistogram(series: .unlabelled, layout: layout)
            return (.histogram(.single(histogram), layout), histogram)
        }
    }

    /// A histogram with label names: one series per label set, all with `buckets`.
    public func histogram(
        _ name: String, help: String, unit: String? = nil, buckets: Buckets = .default, labelNames: [String]
    ) throws(RegistrationError) -> HistogramFamily {
        var descriptor = try Self.describe(name, .histogram, help: help, unit: unit, labelNames: labelNames)
        descriptor.bounds = try Self.bounds(buckets, name: descriptor.name)
        let layout = HistogramLayout(bounds: descriptor.bounds)
        return try register(descriptor) {
            let core = FamilyCore(name: descriptor.name, labelNames: labelNames) {
                AbacusHistogram(series: $0, layout: layout)
            }
            return (.histogram(.family(core), layout), HistogramFamily(core: core, layout: layout))
        }
    }

    // MARK: Summaries

    /// A summary without labels; `objectives` name the quantiles to estimate (none by default:
    /// only `_sum` and `_count`).
    public func summary(
        _ name: String, help: String, unit: String? = nil, objectives: SummaryObjectives = SummaryObjectives()
    ) throws(RegistrationError) -> AbacusSummary {
        var descriptor = try Self.describe(name, .summary, help: help, unit: unit, labelNames: nil)
        let targets = try Self.targets(objectives, name: descriptor.name)
        descriptor.objectives = objectives
        return try register(descriptor) {
            let summary = AbacusSummary(series: .unlabelled, targets: targets, objectives: objectives)
            return (.summary(.single(summary)), summary)
        }
    }

    /// A summary with label names: one series per label set, all with `objectives`.
    public func summary(
        _ name: String, help: String, unit: String? = nil, objectives: SummaryObjectives = SummaryObjectives(),
        labelNames: [String]
    ) throws(RegistrationError) -> SummaryFamily {
        var descriptor = try Self.describe(name, .summary, help: help, unit: unit, labelNames: labelNames)
        let targets = try Self.targets(objectives, name: descriptor.name)
        descriptor.objectives = objectives
        return try register(descriptor) {
            let core = FamilyCore(name: descriptor.name, labelNames: labelNames) {
                AbacusSummary(series: $0, targets: targets, objectives: objectives)
            }
            return (.summary(.family(core)), SummaryFamily(core: core))
        }
    }

    // MARK: Collectors and removal

    /// Registers a collector. Its families are collected once now to check their names
    /// against what is registered.
    public func register(_ collector: some MetricCollector) throws(RegistrationError) {
        let families = collector.collect()
        try state.withLock { state throws(RegistrationError) in
            var claims: [String] = []
            for family in families {
                let descriptor = RegisteredFamily.Descriptor(
                    name: family.name, type: family.type, help: family.help ?? "", unit: family.unit,
                    labelNames: [], labelled: true)
                for claim in descriptor.claimedNames {
                    if let owner = state.claimed[claim] ?? (claims.contains(claim) ? family.name : nil) {
                        throw RegistrationError(name: family.name, reason: .conflict(with: owner))
                    }
                }
                claims.append(contentsOf: descriptor.claimedNames)
            }
            let id = state.nextCollectorID
            state.nextCollectorID += 1
            state.collectors.append((id, collector, claims))
            for claim in claims { state.claimed[claim] = "collector #\(id)" }
        }
    }

    /// Removes the family named `name` (for counters, with `_total` appended when missing);
    /// `false` when there is none. Instruments still held keep working, unseen.
    @discardableResult
    public func unregister(_ name: String) -> Bool {
        state.withLock { state in
            let key = state.families[name] != nil || name.hasSuffix("_total") ? name : name + "_total"
            guard let family = state.families.removeValue(forKey: key) else { return false }
            for claim in family.descriptor.claimedNames { state.claimed[claim] = nil }
            state.sorted = nil
            return true
        }
    }

    // MARK: Exposition

    /// Every family, sorted by name, each metric's labels prefixed with `extraLabels` (a
    /// series' own label of the same name wins).
    public func collect(extraLabels: [Label] = []) -> [MetricFamily] {
        let (registered, collected) = snapshot()
        var families: [MetricFamily] = []
        families.reserveCapacity(registered.count + collected.count)
        Self.merge(registered, collected) { item in
            switch item {
            case .registered(let family): families.append(Render.model(family, extraLabels: extraLabels))
            case .collected(let family): families.append(Render.withExtraLabels(family, extraLabels))
            }
        }
        return families
    }

    /// The exposition in `format`, every series labelled with `extraLabels` as well (a
    /// series' own label of the same name wins). Text is written straight from the
    /// instruments (label sets are escaped once, when a series is created); the other formats
    /// go through ``collect(extraLabels:)`` and the shared encoders.
    public func exposition(format: ExpositionFormat = .text, extraLabels: [Label] = []) -> [UInt8] {
        guard format == .text else { return Exposition.encode(collect(extraLabels: extraLabels), format: format) }
        let (registered, collected) = snapshot()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(lastTextSize.load(ordering: .relaxed) + 1024)
        Self.merge(registered, collected) { item in
            switch item {
            case .registered(let family): Render.text(family, extraLabels: extraLabels, to: &buffer)
            case .collected(let family): TextEncoder.append(Render.withExtraLabels(family, extraLabels), to: &buffer)
            }
        }
        lastTextSize.store(buffer.count, ordering: .relaxed)
        return buffer
    }

    // MARK: Internals

    /// The registered families in name order and the collectors' families, taken under the
    /// lock and collected outside it.
    private func snapshot() -> ([RegisteredFamily], [MetricFamily]) {
        let (registered, collectors) = state.withLock { state in
            (state.sortedFamilies(), state.collectors.map { $0.collector })
        }
        var collected: [MetricFamily] = []
        var seen = Set(registered.map(\.name))
        for collector in collectors {
            for family in collector.collect() where seen.insert(family.name).inserted {
                collected.append(family)
            }
        }
        collected.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return (registered, collected)
    }

    private enum Item {
        case registered(RegisteredFamily)
        case collected(MetricFamily)
    }

    /// Calls `body` with both sorted lists merged in name order.
    private static func merge(
        _ registered: [RegisteredFamily], _ collected: [MetricFamily], _ body: (Item) -> Void
    ) {
        var i = 0
        var j = 0
        while i < registered.count || j < collected.count {
            if j == collected.count
                || (i < registered.count
                    && registered[i].name.utf8.lexicographicallyPrecedes(collected[j].name.utf8))
            {
                body(.registered(registered[i]))
                i += 1
            } else {
                body(.collected(collected[j]))
                j += 1
            }
        }
    }

    private struct Callback: Sendable {}

    private func register<Handle: Sendable>(
        _ descriptor: RegisteredFamily.Descriptor, make: () -> (RegisteredFamily.Kind, Handle)
    ) throws(RegistrationError) -> Handle {
        try state.withLock { state throws(RegistrationError) -> Handle in
            if let existing = state.families[descriptor.name] {
                if existing.descriptor == descriptor, !descriptor.isCallback, let handle = existing.handle as? Handle {
                    return handle
                }
                throw RegistrationError(name: descriptor.name, reason: .conflict(with: existing.name))
            }
            for claim in descriptor.claimedNames {
                if let owner = state.claimed[claim] {
                    throw RegistrationError(name: descriptor.name, reason: .conflict(with: owner))
                }
            }
            let (kind, handle) = make()
            state.families[descriptor.name] = RegisteredFamily(descriptor: descriptor, kind: kind, handle: handle)
            for claim in descriptor.claimedNames { state.claimed[claim] = descriptor.name }
            state.sorted = nil
            return handle
        }
    }
}

/// The registry's mutable part, behind its lock.
struct RegistryState: ~Copyable {
    var families: [String: RegisteredFamily] = [:]
    var collectors: [(id: Int, collector: any MetricCollector, claims: [String])] = []
    var nextCollectorID = 1
    /// Sample name → the family (or collector) that exposes it.
    var claimed: [String: String] = [:]
    /// `families` in name order, rebuilt after a registration.
    var sorted: [RegisteredFamily]?

    mutating func sortedFamilies() -> [RegisteredFamily] {
        if let sorted { return sorted }
        let result = families.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        sorted = result
        return result
    }
}
