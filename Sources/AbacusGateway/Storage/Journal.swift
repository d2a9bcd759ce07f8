import Synchronization

/// The queue between the store and durable storage: group commit.
///
/// The store hands every change to ``enqueue(_:)`` inside its own lock (so the journal sees
/// changes in the order they were applied) and gets a ticket; the request handler then awaits
/// ``waitCommitted(_:)`` before answering 2xx. A ``JournalWriter`` takes everything pending at
/// once and commits it in one transaction, so concurrent pushes share one commit. Changes to the
/// same group coalesce: only its last state is written.
public final class Journal: Sendable {
    /// Identifies a change; committed tickets are contiguous from 1.
    public typealias Ticket = UInt64

    /// A group as stored: its key path, its families as a text exposition, its times.
    public struct Row: Sendable, Equatable {
        /// The grouping key as a URL path (`job/x/instance/y`).
        public var path: String
        /// The group's families: text 0.0.4, HELP/TYPE included.
        public var exposition: [UInt8]
        public var pushTime: Double
        public var failureTime: Double
        public var deadlineMs: Int64?
    }

    /// An aggregated series as stored: its key (`name{labels}`), its family's HELP and TYPE
    /// and its sample lines as a text exposition, and when it was last updated.
    public struct SeriesRow: Sendable, Equatable {
        public var key: String
        public var exposition: [UInt8]
        public var updatedMs: Int64
    }

    /// One change to durable state.
    public enum Change: Sendable {
        case upsert(Row)
        case delete(String)
        case wipe
    }

    /// What one transaction writes.
    struct Batch {
        var wipe = false
        /// Path → row to write, or `nil` to delete.
        var changes: [String: Row?] = [:]
        /// Aggregated series key → row to write, or `nil` to delete.
        var series: [String: SeriesRow?] = [:]
        var lastTicket: Ticket = 0
        var isEmpty: Bool { !wipe && changes.isEmpty && series.isEmpty }
    }

    struct State {
        var pending = Batch()
        var nextTicket: Ticket = 1
        var committed: Ticket = 0
        var waiters: [(Ticket, CheckedContinuation<Void, any Error>)] = []
        /// The latest failed transactions (a waiter can arrive after later ones committed).
        var failures: [JournalError] = []
    }

    let state = Mutex(State())
    let signal: AsyncStream<Void>.Continuation
    let signals: AsyncStream<Void>

    public init() {
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a change; O(1) (plus the row's size, already built).
    public func enqueue(_ change: Change) -> Ticket {
        let ticket = state.withLock { state in
            let ticket = state.nextTicket
            state.nextTicket += 1
            switch change {
            case .upsert(let row): state.pending.changes[row.path] = .some(row)
            case .delete(let path): state.pending.changes[path] = .some(nil)
            case .wipe:
                state.pending.changes.removeAll()
                state.pending.series.removeAll()
                state.pending.wipe = true
            }
            state.pending.lastTicket = ticket
            return ticket
        }
        signal.yield()
        return ticket
    }

    /// Queues aggregated series to write and keys to delete, as one change. O(rows).
    public func enqueue(series rows: [SeriesRow], deleting keys: [String] = []) -> Ticket {
        let ticket = state.withLock { state in
            let ticket = state.nextTicket
            state.nextTicket += 1
            for row in rows { state.pending.series[row.key] = .some(row) }
            for key in keys { state.pending.series[key] = .some(nil) }
            state.pending.lastTicket = ticket
            return ticket
        }
        signal.yield()
        return ticket
    }

    /// Returns once the change with `ticket` is committed; throws ``JournalError`` if the
    /// transaction holding it failed.
    public func waitCommitted(_ ticket: Ticket) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let ready: Result<Void, JournalError>? = state.withLock { state in
                if ticket <= state.committed {
                    let failed = state.failures.last { $0.firstTicket <= ticket && ticket <= $0.lastTicket }
                    if let failed { return .failure(failed) }
                    return .success(())
                }
                state.waiters.append((ticket, continuation))
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Changes queued and not yet committed (0: everything handed to the journal is durable).
    public var uncommitted: Int {
        state.withLock { Int(clamping: $0.nextTicket - 1 - $0.committed) }
    }

    /// Takes everything pending (the writer's side).
    func takePending() -> Batch? {
        state.withLock { state in
            guard !state.pending.isEmpty else { return nil }
            let batch = state.pending
            state.pending = Batch()
            return batch
        }
    }

    /// Marks tickets up to `ticket` committed (or failed) and wakes their waiters.
    func complete(through ticket: Ticket, firstTicket: Ticket, error: (any Error)?) {
        let ready = state.withLock { state in
            state.committed = max(state.committed, ticket)
            let failure = error.map {
                JournalError(firstTicket: firstTicket, lastTicket: ticket, message: String(describing: $0))
            }
            if let failure {
                state.failures.append(failure)
                if state.failures.count > 64 { state.failures.removeFirst() }
            }
            var ready: [CheckedContinuation<Void, any Error>] = []
            state.waiters.removeAll { waiter in
                guard waiter.0 <= ticket else { return false }
                ready.append(waiter.1)
                return true
            }
            return (ready, failure)
        }
        for continuation in ready.0 {
            if let failure = ready.1 { continuation.resume(throwing: failure) } else { continuation.resume() }
        }
    }
}

/// A commit failed: the changes in it are in memory but not on disk.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    let firstTicket: Journal.Ticket
    let lastTicket: Journal.Ticket
    /// What the storage reported.
    public let message: String
    public var description: String { "could not commit to storage: \(message)" }
}
