public import AbacusExposition

/// The group id the store's series-fingerprint index gives aggregated series.
let aggregateHolder = UInt32.max

/// The aggregated series table: finding a series by name and labels, checking a new one
/// against the whole gateway (one type per name, no series both pushed and aggregated, the
/// store's limits), creating and removing it. These live on the store's state because groups
/// and aggregated series share its family index and series fingerprints.
extension GroupStore.State {
    /// A series to create, checked.
    struct SeriesPlan {
        var name: String
        var help: String?
        var type: MetricType
        var key: String
        var labels: [Label]
        /// The label names the family has: the message's, empty values included, and the
        /// extra labels'.
        var labelNames: [String]
        var labelText: [UInt8]
        var fingerprint: UInt64
        var bounds: [Double]
        var lines: Int
    }

    enum Located {
        case existing(Int32)
        case new(SeriesPlan)
    }

    /// Finds the aggregated series `name` with `labels` or checks that it can be created with
    /// `type` (and, for a histogram, the bounds `bounds` gives), without changing anything.
    /// Throws when the name has another type or other label names, collides with a name or
    /// series held elsewhere, or the store is full (`pendingLines` more lines are already
    /// planned).
    ///
    /// A label with an empty value is the same as no label, as in Prometheus: the series is
    /// its name and its labels without those, then the extra labels it does not have (its own
    /// win). Its label names, for the one-set-per-name rule, include the empty ones, as a
    /// client_golang vector of the original metrics-server takes `""` for a label it has.
    /// `restoring` (a series read back at start) skips that rule: a stored series does not
    /// say which of its family's labels it had empty.
    func locate(
        name: String, help: String?, labels: [Label], type: MetricType, bounds: () -> [Double],
        extra: [Label], limits: StoreLimits, pendingLines: Int = 0, restoring: Bool = false
    ) throws(PushRejection) -> Located {
        let extra = extra.filter { !$0.value.isEmpty }
        let all = ExtraLabels.merge(extra, labels.filter { !$0.value.isEmpty }).sorted()
        var nameSet = Set(labels.map(\.name))
        nameSet.formUnion(extra.map(\.name))
        let labelNames = nameSet.sorted()
        var labelText: [UInt8] = []
        Escaping.appendLabelSet(all, to: &labelText)
        let key = name + "{" + String(decoding: labelText, as: UTF8.self) + "}"
        if let familyID = index.id(of: name), let family = aggregate.families[familyID] {
            guard family.type == type else {
                throw .invalid(
                    "type_conflict",
                    "metric \(name) is a \(family.type.textName ?? "?"), not a \(type.textName ?? "?"); a name has one "
                        + "type in the gateway")
            }
            if let slot = aggregate.byKey[key] { return .existing(slot) }
            guard restoring || family.labelNames == labelNames else {
                throw .invalid(
                    "label_conflict",
                    "metric \(name) has the label names [\(family.labelNames.joined(separator: ","))], not "
                        + "[\(labelNames.joined(separator: ","))]; a name has one set of label names")
            }
        } else {
            try checkNewFamily(name, type)
        }
        let newBounds = type == .histogram ? bounds() : []
        let lines = AggregateStore.lines(type, bounds: newBounds.count)
        if lineCount + aggregate.lineCount + pendingLines + lines > limits.maxSeries {
            throw PushRejection(
                status: 429, reason: "too_many_series",
                "storing series \(key) would exceed \(limits.maxSeries) sample lines (--store.max-series)")
        }
        // Fingerprinted as a pushed series is (with `instance=""` when it has no instance): to
        // Prometheus `x{job="a"}` and the pushed `x{instance="",job="a"}` are one series.
        let comparable = all.contains { $0.name == "instance" } ? all : (all + [Label("instance", "")]).sorted()
        let fingerprint = ExpositionValidator.seriesFingerprint(name: name, labels: comparable)
        if let holder = series[fingerprint], holder != aggregateHolder, let other = slots[Int(holder)],
            holds(other, family: name, labels: comparable)
        {
            throw .invalid(
                "duplicate_series",
                "series \(key) is already pushed to group {\(String(decoding: other.labelBytes, as: UTF8.self))}; "
                    + "a series cannot be both pushed and aggregated")
        }
        return .new(
            SeriesPlan(
                name: name, help: help, type: type, key: key, labels: all, labelNames: labelNames,
                labelText: labelText, fingerprint: fingerprint, bounds: newBounds, lines: lines))
    }

    /// The aggregated series `name` with `labels`, created if new (see ``locate``).
    mutating func resolve(
        name: String, help: String?, labels: [Label], type: MetricType, bounds: () -> [Double],
        extra: [Label], limits: StoreLimits, nowMs: Int64, restoring: Bool = false
    ) throws(PushRejection) -> Int32 {
        switch try locate(
            name: name, help: help, labels: labels, type: type, bounds: bounds, extra: extra, limits: limits,
            restoring: restoring)
        {
        case .existing(let slot):
            // A family created without HELP takes the first one a later message brings.
            if let help, !help.isEmpty {
                let family = aggregate.slots[Int(slot)]!.family
                if aggregate.families[family]!.helpLine.isEmpty {
                    aggregate.families[family]!.helpLine = Self.helpLine(name, help)
                }
            }
            return slot
        case .new(let plan): return create(plan, nowMs: nowMs)
        }
    }

    /// Creates a series ``locate`` planned.
    mutating func create(_ plan: SeriesPlan, nowMs: Int64) -> Int32 {
        let id: Int32
        if let existing = index.id(of: plan.name), let family = aggregate.families[existing] {
            id = existing
            // Restored series may each lack some of the family's (empty) labels: the family
            // has them all.
            if family.labelNames != plan.labelNames {
                aggregate.families[id]!.labelNames = Set(family.labelNames).union(plan.labelNames).sorted()
            }
        } else {
            id = index.acquire(plan.name, plan.type)
            index.retain(id)
            aggregate.families[id] = AggregateStore.Family(
                type: plan.type, labelNames: plan.labelNames,
                helpLine: plan.help.map { Self.helpLine(plan.name, $0) } ?? [])
        }
        let slot: Int32
        if let reused = aggregate.free.popLast() {
            slot = reused
        } else {
            slot = Int32(aggregate.slots.count)
            aggregate.slots.append(nil)
            aggregate.generations.append(0)
        }
        aggregate.generations[Int(slot)] &+= 1
        var created = AggregateStore.Series(
            family: id, type: plan.type, key: plan.key, labelText: plan.labelText, fingerprint: plan.fingerprint,
            value: 0, updatedMs: nowMs)
        if plan.type == .histogram {
            created.bounds = plan.bounds
            created.buckets = Array(repeating: 0, count: plan.bounds.count + 1)
        }
        aggregate.slots[Int(slot)] = created
        aggregate.dirty.append(slot)
        aggregate.byKey[plan.key] = slot
        aggregate.families[id]!.members.insert(slot)
        aggregate.families[id]!.order = nil
        aggregate.lineCount += plan.lines
        series[plan.fingerprint] = aggregateHolder
        return slot
    }

    /// Whether a new aggregated family `name` of `type` fits beside the groups and the
    /// gateway's own metrics (the same rules as a push).
    func checkNewFamily(_ name: String, _ type: MetricType) throws(PushRejection) {
        if GroupStore.reservedNames.contains(name) {
            throw .invalid("reserved_name", "\(name) is written by the gateway for every group")
        }
        func held(_ id: Int32) -> Bool { index[id].permanent || index[id].owners > 0 }
        // The gateway writes these series itself, without labels a message could tell apart.
        if let existing = index.id(of: name), index[existing].permanent {
            throw .invalid("reserved_name", "\(name) is one of the gateway's own metrics")
        }
        if let existing = index.id(of: name), index[existing].type != type, held(existing) {
            let holder = index[existing].permanent ? "the gateway's own metric" : "pushed by groups"
            throw .invalid(
                "type_conflict",
                "metric \(name) is a \(index[existing].type.textName ?? "?") \(holder), not a "
                    + "\(type.textName ?? "?"); a name has one type in the gateway")
        }
        if let base = index.owner(ofDerived: name), held(base) {
            throw .invalid(
                "name_conflict",
                "metric \(name) collides with the series of \(index[base].type.textName ?? "?") \(index[base].name)")
        }
        for derived in PreparedFamily.derivedNames(name, type) {
            if let existing = index.id(of: derived), held(existing) {
                throw .invalid(
                    "name_conflict",
                    "\(type.textName ?? "?") \(name) would write series named \(derived), which is already a "
                        + "\(index[existing].type.textName ?? "?") in the gateway")
            }
        }
    }

    /// Removes one aggregated series (expired, or deleted); returns its storage key.
    mutating func removeAggregated(_ slot: Int32) -> String {
        let removed = aggregate.slots[Int(slot)]!
        aggregate.slots[Int(slot)] = nil
        aggregate.generations[Int(slot)] &+= 1
        aggregate.free.append(slot)
        aggregate.byKey[removed.key] = nil
        if series[removed.fingerprint] == aggregateHolder { series[removed.fingerprint] = nil }
        let family = aggregate.families[removed.family]!
        aggregate.lineCount -= AggregateStore.lines(family.type, bounds: removed.bounds.count)
        aggregate.families[removed.family]!.members.remove(slot)
        aggregate.families[removed.family]!.order = nil
        if aggregate.families[removed.family]!.members.isEmpty {
            aggregate.families[removed.family] = nil
            index.release(removed.family)
        }
        return removed.key
    }

    /// Removes the aggregated series in `slots` and queues the deletion of their rows; the
    /// journal ticket, `nil` when nothing was removed or in memory mode.
    mutating func removeAggregated(_ slots: [Int32], journal: Journal?) -> Journal.Ticket? {
        var keys: [String] = []
        for slot in slots { keys.append(removeAggregated(slot)) }
        index.collect()
        guard let journal, !keys.isEmpty else { return nil }
        return journal.enqueue(series: [], deleting: keys)
    }

}
