import AbacusExposition

/// Every metric family name the gateway exposes, with its one type, the number of groups that
/// hold it, and the names it writes besides its own (`h_bucket`, `h_sum`, `h_count` of a
/// histogram `h`). A push is checked against it in O(families pushed).
///
/// Families get small integer ids, which groups store instead of names; ids are reused once
/// no group holds the family. The gateway's own metrics are `permanent`.
struct FamilyIndex {
    struct Entry: Sendable {
        var name: String
        var type: MetricType
        var owners: Int32
        var permanent: Bool
        /// The `# HELP` line groups share for this name: the first one pushed while the name is
        /// held. A group pushing another HELP keeps its own.
        var help: [UInt8]?
    }

    private(set) var entries: [Entry?] = []
    private var ids: [String: Int32] = [:]
    /// Derived name → id of the family that writes it.
    private var derived: [String: Int32] = [:]
    private var free: [Int32] = []
    /// Families no group holds any more, forgotten by ``collect()`` once a change is complete
    /// (not before: a refused multi-group push puts the groups it replaced back).
    private var unowned: [Int32] = []
    /// Ids in name order; rebuilt when a name comes or goes.
    private var sorted: [Int32]?

    subscript(id: Int32) -> Entry { entries[Int(id)]! }

    func id(of name: String) -> Int32? { ids[name] }

    /// The family that writes `name` as one of its derived names.
    func owner(ofDerived name: String) -> Int32? { derived[name] }

    /// The id for `name`, created with `type` if new. An existing family of another type is
    /// retyped: the caller has checked that only the group being replaced holds it.
    mutating func acquire(_ name: String, _ type: MetricType, permanent: Bool = false) -> Int32 {
        if let id = ids[name] {
            let old = entries[Int(id)]!.type
            if old != type {
                for d in PreparedFamily.derivedNames(name, old) where derived[d] == id { derived[d] = nil }
                for d in PreparedFamily.derivedNames(name, type) { derived[d] = id }
                entries[Int(id)]!.type = type
            }
            if permanent { entries[Int(id)]!.permanent = true }
            return id
        }
        let entry = Entry(name: name, type: type, owners: 0, permanent: permanent, help: nil)
        let id: Int32
        if let reused = free.popLast() {
            id = reused
            entries[Int(id)] = entry
        } else {
            id = Int32(entries.count)
            entries.append(entry)
        }
        ids[name] = id
        for d in PreparedFamily.derivedNames(name, type) { derived[d] = id }
        sorted = nil
        return id
    }

    mutating func retain(_ id: Int32) { entries[Int(id)]!.owners += 1 }

    /// Whether a group pushing `help` for the family can share the index's copy (setting it
    /// when the family has none yet).
    mutating func share(help: ArraySlice<UInt8>, for id: Int32) -> Bool {
        guard !help.isEmpty else { return false }
        if let shared = entries[Int(id)]!.help { return shared.elementsEqual(help) }
        entries[Int(id)]!.help = Array(help)
        return true
    }

    /// One group fewer holds the family; ``collect()`` forgets it if none does.
    mutating func release(_ id: Int32) {
        entries[Int(id)]!.owners -= 1
        if entries[Int(id)]!.owners <= 0, !entries[Int(id)]!.permanent { unowned.append(id) }
    }

    /// Forgets the families no group holds. Called when a change is complete.
    mutating func collect() {
        for id in unowned {
            guard let entry = entries[Int(id)], entry.owners <= 0, !entry.permanent else { continue }
            ids[entry.name] = nil
            for d in PreparedFamily.derivedNames(entry.name, entry.type) where derived[d] == id { derived[d] = nil }
            entries[Int(id)] = nil
            free.append(id)
            sorted = nil
        }
        unowned.removeAll(keepingCapacity: true)
    }

    /// Family ids in name order. O(families · log families) after a name came or went, else O(1).
    mutating func sortedIDs() -> [Int32] {
        if let sorted { return sorted }
        var result: [Int32] = []
        result.reserveCapacity(ids.count)
        for (index, entry) in entries.enumerated() where entry != nil { result.append(Int32(index)) }
        result.sort { entries[Int($0)]!.name < entries[Int($1)]!.name }
        sorted = result
        return result
    }

    mutating func removeAllPushed() {
        for index in entries.indices {
            guard let entry = entries[index] else { continue }
            if entry.permanent {
                entries[index]!.owners = 0
            } else {
                entries[index]!.owners = 1
                release(Int32(index))
            }
        }
        collect()
    }
}
