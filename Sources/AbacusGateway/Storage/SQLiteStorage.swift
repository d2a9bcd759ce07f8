import AbacusExposition
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// The durable store: one SQLite database (WAL mode), one row per group.
///
/// Schema (version 1, in `PRAGMA user_version`):
/// `groups(path TEXT PRIMARY KEY, exposition BLOB, push_time REAL, failure_time REAL, deadline_ms INTEGER)`
/// (a rowid table: rows of a few KB in a `WITHOUT ROWID` table took a page each, 3.3× the file)
/// — the grouping key as a URL path, the group's families as a text 0.0.4 exposition (exactly
/// the bytes the gateway serves for it), its two times and its deadline (Unix milliseconds,
/// NULL for none).
///
/// Durability: with `synchronous = NORMAL` (the gateway's default) a committed push survives a
/// crash of the gateway (`kill -9`), and the database is never corrupted, but the last commits
/// can be lost if the machine loses power; with `FULL` every commit is fsynced and survives
/// that too, at about 15 % of push throughput (docs/benchmarks.md).
public final class SQLiteStorage: Sendable {
    /// How hard a commit waits for the disk.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// fsync on every commit: survives power loss.
        case full
        /// fsync at checkpoints only: survives a crash of the process, not of the machine.
        case normal
    }

    let database: DatabaseQueue
    /// A second connection that only checkpoints the WAL into the database file, so the
    /// connection committing pushes never stalls on a checkpoint (`wal_autocheckpoint` is off
    /// on it). See ``checkpoint()``.
    let checkpointer: DatabaseQueue
    public let path: String

    /// Opens (creating if needed) the database at `path`; its directory is created too.
    public init(path: String, synchronous: Synchronous = .normal) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.label = "abacus"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue.uppercased())")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        database = try DatabaseQueue(path: path, configuration: configuration)
        try database.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if version > 1 {
                throw StorageError("\(path) was written by a newer abacus (schema version \(version))")
            }
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS groups (
                        path TEXT PRIMARY KEY NOT NULL,
                        exposition BLOB NOT NULL,
                        push_time REAL NOT NULL,
                        failure_time REAL NOT NULL,
                        deadline_ms INTEGER
                    );
                    CREATE TABLE IF NOT EXISTS series (
                        key TEXT PRIMARY KEY NOT NULL,
                        exposition BLOB NOT NULL,
                        updated_ms INTEGER NOT NULL
                    );
                    PRAGMA user_version = 1;
                    """)
        }
        var checkpointing = Configuration()
        checkpointing.label = "abacus.checkpoint"
        // It reads WAL frames and writes pages; it needs no page cache of its own.
        checkpointing.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = 16") }
        checkpointer = try DatabaseQueue(path: path, configuration: checkpointing)
    }

    /// Copies committed WAL pages into the database file without blocking the writer
    /// (`PRAGMA wal_checkpoint(PASSIVE)`); `truncate` (at shutdown) also empties the WAL.
    /// Returns the WAL's size in pages. The writer restarts the WAL from its beginning once a
    /// checkpoint has copied everything, so the WAL stays as small as one checkpoint interval.
    /// Runs on GRDB's queue for that connection, not on the caller's thread.
    @discardableResult
    func checkpoint(truncate: Bool = false) async throws -> Int {
        try await checkpointer.writeWithoutTransaction { db in
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(\(truncate ? "TRUNCATE" : "PASSIVE"))")
            return row?[1] ?? 0
        }
    }

    /// Every stored group. O(database size).
    public func rows() throws -> [Journal.Row] {
        try database.read { db in
            var rows: [Journal.Row] = []
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT path, exposition, push_time, failure_time, deadline_ms FROM groups")
            while let row = try cursor.next() {
                let blob: Data = row[1]
                rows.append(
                    Journal.Row(
                        path: row[0], exposition: Array(blob), pushTime: row[2], failureTime: row[3],
                        deadlineMs: row[4]))
            }
            return rows
        }
    }

    /// Every stored aggregated series. O(database size).
    public func seriesRows() throws -> [Journal.SeriesRow] {
        try database.read { db in
            var rows: [Journal.SeriesRow] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT key, exposition, updated_ms FROM series")
            while let row = try cursor.next() {
                let blob: Data = row[1]
                rows.append(Journal.SeriesRow(key: row[0], exposition: Array(blob), updatedMs: row[2]))
            }
            return rows
        }
    }

    /// Writes one batch in one transaction.
    func write(_ batch: Journal.Batch) async throws {
        try await database.write { db in
            if batch.wipe {
                try db.execute(sql: "DELETE FROM groups")
                try db.execute(sql: "DELETE FROM series")
            }
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO groups (path, exposition, push_time, failure_time, deadline_ms)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(path) DO UPDATE SET exposition = excluded.exposition,
                        push_time = excluded.push_time, failure_time = excluded.failure_time,
                        deadline_ms = excluded.deadline_ms
                    """)
            let delete = try db.cachedStatement(sql: "DELETE FROM groups WHERE path = ?")
            for (path, row) in batch.changes {
                if let row {
                    try upsert.execute(arguments: [
                        path, Data(row.exposition), row.pushTime, row.failureTime, row.deadlineMs,
                    ])
                } else {
                    try delete.execute(arguments: [path])
                }
            }
            guard !batch.series.isEmpty else { return }
            let upsertSeries = try db.cachedStatement(
                sql: "INSERT INTO series (key, exposition, updated_ms) VALUES (?, ?, ?) "
                    + "ON CONFLICT(key) DO UPDATE SET exposition = excluded.exposition, updated_ms = excluded.updated_ms"
            )
            let deleteSeries = try db.cachedStatement(sql: "DELETE FROM series WHERE key = ?")
            for (key, row) in batch.series {
                if let row {
                    try upsertSeries.execute(arguments: [key, Data(row.exposition), row.updatedMs])
                } else {
                    try deleteSeries.execute(arguments: [key])
                }
            }
        }
    }
}

/// A storage problem at start (an unreadable or newer database).
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Commits what the ``Journal`` queues, one transaction per batch, until shutdown; then
/// commits what is left and returns. Run it in the same `ServiceGroup` as the HTTP server,
/// before it, so it stops after the server has answered its last request.
struct JournalWriter: Service {
    let journal: Journal
    let storage: SQLiteStorage
    let logger: Logger
    let metrics: GatewayMetrics

    init(journal: Journal, storage: SQLiteStorage, logger: Logger, metrics: GatewayMetrics) {
        self.journal = journal
        self.storage = storage
        self.logger = logger
        self.metrics = metrics
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in journal.signals {
                        await drain()
                    }
                }
                // Checkpoints run beside the commits, on their own connection, twice a second.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(500))
                        await checkpoint(truncate: false)
                    }
                }
            }
        }
        // Shutdown: the server has stopped taking requests; commit what it acknowledged last,
        // then fold the WAL into the database file.
        await drain()
        await checkpoint(truncate: true)
    }

    func checkpoint(truncate: Bool) async {
        do {
            // Not cancellable, like a commit: an unstructured task.
            _ = try await Task { [storage] in try await storage.checkpoint(truncate: truncate) }.value
        } catch {
            logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
        }
    }

    func drain() async {
        var committedThrough: Journal.Ticket = journal.state.withLock { $0.committed }
        while let batch = journal.takePending() {
            let start = ContinuousClock.now
            var failure: (any Error)?
            do {
                // Not cancellable: graceful shutdown cancels the loop in `run()`, and GRDB would
                // interrupt a transaction in progress, losing its batch. An unstructured task
                // does not inherit the cancellation; the final `drain()` waits for it.
                try await Task { [storage] in try await storage.write(batch) }.value
            } catch {
                failure = error
                logger.error("commit failed", metadata: ["error": "\(error)", "changes": "\(batch.changes.count)"])
            }
            metrics.observeCommit(seconds: (ContinuousClock.now - start).seconds, failed: failure != nil)
            journal.complete(through: batch.lastTicket, firstTicket: committedThrough + 1, error: failure)
            committedThrough = batch.lastTicket
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
