public import AbacusExposition

/// Where an aggregated series changes: JSON ops messages (``GroupStore/applyOps(policy:nowMs:commit:_:)``,
/// every ops transport's hot path) and aggregating pushes (``GroupStore/aggregate(_:labels:extra:nowMs:)``),
/// the metric TTL (``GroupStore/expireAggregate(nowMs:ttlMs:)``) and deletes. The series table
/// is in AggregateStore+Series.swift, the text in AggregateStore+Render.swift, storage rows in
/// AggregateStore+Journal.swift.
extension GroupStore {
    /// The key of the pseudo-group aggregated series are rendered as (never stored or listed).
    static let aggregateKey = try! GroupingKey(job: "abacus_aggregate")

    /// Applies every ops item `read` produces, under one lock: the hot path of every ops
    /// transport. `read` is handed a sink and calls it for each item (typically an
    /// ``OpsFramer`` draining a read or a datagram). With `commit`, the changed series are
    /// handed to the journal at once and ``OpsOutcome/ticket`` is set (HTTP answers after the
    /// commit); otherwise they are committed by the next ``flushAggregate()``.
    ///
    /// An `inc`/`set`/`add`/`obs` on a series seen before with the same raw name and labels
    /// bytes costs a hash, a comparison and the update; anything else is fully decoded first.
    public func applyOps(
        policy: OpsPolicy, nowMs: Int64, commit: Bool = false, _ read: ((OpsItem) -> Void) -> Void
    ) -> OpsOutcome {
        state.withLock { state in
            var outcome = OpsOutcome()
            read { item in state.applyOp(item, policy: policy, limits: limits, nowMs: nowMs, outcome: &outcome) }
            state.index.collect()
            if commit { outcome.ticket = state.commitDirty(to: journal) }
            return outcome
        }
    }

    /// Deletes the aggregated series not updated for `ttlMs`; returns how many. O(aggregated
    /// series).
    public func expireAggregate(nowMs: Int64, ttlMs: Int64) -> Int {
        state.withLock { state in
            var doomed: [Int32] = []
            for (slot, series) in state.aggregate.slots.enumerated() {
                if let series, series.updatedMs <= nowMs - ttlMs { doomed.append(Int32(slot)) }
            }
            _ = state.removeAggregated(doomed, journal: journal)
            return doomed.count
        }
    }

    /// Aggregated series changed since the last flush to the journal (socket ops waiting for
    /// the next `--ops.commit-interval`).
    public var unflushedCount: Int { state.withLock { $0.aggregate.dirty.count } }

    /// Number of aggregated series.
    public var aggregatedCount: Int { state.withLock { $0.aggregate.count } }

}

extension GroupStore.State {
    @inline(__always)
    static func update(_ op: OpsOperation, _ value: Double) -> AggregateUpdate? {
        switch op {
        case .inc: .add(value)
        case .set: .set(value)
        case .add: .gaugeAdd(value)
        case .obs: .observe(value)
        case .event, .index, .raw, .shutdown: nil
        }
    }

    @inline(__always)
    mutating func applyOp(
        _ item: OpsItem, policy: OpsPolicy, limits: StoreLimits, nowMs: Int64, outcome: inout OpsOutcome
    ) {
        switch item {
        case .quick(let quick):
            let hash = aggregate.quick.hash(quick.name, quick.labels)
            if let hit = aggregate.quick.find(quick.name, quick.labels, hash: hash),
                aggregate.generations[Int(hit.slot)] == hit.generation,
                let update = Self.update(quick.op, quick.value),
                update.type == aggregate.slots[Int(hit.slot)]!.type
            {
                let slot = Int(hit.slot)
                aggregate.slots[slot]!.apply(update)
                aggregate.slots[slot]!.updatedMs = nowMs
                aggregate.markDirty(hit.slot)
                outcome.count(quick.op)
                return
            }
            let message: OpsMessage
            do {
                message = try quick.decode(limits: policy.limits)
            } catch {
                outcome.reject(error.reason.rawValue, error.message)
                return
            }
            if let slot = applyMessage(message, policy: policy, limits: limits, nowMs: nowMs, outcome: &outcome) {
                aggregate.quick.insert(
                    quick.name, quick.labels, hash: hash, slot: slot, generation: aggregate.generations[Int(slot)])
            }
        case .message(let message):
            _ = applyMessage(message, policy: policy, limits: limits, nowMs: nowMs, outcome: &outcome)
        case .rejected(let rejection):
            outcome.reject(rejection.reason.rawValue, rejection.message)
        }
    }

    /// Applies one decoded message; returns the series it changed.
    mutating func applyMessage(
        _ message: OpsMessage, policy: OpsPolicy, limits: StoreLimits, nowMs: Int64, outcome: inout OpsOutcome
    ) -> Int32? {
        guard let update = Self.update(message.op, message.value) else {
            if message.op == .shutdown, let refusal = policy.shutdownRefusal {
                outcome.reject("shutdown_disabled", refusal)
                return nil
            }
            if message.op == .shutdown { outcome.shutdownRequested = true }
            outcome.count(message.op)
            return nil
        }
        do {
            let slot = try resolve(
                name: message.name, help: message.help, labels: message.labels, type: update.type,
                bounds: { (message.histogram ?? .default).upperBounds() }, extra: policy.extraLabels,
                limits: limits, nowMs: nowMs)
            aggregate.slots[Int(slot)]!.apply(update)
            aggregate.slots[Int(slot)]!.updatedMs = nowMs
            aggregate.markDirty(slot)
            outcome.count(message.op)
            return slot
        } catch {
            outcome.reject(error.reason, error.message)
            return nil
        }
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
        // A label with an empty value matches the series without that label: `name=` starts
        // none of its labels.
        let absent: [[UInt8]] = labels.filter(\.value.isEmpty).map { label in
            var prefix: [UInt8] = []
            Escaping.appendLabelName(label.name, to: &prefix)
            prefix.append(UInt8(ascii: "="))
            return prefix
        }
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
                if absent.contains(where: { prefix in Self.labelText(series.labelText, has: { $0.starts(with: prefix) })
                }) {
                    continue
                }
                if tokens.allSatisfy({ Self.labelText(series.labelText, contains: $0) }) {
                    doomed.append(Int32(slot))
                }
            }
            return (doomed.count, state.removeAggregated(doomed, journal: journal))
        }
    }

    /// Whether `text` (`a="x",b="y"`, values escaped, so `"` and `,` inside a value never end
    /// a label) has the label `token` (`b="y"`) as one of its comma-separated labels.
    static func labelText(_ text: [UInt8], contains token: [UInt8]) -> Bool {
        labelText(text, has: { $0.elementsEqual(token) })
    }

    /// Whether one of the comma-separated labels of `text` (see
    /// ``labelText(_:contains:)``) `matches`.
    static func labelText(_ text: [UInt8], has matches: (ArraySlice<UInt8>) -> Bool) -> Bool {
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
                if matches(text[start..<index]) { return true }
                start = index + 1
            }
        }
        return !text.isEmpty && matches(text[start...])
    }
}
