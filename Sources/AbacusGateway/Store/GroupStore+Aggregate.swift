public import AbacusExposition

/// The group id the store's series-fingerprint index gives aggregated series.
let aggregateHolder = UInt32.max

extension GroupStore.State {
    /// A series to create, checked.
    struct SeriesPlan {
        var name: String
        var help: String?
        var type: MetricType
        var key: String
        var labels: [Label]
        var labelText: [UInt8]
        var fingerprint: UInt64
        var bounds: [Double]
        var lines: Int
    }

    enum Located {
        case existing(Int32)
        case new(SeriesPlan)
    }

    /// Finds the aggregated series `name` with `labels` (merged with `extra`, without empty
    /// values, sorted) or checks
    /// that it can be created with `type` (and, for a histogram, the bounds `bounds` gives),
    /// without changing anything. Throws when the name has another type or other label names,
    /// collides with a name or series held elsewhere, or the store is full (`pendingLines`
    /// more lines are already planned).
    func locate(
        name: String, help: String?, labels: [Label], type: MetricType, bounds: () -> [Double],
        extra: [Label], limits: StoreLimits, pendingLines: Int = 0
    ) throws(PushRejection) -> Located {
        // A label with an empty value is the same as no label, as in Prometheus.
        let all = ExtraLabels.merge(extra, labels).filter { !$0.value.isEmpty }.sorted()
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
            guard family.labelNames.elementsEqual(all.lazy.map(\.name)) else {
                throw .invalid(
                    "label_conflict",
                    "metric \(name) has the label names [\(family.labelNames.joined(separator: ","))], not "
                        + "[\(all.map(\.name).joined(separator: ","))]; a name has one set of label names")
            }
        } else {
            try checkNewFamily(name, type)
        }
        let newBounds = type == .histogram ? bounds() : []
        let lines = Aggregate.lines(type, bounds: newBounds.count)
        if lineCount + aggregate.lineCount + pendingLines + lines > limits.maxSeries {
            throw PushRejection(
                status: 429, reason: "too_many_series",
                "storing series \(key) would exceed \(limits.maxSeries) sample lines (--store.max-series)")
        }
        let fingerprint = ExpositionValidator.seriesFingerprint(name: name, labels: all)
        if let holder = series[fingerprint], holder != aggregateHolder, let other = slots[Int(holder)],
            holds(other, family: name, labels: all)
        {
            throw .invalid(
                "duplicate_series",
                "series \(key) is already pushed to group {\(String(decoding: other.labelBytes, as: UTF8.self))}; "
                    + "a series cannot be both pushed and aggregated")
        }
        return .new(
            SeriesPlan(
                name: name, help: help, type: type, key: key, labels: all, labelText: labelText,
                fingerprint: fingerprint, bounds: newBounds, lines: lines))
    }

    /// The aggregated series `name` with `labels`, created if new (see ``locate``).
    mutating func resolve(
        name: String, help: String?, labels: [Label], type: MetricType, bounds: () -> [Double],
        extra: [Label], limits: StoreLimits, nowMs: Int64
    ) throws(PushRejection) -> Int32 {
        switch try locate(
            name: name, help: help, labels: labels, type: type, bounds: bounds, extra: extra, limits: limits)
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

    /// `# HELP name text\n`, or nothing for an empty text.
    static func helpLine(_ name: String, _ help: String) -> [UInt8] {
        guard !help.isEmpty else { return [] }
        var line = Array("# HELP \(name) ".utf8)
        Escaping.appendHelp(help, quotes: false, to: &line)
        line.append(0x0A)
        return line
    }

    /// Creates a series ``locate`` planned.
    mutating func create(_ plan: SeriesPlan, nowMs: Int64) -> Int32 {
        let id: Int32
        if let existing = index.id(of: plan.name), aggregate.families[existing] != nil {
            id = existing
        } else {
            id = index.acquire(plan.name, plan.type)
            index.retain(id)
            aggregate.families[id] = Aggregate.Family(
                type: plan.type, labelNames: plan.labels.map(\.name),
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
        var created = Aggregate.Series(
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
        aggregate.lineCount -= Aggregate.lines(family.type, bounds: removed.bounds.count)
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

    /// The journal row of an aggregated series: its family's HELP and TYPE and its lines.
    func seriesRow(_ slot: Int32) -> Journal.SeriesRow {
        let series = aggregate.slots[Int(slot)]!
        let family = aggregate.families[series.family]!
        let name = index[series.family].name
        var text = family.helpLine
        text.append(contentsOf: "# TYPE \(name) \(family.type.textName ?? "untyped")\n".utf8)
        series.appendLines(name: name, to: &text)
        return Journal.SeriesRow(key: series.key, exposition: text, updatedMs: series.updatedMs)
    }

    /// The aggregated series rendered as one immutable group (no grouping labels), for a
    /// scrape: families in name order, series in label order. O(aggregated series) (sorting a
    /// family again only after a series came or went).
    mutating func renderAggregate() -> StoredGroup? {
        guard !aggregate.families.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(aggregate.lineCount * 64)
        var slices: [StoredGroup.Slice] = []
        for id in index.sortedIDs() {
            guard let family = aggregate.families[id] else { continue }
            let order: [Int32]
            if let cached = family.order {
                order = cached
            } else {
                order = family.members.sorted {
                    aggregate.slots[Int($0)]!.labelText.lexicographicallyPrecedes(aggregate.slots[Int($1)]!.labelText)
                }
                aggregate.families[id]!.order = order
            }
            bytes.append(contentsOf: family.helpLine)
            let linesStart = bytes.count
            let name = index[id].name
            for slot in order { aggregate.slots[Int(slot)]!.appendLines(name: name, to: &bytes) }
            slices.append(
                StoredGroup.Slice(
                    family: id, linesStart: UInt32(linesStart), end: UInt32(bytes.count), fingerprintEnd: 0,
                    type: family.type, sharedHelp: false))
        }
        return StoredGroup(
            key: GroupStore.aggregateKey, bytes: bytes, families: slices, fingerprints: [], pushTime: 0,
            failureTime: 0, deadlineMs: nil)
    }
}

extension GroupStore {
    /// The aggregating push (`/aggregate`): every sample of `families` is added to the
    /// aggregated series of the same name and labels (`labels` from the URL replacing body
    /// labels of the same name, then the extra labels): counters and histogram buckets add,
    /// gauges (and untyped samples, kept as gauges) are replaced, summaries add their count
    /// and sum (quantiles cannot be aggregated and are dropped). A histogram whose bounds
    /// differ from the series' is refused, never merged. All or nothing: every sample is
    /// checked before any is applied. Returns the journal ticket.
    public func aggregate(_ families: [MetricFamily], labels pathLabels: [Label], extra: [Label], nowMs: Int64)
        throws(PushRejection) -> Journal.Ticket?
    {
        var items: [(name: String, help: String?, labels: [Label], update: AggregateUpdate)] = []
        for family in families {
            for metric in family.metrics {
                if metric.timestampMs != nil {
                    throw .invalid("timestamp", "aggregated samples must not have timestamps (metric \(family.name))")
                }
                var labels = metric.labels.filter { label in !pathLabels.contains { $0.name == label.name } }
                labels.append(contentsOf: pathLabels)
                guard let update = AggregateUpdate(merging: metric.value) else {
                    throw .invalid(
                        "invalid", "\(family.type.textName ?? "this type") \(family.name) cannot be aggregated")
                }
                if case .add(let value) = update, !(value >= 0 && value.isFinite) {
                    throw .invalid("invalid", "counter \(family.name) has the value \(value); a counter adds ≥ 0")
                }
                if update.type == .histogram, labels.contains(where: { $0.name == "le" }) {
                    throw .invalid("invalid", "label le cannot be applied to histogram \(family.name)")
                }
                items.append((family.name, family.help, labels, update))
            }
        }
        return try state.withLock { state throws(PushRejection) -> Journal.Ticket? in
            // Check everything first.
            var pendingLines = 0
            var newFamilies: [String: (MetricType, [String])] = [:]
            var newBounds: [String: [Double]] = [:]
            for item in items {
                let bounds = item.update.bounds
                let located = try state.locate(
                    name: item.name, help: item.help, labels: item.labels, type: item.update.type, bounds: { bounds },
                    extra: extra, limits: limits, pendingLines: pendingLines)
                switch located {
                case .existing(let slot):
                    if item.update.type == .histogram, state.aggregate.slots[Int(slot)]!.bounds != bounds {
                        throw .invalid(
                            "bucket_layout",
                            "histogram \(state.aggregate.slots[Int(slot)]!.key) has the bounds "
                                + "\(state.aggregate.slots[Int(slot)]!.bounds.map(NumberFormatting.string)), "
                                + "the push \(bounds.map(NumberFormatting.string)); histograms with different "
                                + "buckets are not merged")
                    }
                case .new(let plan):
                    let names = plan.labels.map(\.name)
                    if let (type, labelNames) = newFamilies[plan.name] {
                        if type != plan.type || labelNames != names {
                            throw .invalid(
                                "label_conflict",
                                "metric \(plan.name) appears with different types or label names in the push")
                        }
                    } else {
                        newFamilies[plan.name] = (plan.type, names)
                    }
                    if plan.type == .histogram {
                        if let earlier = newBounds[plan.key], earlier != bounds {
                            throw .invalid("bucket_layout", "histogram \(plan.key) appears twice with other bounds")
                        }
                        newBounds[plan.key] = bounds
                    }
                    pendingLines += plan.lines
                }
            }
            // Then apply: nothing can fail any more.
            for item in items {
                let bounds = item.update.bounds
                guard
                    let slot = try? state.resolve(
                        name: item.name, help: item.help, labels: item.labels, type: item.update.type,
                        bounds: { bounds }, extra: extra, limits: .unlimited, nowMs: nowMs)
                else { continue }
                state.aggregate.slots[Int(slot)]!.apply(item.update)
                state.aggregate.slots[Int(slot)]!.updatedMs = nowMs
                state.aggregate.markDirty(slot)
            }
            state.index.collect()
            return state.commitDirty(to: journal)
        }
    }
}

extension GroupStore {
    /// For each aggregated family, by name, the last update of any of its series (Unix ms).
    /// O(aggregated series): for `/api/v1/metrics`, not for scrapes.
    public func aggregatedUpdateTimes() -> [String: Int64] {
        state.withLock { state in
            var times: [String: Int64] = [:]
            for case let series? in state.aggregate.slots {
                let name = state.index[series.family].name
                times[name] = max(times[name] ?? 0, series.updatedMs)
            }
            return times
        }
    }

    /// Deletes the aggregated series that have every label of `labels` (and, when given, the
    /// name `name`); returns how many and the journal ticket. O(aggregated series).
    public func deleteAggregated(matching labels: [Label], name: String?) -> (deleted: Int, ticket: Journal.Ticket?) {
        var tokens: [[UInt8]] = []
        // A label with an empty value matches the series without that label.
        let absent = labels.filter(\.value.isEmpty).map(\.name)
        for label in labels where !label.value.isEmpty {
            var token: [UInt8] = []
            Escaping.appendLabelSet([label], to: &token)
            tokens.append(token)
        }
        return state.withLock { state in
            var doomed: [Int32] = []
            for (slot, series) in state.aggregate.slots.enumerated() {
                guard let series else { continue }
                if let name, state.index[series.family].name != name { continue }
                if !absent.isEmpty, let names = state.aggregate.families[series.family]?.labelNames,
                    absent.contains(where: names.contains)
                {
                    continue
                }
                if tokens.allSatisfy({ Self.labelText(series.labelText, contains: $0) }) { doomed.append(Int32(slot)) }
            }
            return (doomed.count, state.removeAggregated(doomed, journal: journal))
        }
    }

    /// Whether `text` (`a="x",b="y"`, values escaped, so `"` and `,` inside a value never end
    /// a label) has the label `token` (`b="y"`) as one of its comma-separated labels.
    static func labelText(_ text: [UInt8], contains token: [UInt8]) -> Bool {
        var start = 0
        var inValue = false
        var escaped = false
        for (index, byte) in text.enumerated() {
            if inValue {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inValue = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inValue = true
            } else if byte == UInt8(ascii: ",") {
                if text[start..<index].elementsEqual(token) { return true }
                start = index + 1
            }
        }
        return text[start...].elementsEqual(token)
    }
}
