import Synchronization

/// A `Double` updated atomically through its bit pattern: loads and stores are single atomic
/// operations, additions a compare-and-exchange loop (uncontended: one iteration).
struct AtomicDouble: ~Copyable, Sendable {
    private let bits: Atomic<UInt64>

    init(_ value: Double = 0) { bits = Atomic(value.bitPattern) }

    @inline(__always)
    func load() -> Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

    @inline(__always)
    func store(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }

    @inline(__always)
    func add(_ amount: Double) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + amount).bitPattern
            let (exchanged, original) = bits.weakCompareExchange(
                expected: old, desired: new, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            old = original
        }
    }
}
