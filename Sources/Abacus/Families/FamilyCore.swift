import Synchronization

/// An instrument that can be one series of a labelled family.
protocol FamilyMember: AnyObject, Sendable {
    /// The series' label values, rendered.
    var series: SeriesLabels { get }
}

/// The series of one labelled family: a get-or-create by label values that takes one
/// uncontended lock and no allocation when the series exists, and a snapshot in label order
/// for scrapes.
final class FamilyCore<Child: FamilyMember>: Sendable {
    /// The family's name, for error messages.
    let name: String
    /// The label names, in the order values are given.
    let labelNames: [String]
    private let make: @Sendable (SeriesLabels) -> Child
    private let table = Mutex(ChildTable<Child>())

    init(name: String, labelNames: [String], make: @escaping @Sendable (SeriesLabels) -> Child) {
        self.name = name
        self.labelNames = labelNames
        self.make = make
    }

    /// The series with these values, created on first use.
    func child(_ values: UnsafeBufferPointer<String>) throws(LabelError) -> Child {
        guard values.count == labelNames.count else {
            throw .wrongValueCount(family: name, expected: labelNames.count, got: values.count)
        }
        let hash = LabelHashing.hash(values)
        if let found = table.withLock({ $0.find(values, hash: hash) }) { return found }
        // Render the new series outside the lock; a racing creator of the same series wins
        // and this one is dropped.
        let candidate = make(SeriesLabels(names: labelNames, values: Array(values), hash: hash))
        return table.withLock { $0.insert(candidate) }
    }

    /// The series named by a dictionary of label names to values; every name must be given.
    func child(_ labels: [String: String]) throws(LabelError) -> Child {
        for key in labels.keys where !labelNames.contains(key) {
            throw .unknownLabel(family: name, label: key)
        }
        var values: [String] = []
        values.reserveCapacity(labelNames.count)
        for labelName in labelNames {
            guard let value = labels[labelName] else { throw .missingLabel(family: name, label: labelName) }
            values.append(value)
        }
        return try withValues(values)
    }

    /// ``child(_:)-(UnsafeBufferPointer<String>)`` for an array.
    func withValues(_ values: [String]) throws(LabelError) -> Child {
        let result: Result<Child, LabelError> = values.withUnsafeBufferPointer { buffer in
            do throws(LabelError) { return .success(try child(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Removes the series with these values; `false` when there is none.
    func remove(_ values: [String]) -> Bool {
        guard values.count == labelNames.count else { return false }
        return values.withUnsafeBufferPointer { buffer in
            let hash = LabelHashing.hash(buffer)
            return table.withLock { $0.remove(buffer, hash: hash) }
        }
    }

    /// Removes every series.
    func removeAll() { table.withLock { $0 = ChildTable() } }

    /// The series in label-value order. O(1) when no series was added since the last call,
    /// otherwise O(k log k + n) for k new series.
    func snapshot() -> [Child] { table.withLock { $0.snapshot() } }

    /// The series in label-value order with their text lines but the value
    /// (`name{a="1"} `), back to back in one buffer, and where each line ends. Rebuilt only
    /// after series came or went: a scrape then copies lines from one sequential buffer.
    func textSnapshot() -> (series: [Child], lines: [UInt8], ends: [Int]) {
        table.withLock { $0.textSnapshot(name: name) }
    }

    /// How many series the family has.
    var count: Int { table.withLock { $0.children.count } }
}

/// Open-addressing index over a family's series (linear probing, load ≤ 3/4), plus the
/// label-ordered list scrapes read.
struct ChildTable<Child: FamilyMember>: ~Copyable {
    /// The series in creation order.
    private(set) var children: [Child] = []
    /// Indexes into `children`, -1 for empty; the count is a power of two.
    private var slots: [Int32] = []
    /// `children[..<sortedUpTo]`, in label order.
    private var sorted: [Child] = []
    private var sortedUpTo = 0
    /// The text lines of `sorted`, when valid (see ``FamilyCore/textSnapshot()``).
    private var lines: (bytes: [UInt8], ends: [Int])?

    func find(_ values: UnsafeBufferPointer<String>, hash: UInt64) -> Child? {
        if slots.isEmpty { return nil }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot < 0 { return nil }
            let child = children[Int(slot)]
            if child.series.hash == hash, Self.equal(child.series.values, values) { return child }
            i = (i + 1) & mask
        }
    }

    /// Inserts `child` unless a series with its values exists; returns the one in the table.
    mutating func insert(_ child: Child) -> Child {
        let existing = child.series.values.withUnsafeBufferPointer { find($0, hash: child.series.hash) }
        if let existing { return existing }
        if (children.count + 1) * 4 > slots.count * 3 { rebuild(capacity: Swift.max(16, slots.count * 2)) }
        place(Int32(children.count), hash: child.series.hash)
        children.append(child)
        lines = nil
        return child
    }

    mutating func remove(_ values: UnsafeBufferPointer<String>, hash: UInt64) -> Bool {
        guard let child = find(values, hash: hash), let index = children.firstIndex(where: { $0 === child }) else {
            return false
        }
        children.remove(at: index)
        rebuild(capacity: slots.count)
        sorted = []
        sortedUpTo = 0
        lines = nil
        return true
    }

    mutating func textSnapshot(name: String) -> (series: [Child], lines: [UInt8], ends: [Int]) {
        let series = snapshot()
        if let lines, lines.ends.count == series.count { return (series, lines.bytes, lines.ends) }
        var bytes: [UInt8] = []
        var ends: [Int] = []
        ends.reserveCapacity(series.count)
        for child in series {
            bytes.append(contentsOf: name.utf8)
            if !child.series.text.isEmpty {
                bytes.append(UInt8(ascii: "{"))
                bytes.append(contentsOf: child.series.text)
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(0x20)
            ends.append(bytes.count)
        }
        lines = (bytes, ends)
        return (series, bytes, ends)
    }

    mutating func snapshot() -> [Child] {
        if sortedUpTo < children.count {
            let fresh = children[sortedUpTo...].sorted { SeriesLabels.precedes($0.series, $1.series) }
            if sorted.isEmpty {
                sorted = fresh
            } else {
                var merged: [Child] = []
                merged.reserveCapacity(sorted.count + fresh.count)
                var i = 0
                var j = 0
                while i < sorted.count, j < fresh.count {
                    if SeriesLabels.precedes(fresh[j].series, sorted[i].series) {
                        merged.append(fresh[j])
                        j += 1
                    } else {
                        merged.append(sorted[i])
                        i += 1
                    }
                }
                merged.append(contentsOf: sorted[i...])
                merged.append(contentsOf: fresh[j...])
                sorted = merged
            }
            sortedUpTo = children.count
        }
        return sorted
    }

    private mutating func rebuild(capacity: Int) {
        slots = Array(repeating: -1, count: capacity)
        for (index, child) in children.enumerated() { place(Int32(index), hash: child.series.hash) }
    }

    private mutating func place(_ index: Int32, hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = index
    }

    @inline(__always)
    private static func equal(_ stored: [String], _ values: UnsafeBufferPointer<String>) -> Bool {
        for k in 0..<values.count where stored[k] != values[k] { return false }
        return true
    }
}

/// A label set that does not fit a family's label names.
public enum LabelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The family has `expected` label names, `got` values were given.
    case wrongValueCount(family: String, expected: Int, got: Int)
    /// A label name the family does not have.
    case unknownLabel(family: String, label: String)
    /// A label name of the family that was not given a value.
    case missingLabel(family: String, label: String)

    public var description: String {
        switch self {
        case .wrongValueCount(let family, let expected, let got):
            "\(family) has \(expected) label name(s), \(got) value(s) given"
        case .unknownLabel(let family, let label): "\(family) has no label named \(label)"
        case .missingLabel(let family, let label): "no value given for label \(label) of \(family)"
        }
    }
}

extension FamilyCore {
    // Fixed-arity lookups: the values sit in a tuple on the stack, so looking up an existing
    // series allocates nothing (a variadic call builds an array on the heap).

    func child(_ value: String) throws(LabelError) -> Child {
        var storage = value
        return try Self.lookUp(&storage, count: 1, in: self)
    }

    func child(_ first: String, _ second: String) throws(LabelError) -> Child {
        var storage = (first, second)
        return try Self.lookUp(&storage, count: 2, in: self)
    }

    func child(_ first: String, _ second: String, _ third: String) throws(LabelError) -> Child {
        var storage = (first, second, third)
        return try Self.lookUp(&storage, count: 3, in: self)
    }

    /// Looks up the `count` strings stored contiguously in `storage` (a `String` or a tuple of
    /// them, which Swift lays out like an array).
    @inline(__always)
    private static func lookUp<Storage>(_ storage: inout Storage, count: Int, in core: FamilyCore) throws(LabelError)
        -> Child
    {
        let result: Result<Child, LabelError> = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: String.self, capacity: count) { strings in
                do throws(LabelError) {
                    return .success(try core.child(UnsafeBufferPointer(start: strings, count: count)))
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }
}
