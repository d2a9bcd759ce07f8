public import AbacusExposition
import Synchronization

/// The gateway's groups: the one writer every change goes through, and the snapshots scrapes
/// read.
///
/// Every change takes one lock, is checked against the indexes in O(size of the change) — one
/// type per metric name (the gateway's own metrics included), no name taken by a histogram's or
/// summary's derived series, no series in two groups, the store's limits — and, when durable,
/// is handed to the ``Journal`` inside the same critical section, so the journal sees changes
/// in the order they were applied. Scrapes take a ``StoreSnapshot`` (a few array copies that
/// share their elements) and render outside the lock.
public final class GroupStore: Sendable {
    /// Names the gateway writes for every group; a push cannot use them.
    static let reservedNames: Set<String> = ["push_time_seconds", "push_failure_time_seconds"]

    let limits: StoreLimits
    let journal: Journal?
    let checksConsistency: Bool
    let state: Mutex<State>

    /// A store with `limits`, journaling to `journal` (none: in memory only). `ownFamilies` are
    /// the names and types of the gateway's own metrics: pushes must agree with their types.
    /// `checksConsistency: false` skips the cross-group checks (`--push.disable-consistency-check`).
    public init(
        limits: StoreLimits, journal: Journal?, ownFamilies: [(String, MetricType)], checksConsistency: Bool = true
    ) {
        self.limits = limits
        self.journal = journal
        self.checksConsistency = checksConsistency
        var state = State()
        for (name, type) in ownFamilies { _ = state.index.acquire(name, type, permanent: true) }
        for name in Self.reservedNames { _ = state.index.acquire(name, .gauge, permanent: true) }
        self.state = Mutex(state)
    }

    /// What a push does to its group.
    public enum Mode: Sendable {
        /// `PUT`: the push replaces the whole group.
        case replaceGroup
        /// `POST`: the push replaces the families of the same names.
        case replaceFamilies
    }

    /// Applies pushes atomically: all of them or, if one is refused, none (each refused
    /// group's `push_failure_time_seconds` is set). `ttlMs` is the time to live given to every
    /// group pushed (`nil`: never expire). Returns the journal ticket to wait for before
    /// answering (`nil` in memory mode). O(size of the pushes + size of the groups replaced).
    public func apply(_ pushes: [PreparedPush], mode: Mode, nowMs: Int64, ttlMs: Int64?) throws(PushRejection)
        -> Journal.Ticket?
    {
        let now = Double(nowMs) / 1000
        let deadline = ttlMs.map { ttl in
            let (sum, overflow) = nowMs.addingReportingOverflow(ttl)
            return overflow ? Int64.max : sum
        }
        let result: Result<Journal.Ticket?, PushRejection> = state.withLock { state in
            var undo: [(UInt32, StoredGroup?, StoredGroup)] = []
            for push in pushes {
                do throws(PushRejection) {
                    let (id, old, new) = try state.apply(
                        push, mode: mode, pushTime: now, deadlineMs: deadline, limits: limits,
                        consistency: checksConsistency)
                    undo.append((id, old, new))
                } catch {
                    for (id, old, new) in undo.reversed() { state.install(id: id, old: new, new: old) }
                    if let failed = state.recordFailure(push, now: now, limits: limits, deadlineMs: deadline),
                        let journal
                    {
                        _ = journal.enqueue(.upsert(state.row(failed)))
                    }
                    state.index.collect()
                    // In a batch, say which group was refused.
                    guard pushes.count > 1 else { return .failure(error) }
                    var named = error
                    named.message = "group \(push.key.groupPath): \(error.message)"
                    return .failure(named)
                }
            }
            state.index.collect()
            for (_, _, new) in undo { state.track(new) }
            var ticket: Journal.Ticket?
            if let journal {
                for (_, _, new) in undo { ticket = journal.enqueue(.upsert(state.row(new))) }
            }
            return .success(ticket)
        }
        return try result.get()
    }

    /// Sets the group's `push_failure_time_seconds` after a push to it was refused before it
    /// reached the store (unparseable body, bad TTL…). Creates the group empty if needed, with
    /// the push's time to live `ttlMs` (`nil`: never expire).
    public func recordFailure(key: GroupingKey, nowMs: Int64, ttlMs: Int64? = nil) {
        let push = PreparedPush(key: key, labelBytes: PreparedPush.labelBytes(for: key), families: [], lineCount: 0)
        let deadline = ttlMs.map { nowMs + $0 }
        state.withLock { state in
            if let failed = state.recordFailure(
                push, now: Double(nowMs) / 1000, limits: limits, deadlineMs: deadline),
                let journal
            {
                _ = journal.enqueue(.upsert(state.row(failed)))
            }
        }
    }

    /// Deletes the group with exactly this key; `false` when there was none. O(size of the group).
    public func delete(_ key: GroupingKey) -> (deleted: Bool, ticket: Journal.Ticket?) {
        state.withLock { state in
            guard let id = state.ids[key] else { return (false, nil) }
            state.remove(id: id)
            state.index.collect()
            return (true, journal?.enqueue(.delete(key.groupPath)))
        }
    }

    /// Deletes every group whose key holds all of `labels` (e.g. `job="nightly"`: every group
    /// of that job); a label with an empty value matches the groups without that label. Returns how many. O(groups) to find them — an explicit administrative
    /// operation, not a push — plus the size of what is deleted.
    public func delete(matching labels: [Label]) -> (deleted: Int, ticket: Journal.Ticket?) {
        state.withLock { state in
            var doomed: [UInt32] = []
            for (key, id) in state.ids where labels.allSatisfy({ (key[$0.name] ?? "") == $0.value }) {
                doomed.append(id)
            }
            var ticket: Journal.Ticket?
            for id in doomed {
                let key = state.slots[Int(id)]!.key
                state.remove(id: id)
                ticket = journal?.enqueue(.delete(key.groupPath))
            }
            state.index.collect()
            return (doomed.count, ticket)
        }
    }

    /// Deletes every group.
    public func wipe() -> Journal.Ticket? {
        state.withLock { state in
            state.removeAll()
            return journal?.enqueue(.wipe)
        }
    }

    /// Deletes the groups whose deadline is at or before `nowMs`; returns how many.
    /// O(log groups) per group expired.
    public func expire(nowMs: Int64) -> Int {
        state.withLock { state in
            var expired = 0
            while let top = state.deadlines.peek(), top.deadlineMs <= nowMs {
                state.deadlines.pop()
                guard let id = state.ids[top.key], state.slots[Int(id)]?.deadlineMs == top.deadlineMs else {
                    continue
                }
                state.remove(id: id)
                _ = journal?.enqueue(.delete(top.key.groupPath))
                expired += 1
            }
            state.index.collect()
            return expired
        }
    }

    /// Puts back a group read from the journal at start, unchecked but for parse errors (it
    /// was checked when pushed). Returns `false` for a group past its deadline, and for one
    /// whose key an already restored group with a later push time holds: both are skipped.
    ///
    /// A group stored before labels with empty values were dropped (under a path such as
    /// `job/x/b@base64/=`) is the group `job/x` now; two of its series that differed only by
    /// such a label become one, of which the first is kept. `rewrite` journals the group again
    /// under its key's path (the caller deletes the old row); so does replacing a group
    /// restored before under the same key, so that the row kept is the one restored last.
    @discardableResult
    func restore(
        key: GroupingKey, families: [MetricFamily], pushTime: Double, failureTime: Double,
        deadlineMs: Int64?, nowMs: Int64, rewrite: Bool = false
    ) throws(PushRejection) -> Bool {
        if let deadlineMs, deadlineMs <= nowMs { return false }
        let prepared: PreparedPush
        do throws(PushRejection) {
            prepared = try PreparedPush.prepare(families: families, key: key, limits: .unlimited)
        } catch {
            prepared = try PreparedPush.prepare(
                families: Self.withoutEmptyLabels(families), key: key, limits: .unlimited)
        }
        return state.withLock { state in
            let replacing = state.ids[key] != nil
            if let id = state.ids[key], let existing = state.slots[Int(id)], existing.pushTime >= pushTime {
                return false
            }
            let (id, old, new) = state.build(prepared, mode: .replaceGroup, pushTime: pushTime, deadlineMs: deadlineMs)
            let restored = new.with(failureTime: failureTime, deadlineMs: .some(deadlineMs))
            state.install(id: id, old: old, new: restored)
            state.index.collect()
            state.track(restored)
            if rewrite || replacing { _ = journal?.enqueue(.upsert(state.row(restored))) }
            return true
        }
    }

    /// `families` with the labels whose value is empty removed, keeping the first of the
    /// series that become equal.
    static func withoutEmptyLabels(_ families: [MetricFamily]) -> [MetricFamily] {
        families.map { family in
            var family = family
            var seen: Set<[Label]> = []
            family.metrics = family.metrics.compactMap { metric in
                var metric = metric
                metric.labels.removeAll { $0.value.isEmpty }
                return seen.insert(metric.labels).inserted ? metric : nil
            }
            return family
        }
    }

    /// The groups in key order and the family names, for a scrape. O(groups) pointer copies.
    public func snapshot() -> StoreSnapshot {
        state.withLock { state in
            let order = state.sortedOrder()
            var groups: [StoredGroup] = []
            groups.reserveCapacity(order.count)
            for id in order { groups.append(state.slots[Int(id)]!) }
            let aggregate = state.renderAggregate()
            return StoreSnapshot(
                groups: groups, aggregate: aggregate, families: state.index.entries,
                sortedFamilyIDs: state.index.sortedIDs(), lineCount: state.lineCount + state.aggregate.lineCount,
                aggregatedCount: state.aggregate.count)
        }
    }

    /// Number of groups and of stored sample lines (aggregated series included).
    public var counts: (groups: Int, lines: Int) {
        state.withLock { ($0.ids.count, $0.lineCount + $0.aggregate.lineCount) }
    }
}

extension StoreLimits {
    /// No limits: what the journal restores was within the limits when it was pushed.
    static let unlimited = StoreLimits(
        maxBodyBytes: .max, maxDecompressedBytes: .max, maxSeriesPerPush: .max, maxLabelsPerSeries: .max,
        maxLabelValueBytes: .max, maxGroups: .max, maxSeries: .max)
}

/// What a scrape reads: immutable groups in key order and the family table.
public struct StoreSnapshot: Sendable {
    let groups: [StoredGroup]
    /// The aggregated series as one group, when there are any.
    let aggregate: StoredGroup?
    let families: [FamilyIndex.Entry?]
    let sortedFamilyIDs: [Int32]
    /// Sample lines stored.
    public let lineCount: Int
    /// Aggregated series.
    public let aggregatedCount: Int
    /// Groups stored.
    public var groupCount: Int { groups.count }
}
