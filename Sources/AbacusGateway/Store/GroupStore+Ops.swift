public import AbacusExposition

/// The transports JSON-lines ops arrive on (the `transport` label of `abacus_ingest_*`).
public enum IngestTransport: String, Sendable, CaseIterable {
    case udp, unix, tcp, http
}

/// What an ops reader may do, fixed per listener (and, for UDP, per sender).
public struct OpsPolicy: Sendable {
    /// Limits of one message.
    public var limits: OpsLimits = .default
    /// Labels added to every aggregated series that does not have them.
    public var extraLabels: [Label] = []
    /// `nil` when `shutdown` is honoured; else why it is not (rejected and counted).
    public var shutdownRefusal: String? = "shutdown is not enabled (start the gateway with --ops.enable-shutdown)"

    public init() {}
}

/// What applying a batch of ops did.
public struct OpsOutcome: Sendable {
    /// One rejected message (or skipped stretch of bytes).
    public struct Rejection: Sendable, Equatable {
        /// 1-based position of the message in the batch.
        public let ordinal: Int
        /// Stable snake_case reason (an ``OpsRejection/Reason`` or a store reason such as
        /// `type_conflict`, `label_conflict`, `duplicate_series`, `too_many_series`,
        /// `shutdown_disabled`).
        public let reason: String
        /// What was wrong, in words.
        public let message: String
    }

    /// Accepted messages per operation, in ``OpsOperation/allCases`` order (a tuple: an
    /// outcome allocates nothing unless something is rejected).
    var acceptedCounts: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// Accepted messages of `op`.
    public func accepted(_ op: OpsOperation) -> Int {
        switch op {
        case .inc: acceptedCounts.0
        case .set: acceptedCounts.1
        case .add: acceptedCounts.2
        case .obs: acceptedCounts.3
        case .event: acceptedCounts.4
        case .index: acceptedCounts.5
        case .raw: acceptedCounts.6
        case .shutdown: acceptedCounts.7
        }
    }

    /// Rejected messages, in order.
    public internal(set) var rejections: [Rejection] = []
    /// Messages seen (accepted + rejected).
    public internal(set) var messages = 0
    /// A permitted `shutdown` was among them.
    public internal(set) var shutdownRequested = false
    /// The journal ticket covering the changes, when the batch asked to commit.
    public internal(set) var ticket: Journal.Ticket?

    /// Messages accepted in all.
    public var accepted: Int {
        acceptedCounts.0 + acceptedCounts.1 + acceptedCounts.2 + acceptedCounts.3 + acceptedCounts.4
            + acceptedCounts.5 + acceptedCounts.6 + acceptedCounts.7
    }

    @inline(__always)
    mutating func count(_ op: OpsOperation) {
        messages += 1
        switch op {
        case .inc: acceptedCounts.0 += 1
        case .set: acceptedCounts.1 += 1
        case .add: acceptedCounts.2 += 1
        case .obs: acceptedCounts.3 += 1
        case .event: acceptedCounts.4 += 1
        case .index: acceptedCounts.5 += 1
        case .raw: acceptedCounts.6 += 1
        case .shutdown: acceptedCounts.7 += 1
        }
    }

    mutating func reject(_ reason: String, _ message: String) {
        messages += 1
        rejections.append(Rejection(ordinal: messages, reason: reason, message: message))
    }
}

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

    /// Hands every aggregated series changed since the last flush to the journal (the socket
    /// transports' durability window). Returns the ticket, `nil` when nothing changed.
    @discardableResult
    public func flushAggregate() -> Journal.Ticket? {
        state.withLock { $0.commitDirty(to: journal) }
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

    /// Forgets which aggregated series changed (after a restore: they are stored already).
    func clearDirty() { state.withLock { $0.discardDirty() } }

    /// Aggregated series changed since the last flush to the journal (socket ops waiting for
    /// the next `--ops.commit-interval`).
    public var unflushedCount: Int { state.withLock { $0.aggregate.dirty.count } }

    /// Number of aggregated series.
    public var aggregatedCount: Int { state.withLock { $0.aggregate.count } }

    /// Puts back an aggregated series read from storage at start (its labels already hold the
    /// extra labels of the time it was stored); `nil` or why it was skipped.
    func restoreSeries(_ row: Journal.SeriesRow) -> String? {
        let families: [MetricFamily]
        do { families = try TextParser.parse(row.exposition) } catch { return "\(error)" }
        guard families.count == 1, let family = families.first, family.metrics.count == 1 else {
            return "not one series"
        }
        let metric = family.metrics[0]
        guard let update = AggregateUpdate(merging: metric.value) else {
            return "type \(family.type) cannot be aggregated"
        }
        return state.withLock { state -> String? in
            do throws(PushRejection) {
                let slot = try state.resolve(
                    name: family.name, help: family.help, labels: metric.labels, type: update.type,
                    bounds: { update.bounds }, extra: [], limits: .unlimited, nowMs: row.updatedMs)
                state.aggregate.slots[Int(slot)]!.apply(update)
                state.aggregate.slots[Int(slot)]!.updatedMs = row.updatedMs
                state.index.collect()
                return nil
            } catch {
                state.index.collect()
                return error.message
            }
        }
    }
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

    /// Hands the series changed since the last call to `journal` (in memory mode, forgets
    /// them); the ticket, `nil` when nothing changed.
    mutating func commitDirty(to journal: Journal?) -> Journal.Ticket? {
        guard let journal else {
            discardDirty()
            return nil
        }
        let rows = takeDirtyRows()
        return rows.isEmpty ? nil : journal.enqueue(series: rows)
    }

    /// The rows of the series changed since the last call; clears their dirty marks.
    mutating func takeDirtyRows() -> [Journal.SeriesRow] {
        var rows: [Journal.SeriesRow] = []
        rows.reserveCapacity(aggregate.dirty.count)
        for slot in aggregate.dirty {
            guard aggregate.slots[Int(slot)]?.dirty == true else { continue }
            aggregate.slots[Int(slot)]!.dirty = false
            rows.append(seriesRow(slot))
        }
        aggregate.dirty.removeAll(keepingCapacity: true)
        return rows
    }

    mutating func discardDirty() {
        for slot in aggregate.dirty where aggregate.slots[Int(slot)] != nil {
            aggregate.slots[Int(slot)]!.dirty = false
        }
        aggregate.dirty.removeAll(keepingCapacity: true)
    }
}
