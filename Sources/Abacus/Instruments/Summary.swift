import AbacusExposition
import Synchronization

/// What a summary computes: the quantiles to estimate and over which sliding window.
///
/// The defaults are client_golang's: no quantiles (only `_sum` and `_count`, which need no
/// lock), a 10-minute window in 5 age buckets.
public struct SummaryObjectives: Sendable, Hashable {
    /// Quantile rank φ → allowed rank error ε, e.g. `[0.5: 0.05, 0.9: 0.01, 0.99: 0.001]`.
    public var quantiles: [Double: Double]
    /// How long an observation counts towards the quantiles.
    public var maxAge: Duration
    /// Into how many buckets the window is cut: the window slides by `maxAge / ageBuckets`.
    public var ageBuckets: Int

    /// Creates objectives.
    public init(quantiles: [Double: Double] = [:], maxAge: Duration = .seconds(600), ageBuckets: Int = 5) {
        self.quantiles = quantiles
        self.maxAge = maxAge
        self.ageBuckets = ageBuckets
    }

    /// The median, 90th and 99th percentiles, with client_golang's usual errors.
    public static let common = SummaryObjectives(quantiles: [0.5: 0.05, 0.9: 0.01, 0.99: 0.001])

    /// The quantiles sorted by rank, or why they cannot be used.
    func validated() -> Result<[(quantile: Double, epsilon: Double)], RegistrationError.Reason> {
        for (quantile, epsilon) in quantiles {
            guard quantile >= 0, quantile <= 1 else {
                return .failure(.invalidObjectives("quantile \(quantile) is not in [0, 1]"))
            }
            guard epsilon >= 0, epsilon < 1 else {
                return .failure(.invalidObjectives("error \(epsilon) is not in [0, 1)"))
            }
        }
        guard ageBuckets >= 1 else { return .failure(.invalidObjectives("ageBuckets must be at least 1")) }
        guard maxAge > .zero else { return .failure(.invalidObjectives("maxAge must be positive")) }
        return .success(quantiles.sorted { $0.key < $1.key }.map { (quantile: $0.key, epsilon: $0.value) })
    }
}

/// A summary: the count and sum of observations plus, when objectives ask for them, quantile
/// estimates over a sliding time window (client_golang's algorithm: one targeted-quantile
/// stream per age bucket, the oldest answering).
///
/// Without quantiles an observation is two atomic operations. With quantiles it also takes
/// the summary's lock and appends to a buffer; every 500 observations (or when the window
/// slides) the buffer is sorted and merged into the streams. Prefer a histogram where you can:
/// summaries cannot be aggregated across instances. A NaN observation is ignored.
public final class AbacusSummary: Sendable, FamilyMember {
    private let observations = Atomic<UInt64>(0)
    private let total = AtomicDouble()
    private let window: Mutex<SummaryWindow>
    private let hasQuantiles: Bool
    let series: SeriesLabels
    /// When the series was created, seconds since the Unix epoch (OpenMetrics `_created`).
    let created: Double

    init(series: SeriesLabels, targets: [(quantile: Double, epsilon: Double)], objectives: SummaryObjectives) {
        self.series = series
        self.created = Clock.unixNow()
        hasQuantiles = !targets.isEmpty
        window = Mutex(SummaryWindow(targets: targets, objectives: objectives, now: Clock.monotonicNanoseconds()))
    }

    /// Records one observation.
    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        observations.wrappingAdd(1, ordering: .relaxed)
        total.add(value)
        guard hasQuantiles else { return }
        let now = Clock.monotonicNanoseconds()
        window.withLock { $0.observe(value, now: now) }
    }

    /// Records one observation of an integer value.
    public func observe(_ value: Int) { observe(Double(value)) }

    /// Observes how long `body` takes, in seconds (monotonic clock), also when it throws.
    public func time<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = Clock.monotonicNanoseconds()
        defer { observe(Double(Clock.monotonicNanoseconds() &- start) / 1e9) }
        return try await body()
    }

    /// The number of observations so far.
    public var count: UInt64 { observations.load(ordering: .relaxed) }

    /// The sum of the observations so far.
    public var sum: Double { total.load() }

    /// The current estimate for each objective's quantile, by rank; NaN while the window is
    /// empty.
    public func quantiles() -> [(quantile: Double, value: Double)] {
        guard hasQuantiles else { return [] }
        let now = Clock.monotonicNanoseconds()
        return window.withLock { $0.quantiles(now: now) }
    }
}

/// The sliding window of a summary: one stream per age bucket, each reset in turn.
struct SummaryWindow: Sendable {
    static let bufferCapacity = 500

    private var streams: [QuantileStream]
    private var head = 0
    private var headExpiry: UInt64
    private let bucketNanoseconds: UInt64
    private var buffer: [Double] = []
    private let targets: [(quantile: Double, epsilon: Double)]

    init(targets: [(quantile: Double, epsilon: Double)], objectives: SummaryObjectives, now: UInt64) {
        self.targets = targets
        streams = Array(
            repeating: QuantileStream(targets: targets), count: targets.isEmpty ? 0 : objectives.ageBuckets)
        let (seconds, attoseconds) = objectives.maxAge.components
        let window = UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
        bucketNanoseconds = Swift.max(1, window / UInt64(objectives.ageBuckets))
        headExpiry = now &+ bucketNanoseconds
        if !targets.isEmpty { buffer.reserveCapacity(Self.bufferCapacity) }
    }

    mutating func observe(_ value: Double, now: UInt64) {
        if now > headExpiry { flush(); rotate(now) }
        buffer.append(value)
        if buffer.count >= Self.bufferCapacity { flush() }
    }

    mutating func quantiles(now: UInt64) -> [(quantile: Double, value: Double)] {
        flush()
        rotate(now)
        return targets.map { (quantile: $0.quantile, value: streams[head].query($0.quantile)) }
    }

    private mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.sort()
        for index in streams.indices { streams[index].merge(sorted: buffer) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Resets the head stream for every bucket period that ended; the next one becomes head.
    private mutating func rotate(_ now: UInt64) {
        var turns = 0
        while now > headExpiry {
            streams[head].reset()
            head = (head + 1) % streams.count
            headExpiry &+= bucketNanoseconds
            turns += 1
            if turns >= streams.count {
                // Idle for a whole window: everything is reset; restart the clock from now.
                headExpiry = now &+ bucketNanoseconds
                break
            }
        }
    }
}

/// The series of a summary with label names, one per label set (see ``CounterFamily`` for how
/// lookups work and cost). Every series has the family's objectives.
public final class SummaryFamily: Sendable {
    let core: FamilyCore<AbacusSummary>

    init(core: FamilyCore<AbacusSummary>) { self.core = core }

    /// The label names, in the order ``labels(_:)-([String])`` takes values.
    public var labelNames: [String] { core.labelNames }

    /// The series for one label value.
    public func labels(_ value: String) throws(LabelError) -> AbacusSummary { try core.child(value) }

    /// The series for two label values.
    public func labels(_ first: String, _ second: String) throws(LabelError) -> AbacusSummary {
        try core.child(first, second)
    }

    /// The series for three label values.
    public func labels(_ first: String, _ second: String, _ third: String) throws(LabelError) -> AbacusSummary {
        try core.child(first, second, third)
    }

    /// The series for these values, given in the order of ``labelNames``.
    public func labels(_ values: [String]) throws(LabelError) -> AbacusSummary { try core.withValues(values) }

    /// The series for these label names and values; every label name must be given.
    public func labels(_ labels: [String: String]) throws(LabelError) -> AbacusSummary { try core.child(labels) }

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
