import AbacusExposition
import CAbacusAtomics
import Synchronization

/// A histogram: observations counted in buckets by value, with their sum, such as request
/// durations or response sizes.
///
/// An observation finds its bucket (a branch-free count up to 16 bounds, a binary search beyond)
/// and adds itself to the counts and sum of its thread's shard: each of the first 16 threads
/// that observe a series gets a shard of its own (a line of counts and a sum that only it
/// writes, found through a thread-local table), so the hot path takes no lock and no atomic
/// read-modify-write instruction, and threads do not contend. Further threads share buckets
/// whose count and sum are updated together by one atomic instruction (cmpxchg16b on x86-64).
/// A scrape adds the shards up: `_count` always equals the `+Inf` bucket. Memory per series
/// grows with the threads that observe it (at most 16 shards of `8 × (buckets + 1)` bytes).
/// A NaN observation is ignored (it would turn the sum into NaN for good).
public final class AbacusHistogram: @unchecked Sendable, FamilyMember {
    // @unchecked: `buckets` is written only through the C atomics and freed in deinit.
    let layout: HistogramLayout
    private let buckets: UnsafeMutablePointer<abacus_bucket>
    /// The addresses of this series' per-thread shards: `bounds.count` counts, then the sum.
    private let shards = Mutex<[UInt]>([])
    /// This series' index in every thread's shard table, and the generation that tells it
    /// from an earlier owner of the index.
    private let slot: (index: UInt32, generation: UInt64)
    private let lastExemplars = Mutex<[Exemplar?]>([])
    let series: SeriesLabels
    /// When the series was created, seconds since the Unix epoch (OpenMetrics `_created`).
    let created: Double

    init(series: SeriesLabels, layout: HistogramLayout) {
        self.series = series
        self.layout = layout
        self.created = Clock.unixNow()
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<abacus_bucket>.stride * layout.bounds.count, alignment: 16)
        buckets = raw.bindMemory(to: abacus_bucket.self, capacity: layout.bounds.count)
        for index in 0..<layout.bounds.count { abacus_bucket_init(buckets + index) }
        slot = ShardSlots.take()
    }

    deinit {
        UnsafeMutableRawPointer(buckets).deallocate()
        for address in shards.withLock({ $0 }) { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
        ShardSlots.give(slot.index)
    }

    /// The most shards a series gets; later threads share the atomic buckets.
    static let maxShards = 16

    /// Records one observation.
    @inline(__always)
    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let index = layout.index(of: value)
        if let shard = abacus_shard_find(slot.index, slot.generation) {
            let words = shard.assumingMemoryBound(to: UInt64.self)
            abacus_shard_increment(words + index)
            abacus_shard_add(words + layout.bounds.count, value)
        } else {
            observeWithoutShard(value, index: index)
        }
    }

    /// The first observation on a thread: make the thread's shard, or share the buckets.
    @inline(never)
    private func observeWithoutShard(_ value: Double, index: Int) {
        let words = layout.bounds.count + 1
        let shard: UnsafeMutableRawPointer? = shards.withLock { list in
            guard list.count < Self.maxShards else { return nil }
            let shard = UnsafeMutableRawPointer.allocate(byteCount: words * 8, alignment: 64)
            shard.initializeMemory(as: UInt64.self, repeating: 0, count: words)
            list.append(UInt(bitPattern: shard))
            return shard
        }
        // Remembered by the thread, or (out of memory) left empty in the list.
        if let shard, abacus_shard_remember(slot.index, slot.generation, shard) != 0 {
            let counts = shard.assumingMemoryBound(to: UInt64.self)
            abacus_shard_increment(counts + index)
            abacus_shard_add(counts + layout.bounds.count, value)
        } else {
            abacus_bucket_add(buckets + index, value)
        }
    }

    /// Records one observation of an integer value.
    @inline(__always)
    public func observe(_ value: Int) { observe(Double(value)) }

    /// Records one observation and keeps `exemplar` (for instance a trace ID) as the exemplar
    /// of the bucket it falls in, exposed in OpenMetrics. Labels longer than 128 characters
    /// together are dropped (the observation counts). Takes a lock.
    public func observe(_ value: Double, exemplar labels: [String: String]) {
        guard !value.isNaN else { return }
        observe(value)
        guard let exemplar = Exemplars.make(labels, value: value) else { return }
        let index = layout.index(of: value)
        let count = layout.bounds.count
        lastExemplars.withLock { slots in
            if slots.isEmpty { slots = Array(repeating: nil, count: count) }
            slots[index] = exemplar
        }
    }

    /// Observes how long `body` takes, in seconds (monotonic clock), also when it throws.
    public func time<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = Clock.monotonicNanoseconds()
        defer { observe(Double(Clock.monotonicNanoseconds() &- start) / 1e9) }
        return try await body()
    }

    /// Observes the seconds elapsed since `start`, a reading of `ContinuousClock`.
    public func observeDuration(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The number of observations so far.
    public var count: UInt64 {
        read().cumulative.last ?? 0
    }

    /// The sum of the observations so far.
    public var sum: Double { read().sum }

    /// Cumulative bucket counts (one per bound, `+Inf` last), their total and the sum.
    func read() -> (cumulative: [UInt64], sum: Double) {
        var cumulative: [UInt64] = []
        cumulative.reserveCapacity(layout.bounds.count)
        let count = layout.bounds.count
        let shardWords = shards.withLock { $0 }.compactMap { UnsafeMutablePointer<UInt64>(bitPattern: $0) }
        var running: UInt64 = 0
        var sum = 0.0
        for index in 0..<count {
            running &+= abacus_bucket_count(buckets + index)
            sum += abacus_bucket_sum(buckets + index)
            for words in shardWords { running &+= abacus_load_word(words + index) }
            cumulative.append(running)
        }
        for words in shardWords { sum += Double(bitPattern: abacus_load_word(words + count)) }
        return (cumulative, sum)
    }

    /// The exemplars of the buckets, by bucket index; empty when none was given.
    var exemplars: [Exemplar?] { lastExemplars.withLock { $0 } }
}

/// Indexes into the per-thread shard tables: a histogram series takes one for its lifetime and
/// gives it back when freed, so tables stay as long as the most series alive at once. Each
/// taking gets a new generation, so a thread's entry for an index's earlier owner is never
/// mistaken for the new owner's (and never followed: its shard was freed).
enum ShardSlots {
    private static let state = Mutex<(next: UInt32, free: [UInt32], generation: UInt64)>((0, [], 0))

    static func take() -> (index: UInt32, generation: UInt64) {
        state.withLock { state in
            state.generation += 1
            if let index = state.free.popLast() { return (index, state.generation) }
            state.next += 1
            return (state.next - 1, state.generation)
        }
    }

    static func give(_ index: UInt32) { state.withLock { $0.free.append(index) } }
}

/// A histogram family's bounds, shared by its series, with each `le` value formatted once.
final class HistogramLayout: @unchecked Sendable {
    // @unchecked: immutable after init; `storage` is freed in deinit.
    /// The upper bounds, `+Inf` last.
    let bounds: [Double]
    /// `le="0.5"` for each bound, ready for the text format.
    let leText: [[UInt8]]
    private let storage: UnsafeMutableBufferPointer<Double>

    init(bounds: [Double]) {
        self.bounds = bounds
        leText = bounds.map { bound in
            var text = Array(#"le=""#.utf8)
            NumberFormatting.append(bound, to: &text)
            text.append(UInt8(ascii: "\""))
            return text
        }
        storage = .allocate(capacity: bounds.count)
        _ = storage.initialize(from: bounds)
    }

    deinit { storage.deallocate() }

    /// The index of the first bound ≥ `value` (the last one, `+Inf`, catches everything).
    @inline(__always)
    func index(of value: Double) -> Int {
        let last = storage.count - 1
        if last <= 16 {
            // Branch-free: the number of bounds below the value, whatever the value's pattern.
            return abacus_bucket_index(storage.baseAddress, last, value)
        }
        var low = 0
        var high = last
        while low < high {
            let mid = (low + high) >> 1
            if value > storage[mid] { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// The series of a histogram with label names, one per label set (see ``CounterFamily`` for
/// how lookups work and cost). Every series has the family's buckets.
public final class HistogramFamily: Sendable {
    let core: FamilyCore<AbacusHistogram>
    let layout: HistogramLayout

    init(core: FamilyCore<AbacusHistogram>, layout: HistogramLayout) {
        self.core = core
        self.layout = layout
    }

    /// The label names, in the order ``labels(_:)-([String])`` takes values.
    public var labelNames: [String] { core.labelNames }

    /// The series for one label value.
    public func labels(_ value: String) throws(LabelError) -> AbacusHistogram { try core.child(value) }

    /// The series for two label values.
    public func labels(_ first: String, _ second: String) throws(LabelError) -> AbacusHistogram {
        try core.child(first, second)
    }

    /// The series for three label values.
    public func labels(_ first: String, _ second: String, _ third: String) throws(LabelError) -> AbacusHistogram {
        try core.child(first, second, third)
    }

    /// The series for these values, given in the order of ``labelNames``.
    public func labels(_ values: [String]) throws(LabelError) -> AbacusHistogram { try core.withValues(values) }

    /// The series for these label names and values; every label name must be given.
    public func labels(_ labels: [String: String]) throws(LabelError) -> AbacusHistogram { try core.child(labels) }

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
