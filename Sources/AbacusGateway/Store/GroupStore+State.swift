import AbacusExposition

extension GroupStore {
    /// Everything behind the store's lock.
    struct State {
        var index = FamilyIndex()
        /// Groups by id; ids are reused.
        var slots: [StoredGroup?] = []
        var ids: [GroupingKey: UInt32] = [:]
        var freeIDs: [UInt32] = []
        /// Series fingerprint → id of the group holding it.
        var series: [UInt64: UInt32] = [:]
        var lineCount = 0
        var deadlines = DeadlineHeap()
        /// Group ids in key order; rebuilt when a group comes or goes.
        var order: [UInt32]?
        /// The aggregated series (JSON ops, aggregating pushes).
        var aggregate = AggregateStore()

        /// Checks `push` against the store and installs it. Returns the group's id, the group
        /// it replaced and the new one.
        mutating func apply(
            _ push: PreparedPush, mode: Mode, pushTime: Double, deadlineMs: Int64?, limits: StoreLimits,
            consistency: Bool
        ) throws(PushRejection) -> (UInt32, StoredGroup?, StoredGroup) {
            try check(push, mode: mode, limits: limits, consistency: consistency)
            let (id, old, new) = build(push, mode: mode, pushTime: pushTime, deadlineMs: deadlineMs)
            install(id: id, old: old, new: new)
            return (id, old, new)
        }

        /// Everything that can refuse a push, in O(size of the push): reserved names, one type
        /// per name, derived names, duplicate series, store limits.
        func check(_ push: PreparedPush, mode: Mode, limits: StoreLimits, consistency: Bool) throws(PushRejection) {
            let id = ids[push.key]
            let old = id.map { slots[Int($0)]! }
            var pushedNames: Set<String> = []
            for family in push.families { pushedNames.insert(family.name) }
            // Families the push replaces in its group: they do not count against it.
            var replaced: [Int32: Int] = [:]
            var replacedLines = 0
            if let old {
                for (position, slice) in old.families.enumerated() {
                    let name = index[slice.family].name
                    let isReplaced =
                        switch mode {
                        case .replaceGroup: true
                        case .replaceFamilies: pushedNames.contains(name)
                        }
                    if isReplaced {
                        replaced[slice.family] = position
                        replacedLines += old.lineCount(slice)
                    }
                }
            }
            func heldElsewhere(_ family: Int32) -> Bool {
                let entry = index[family]
                return entry.permanent || entry.owners > (replaced[family] != nil ? 1 : 0)
            }
            for family in push.families {
                if GroupStore.reservedNames.contains(family.name) {
                    throw .invalid(
                        "reserved_name",
                        "\(family.name) is written by the gateway for every group and cannot be pushed")
                }
                guard consistency else { continue }
                if let existing = index.id(of: family.name), index[existing].type != family.type,
                    heldElsewhere(existing)
                {
                    let held = index[existing].permanent ? ", the gateway's own metric" : " stored by other groups"
                    throw .invalid(
                        "type_conflict",
                        "metric \(family.name) is pushed as \(family.type.textName ?? "?") but is a "
                            + "\(index[existing].type.textName ?? "?")\(held); a name has one type in the gateway")
                }
                if let base = index.owner(ofDerived: family.name),
                    heldElsewhere(base) || pushedNames.contains(index[base].name)
                {
                    throw .invalid(
                        "name_conflict",
                        "metric \(family.name) collides with the series of \(index[base].type.textName ?? "?") "
                            + "\(index[base].name)")
                }
                for derived in family.derivedNames {
                    if pushedNames.contains(derived) {
                        throw .invalid(
                            "name_conflict",
                            "metric \(derived) collides with the series of \(family.type.textName ?? "?") \(family.name)"
                        )
                    }
                    if let existing = index.id(of: derived), heldElsewhere(existing) {
                        throw .invalid(
                            "name_conflict",
                            "\(family.type.textName ?? "?") \(family.name) would write series named \(derived), "
                                + "which is already a \(index[existing].type.textName ?? "?") in the gateway")
                    }
                }
                for (position, fingerprint) in family.fingerprints.enumerated() {
                    guard let holder = series[fingerprint], holder != id else { continue }
                    if holder == aggregateHolder {
                        // Aggregated series have no empty labels: `instance=""` is no instance.
                        let labels = family.labelSets[position].filter { !$0.value.isEmpty }
                        var text: [UInt8] = []
                        Escaping.appendLabelSet(labels, to: &text)
                        let key = family.name + "{" + String(decoding: text, as: UTF8.self) + "}"
                        guard aggregate.byKey[key] != nil else { continue }
                        throw .invalid(
                            "duplicate_series",
                            "series \(key) is aggregated from JSON ops or aggregating pushes; a series cannot be "
                                + "both pushed and aggregated")
                    }
                    let other = slots[Int(holder)]!
                    if holds(other, family: family.name, labels: family.labelSets[position]) {
                        throw .invalid(
                            "duplicate_series",
                            "series \(family.name)\(ExpositionValidator.render(family.labelSets[position])) is already pushed to "
                                + "group {\(String(decoding: other.labelBytes, as: UTF8.self))}; a series can belong "
                                + "to one group only")
                    }
                }
            }
            if id == nil, ids.count >= limits.maxGroups {
                throw PushRejection(
                    status: 429, reason: "too_many_groups",
                    "the gateway holds \(ids.count) groups, its limit (--store.max-groups); delete groups or let "
                        + "them expire (a TTL), or raise the limit")
            }
            if lineCount - replacedLines + push.lineCount > limits.maxSeries {
                throw PushRejection(
                    status: 429, reason: "too_many_series",
                    "storing this push would exceed \(limits.maxSeries) sample lines (--store.max-series); "
                        + "delete groups or let them expire (a TTL), or raise the limit")
            }
        }

        /// Whether `group` really holds the series (a fingerprint match is checked by reading
        /// the group's family back: rare, and bounded by the size of that family).
        func holds(_ group: StoredGroup, family name: String, labels: [Label]) -> Bool {
            guard let slice = group.families.first(where: { index[$0.family].name == name }) else { return false }
            var text: [UInt8] = []
            TextEncoder.appendTypeLine(name: name, type: slice.type, to: &text)
            text.append(contentsOf: group.lineBytes(slice))
            guard let families = try? TextParser.parse(text, names: .utf8) else { return true }
            let wanted = Set(labels)
            return families.contains { $0.metrics.contains { Set($0.labels) == wanted } }
        }

        /// The group after the push (not yet installed). Allocates the id of a new group.
        mutating func build(_ push: PreparedPush, mode: Mode, pushTime: Double, deadlineMs: Int64?)
            -> (UInt32, StoredGroup?, StoredGroup)
        {
            let id: UInt32
            let old: StoredGroup?
            if let existing = ids[push.key] {
                id = existing
                old = slots[Int(existing)]
            } else {
                id = freeIDs.popLast() ?? UInt32(slots.count)
                old = nil
            }
            // Kept families (POST) and pushed ones, merged in name order.
            var parts: [(name: String, kept: (slice: StoredGroup.Slice, index: Int)?, pushed: PreparedFamily?)] = []
            if let old, mode == .replaceFamilies {
                var pushedNames: Set<String> = []
                for family in push.families { pushedNames.insert(family.name) }
                for (position, slice) in old.families.enumerated() {
                    let name = index[slice.family].name
                    if !pushedNames.contains(name) { parts.append((name, (slice, position), nil)) }
                }
            }
            for family in push.families { parts.append((family.name, nil, family)) }
            parts.sort { $0.name < $1.name }

            var bytes: [UInt8] = []
            var fingerprints: [UInt64] = []
            var slices: [StoredGroup.Slice] = []
            slices.reserveCapacity(parts.count)
            for part in parts {
                var slice: StoredGroup.Slice
                if let kept = part.kept, let old {
                    bytes.append(contentsOf: old.ownHelpBytes(kept.index))
                    slice = kept.slice
                    slice.linesStart = UInt32(bytes.count)
                    bytes.append(contentsOf: old.lineBytes(kept.slice))
                    fingerprints.append(contentsOf: old.fingerprints(kept.index))
                } else {
                    let family = part.pushed!
                    let id = index.acquire(family.name, family.type)
                    let help = family.bytes[..<family.linesStart]
                    let shared = index.share(help: help, for: id)
                    if !shared { bytes.append(contentsOf: help) }
                    slice = StoredGroup.Slice(
                        family: id, linesStart: UInt32(bytes.count), end: 0, fingerprintEnd: 0, type: family.type,
                        sharedHelp: shared)
                    bytes.append(contentsOf: family.bytes[family.linesStart...])
                    fingerprints.append(contentsOf: family.fingerprints)
                }
                slice.end = UInt32(bytes.count)
                slice.fingerprintEnd = UInt32(fingerprints.count)
                slices.append(slice)
            }
            // The arrays are kept for the group's lifetime: give back what growth by doubling
            // left unused (one copy of the group, O(push)).
            let new = StoredGroup(
                key: push.key, bytes: bytes.trimmed(), families: slices,
                fingerprints: fingerprints.trimmed(), pushTime: pushTime, failureTime: old?.failureTime ?? 0,
                deadlineMs: deadlineMs)
            return (id, old, new)
        }

        /// Replaces `old` by `new` in slot `id` and in every index. Either may be `nil` (a new
        /// or a deleted group). O(size of both).
        mutating func install(id: UInt32, old: StoredGroup?, new: StoredGroup?) {
            if let old {
                for fingerprint in old.fingerprints where series[fingerprint] == id { series[fingerprint] = nil }
                lineCount -= old.lineCount
            }
            if let new {
                for slice in new.families {
                    // A rollback can bring back a family its replacement had retyped (entries are
                    // not forgotten before the change is complete: FamilyIndex.collect()).
                    let entry = index[slice.family]
                    if entry.type != slice.type { _ = index.acquire(entry.name, slice.type) }
                    index.retain(slice.family)
                }
                for fingerprint in new.fingerprints { series[fingerprint] = id }
                lineCount += new.lineCount
            }
            if let old { for slice in old.families { index.release(slice.family) } }
            if Int(id) == slots.count { slots.append(nil) }
            slots[Int(id)] = new
            switch (old, new) {
            case (nil, let new?):
                ids[new.key] = id
                order = nil
            case (let old?, nil):
                ids[old.key] = nil
                freeIDs.append(id)
                order = nil
            default: break
            }
        }

        /// Adds the group's deadline to the heap. Entries left by earlier pushes to the same
        /// group are skipped when they come out; when they outnumber the live groups the heap
        /// is rebuilt (O(groups), amortised O(1) per push), so it stays bounded by the store.
        mutating func track(_ group: StoredGroup) {
            guard let deadline = group.deadlineMs else { return }
            deadlines.push(deadline, group.key)
            if deadlines.count > 2 * ids.count + 1024 {
                var rebuilt = DeadlineHeap()
                for case let stored? in slots {
                    if let deadline = stored.deadlineMs { rebuilt.push(deadline, stored.key) }
                }
                deadlines = rebuilt
            }
        }

        mutating func remove(id: UInt32) {
            install(id: id, old: slots[Int(id)], new: nil)
        }

        mutating func removeAll() {
            slots.removeAll()
            ids.removeAll()
            freeIDs.removeAll()
            series.removeAll()
            lineCount = 0
            deadlines = DeadlineHeap()
            order = nil
            aggregate = AggregateStore()
            index.removeAllPushed()
        }

        /// Sets the failure time of the push's group, creating the group empty if it does not
        /// exist (as the Pushgateway does) and the store has room. A group it creates gets the
        /// push's deadline, so it expires as the push's group would have. Returns the updated group.
        mutating func recordFailure(_ push: PreparedPush, now: Double, limits: StoreLimits, deadlineMs: Int64?)
            -> StoredGroup?
        {
            if let id = ids[push.key] {
                let updated = slots[Int(id)]!.with(failureTime: now, deadlineMs: .none)
                slots[Int(id)] = updated
                return updated
            }
            guard ids.count < limits.maxGroups else { return nil }
            let id = freeIDs.popLast() ?? UInt32(slots.count)
            let group = StoredGroup.empty(key: push.key).with(
                failureTime: now, deadlineMs: .some(deadlineMs))
            install(id: id, old: nil, new: group)
            track(group)
            return group
        }

        /// The journal row of a group.
        func row(_ group: StoredGroup) -> Journal.Row {
            Journal.Row(
                path: group.key.groupPath,
                exposition: group.exposition { (index[$0].name, index[$0].type, index[$0].help) },
                pushTime: group.pushTime, failureTime: group.failureTime, deadlineMs: group.deadlineMs)
        }

        /// Group ids sorted by label set. O(groups · log groups) after a group came or went.
        mutating func sortedOrder() -> [UInt32] {
            if let order { return order }
            var result = Array(ids.values)
            var keys: [UInt32: [UInt8]] = [:]
            keys.reserveCapacity(result.count)
            for id in result { keys[id] = slots[Int(id)]!.labelBytes }
            result.sort { keys[$0]!.lexicographicallyPrecedes(keys[$1]!) }
            order = result
            return result
        }
    }
}

extension Array where Element: BitwiseCopyable {
    /// The same elements in an array whose capacity is (about) its count, when more than an
    /// eighth of the capacity is unused; else `self`.
    func trimmed() -> [Element] {
        guard capacity - count > capacity / 8 else { return self }
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = buffer.initialize(fromContentsOf: self)
            initialized = count
        }
    }
}
