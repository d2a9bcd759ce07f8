import AbacusExposition
import AbacusTesting
import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The durability tests: the built `abacus` executable in a child process, restarted,
/// SIGTERMed and `kill -9`ed. Serialized: they measure times and load two cores, and one
/// test's load must not make another's deadline miss.
@Suite("Gateway durability (the abacus executable)", .serialized)
struct DurabilityTests {}

/// An HTTP answer.
struct Reply: Sendable {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// HTTP for these tests: like `HTTP.request`, but on a session of its own that opens as many
/// connections to one host as there are requests (`URLSession.shared` opens 6 at most, which
/// would serialize the concurrent pushes these tests are about).
enum Client {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 512
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        return URLSession(configuration: configuration)
    }()

    static func request(
        _ method: String, _ url: String, body: [UInt8]? = nil, headers: [String: String] = [:],
        timeout: TimeInterval = 20
    ) async throws -> Reply {
        guard let target = URL(string: url) else { throw PeerError("bad URL \(url)") }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw PeerError("no HTTP response from \(url)") }
        return Reply(status: http.statusCode, body: Array(data))
    }

    /// `PUT`/`POST` of a text body to `/metrics/<path>`.
    static func push(
        _ gateway: GatewayProcess, _ path: String, _ body: String, method: String = "PUT", query: String = ""
    ) async throws -> Reply {
        try await request(method, gateway.baseURL + "/metrics/" + path + query, body: Array(body.utf8))
    }

    static func get(_ gateway: GatewayProcess, _ path: String) async throws -> Reply {
        let reply = try await request("GET", gateway.baseURL + path)
        guard reply.status == 200 else { throw PeerError("GET \(path): \(reply.status) \(reply.text)") }
        return reply
    }

    /// `/metrics` as text.
    static func metrics(_ gateway: GatewayProcess) async throws -> String {
        try await get(gateway, "/metrics").text
    }
}

/// Text exposition helpers.
enum Exposed {
    /// The metric name a text line is about: the name of a sample line, or the name after
    /// `# HELP`/`# TYPE`; `nil` for other comments and blank lines.
    static func name(of line: Substring) -> Substring? {
        if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
            return line.dropFirst(7).prefix { $0 != " " }
        }
        if line.isEmpty || line.hasPrefix("#") { return nil }
        return line.prefix { $0 != "{" && $0 != " " }
    }

    /// Whether a family belongs to the gateway itself (its `abacus_*` and `process_*` metrics).
    static func isOwn(_ name: Substring) -> Bool {
        name.hasPrefix("abacus_") || name.hasPrefix("process_")
    }

    /// The exposition without the gateway's own families: every HELP, TYPE and sample line
    /// whose metric name starts with `abacus_` or `process_` (a histogram's `_bucket`, `_sum`
    /// and `_count` lines included).
    static func droppingOwnFamilies(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in name(of: line).map { !isOwn($0) } ?? true }
            .joined(separator: "\n")
    }

    /// The value of the sample line that starts with `series` followed by a space.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).prefix { $0 != " " })
        }
        return nil
    }

    /// The sample lines (in order) that carry exactly the grouping labels `groupLabels`
    /// (`instance="3",job="crash"`) first, followed by `,` or `}`, of families named `prefix…`.
    static func lines(ofGroup groupLabels: String, prefix: String, in text: String) -> [Substring] {
        let open = "{" + groupLabels
        return text.split(separator: "\n").filter { line in
            guard line.hasPrefix(prefix), let brace = line.firstIndex(of: "{") else { return false }
            let rest = line[brace...]
            return rest.hasPrefix(open + ",") || rest.hasPrefix(open + "}")
        }
    }
}

/// Waiting with a bound.
enum Wait {
    /// Polls `condition` every `interval` seconds until it holds (returns `true`) or `timeout`
    /// seconds have passed (returns `false`).
    static func until(
        timeout: TimeInterval, interval: TimeInterval = 0.05, _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try await condition() { return true }
            if Date() > deadline { return false }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// Waits for the gateway process to exit by itself (after a signal sent directly), at most
    /// `timeout` seconds (generous by default: only a process that never exits fails);
    /// `true` when it did.
    static func exit(of process: ChildProcess, timeout: TimeInterval = Patience.seconds) async -> Bool {
        await process.waitForExit(timeout: timeout) != nil
    }
}

/// A seeded generator (the test kit's SplitMix64), so a failing random schedule can be replayed
/// (`ABACUS_DURABILITY_SEED=<seed>`).
enum SeededGenerator {
    /// The seed from `ABACUS_DURABILITY_SEED`, else a random one; printed either way.
    static func fromEnvironment(_ test: String) -> SplitMix64 {
        let given = ProcessInfo.processInfo.environment["ABACUS_DURABILITY_SEED"].flatMap { UInt64($0) }
        let seed = given ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("\(test): seed \(seed) (replay with ABACUS_DURABILITY_SEED=\(seed))")
        return SplitMix64(seed: seed)
    }
}

/// `PRAGMA integrity_check` with `/usr/bin/sqlite3`; `nil` (and a printed note) without it.
enum SQLiteCheck {
    static let executable: URL? = {
        let url = URL(fileURLWithPath: "/usr/bin/sqlite3")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }()

    /// Runs `sql` on the database at `path` and returns what sqlite3 prints.
    static func run(_ path: String, _ sql: String) async throws -> String? {
        guard let executable else {
            print("note: /usr/bin/sqlite3 is not installed; skipping the SQLite check")
            return nil
        }
        let output = try await ProcessRunner.run(executable, [path, sql])
        guard output.status == 0 else { throw PeerError("sqlite3 \(sql): \(output.stderrText)") }
        return output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `PRAGMA integrity_check` on a copy of the database and its WAL, as a crash left them
    /// (the copy is what sqlite3 recovers, so the gateway recovers the original itself).
    static func integrityOfCopy(_ database: String) async throws -> String? {
        guard executable != nil else {
            print("note: /usr/bin/sqlite3 is not installed; skipping PRAGMA integrity_check")
            return nil
        }
        let directory = try Peers.temporaryDirectory("sqlite-copy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: database, toPath: copy)
        if FileManager.default.fileExists(atPath: database + "-wal") {
            try FileManager.default.copyItem(atPath: database + "-wal", toPath: copy + "-wal")
        }
        return try await run(copy, "PRAGMA integrity_check")
    }
}

/// Elapsed time since `start`, in seconds, for the printed timings.
func seconds(since start: ContinuousClock.Instant) -> String {
    let elapsed = (ContinuousClock.now - start).components
    return String(format: "%.2f s", Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
}

/// Unix time in milliseconds (the gateway's clock is the same wall clock).
func nowMs() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
}

/// A value shared by concurrent tasks.
final class Shared<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func with<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
