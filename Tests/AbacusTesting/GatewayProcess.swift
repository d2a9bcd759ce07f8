public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `abacus gateway` run as users run it: the built executable in a child process, on
/// 127.0.0.1 with a port it picks itself (`--web.listen-address=127.0.0.1:0`, the port read
/// from its `listening` log line), with its own data directory. Stopped by PID.
///
/// Restarting with ``start(arguments:)`` again reuses the same directory, so the database
/// survives: that is how restart and crash tests use it.
public final class GatewayProcess: @unchecked Sendable {
    /// The data directory (the SQLite file is `gateway.sqlite` in it unless the arguments say otherwise).
    public let directory: URL
    public private(set) var process: ChildProcess?
    public private(set) var port: Int = 0
    /// `https` when the gateway serves TLS (its `listening` line says `tls=true`).
    public private(set) var scheme = "http"
    public var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }
    public var logURL: URL { directory.appendingPathComponent("gateway.log") }
    public var databasePath: String { directory.appendingPathComponent("gateway.sqlite").path }

    /// A new, empty data directory.
    public init() throws {
        directory = try Peers.temporaryDirectory("gateway")
    }

    /// The `abacus` executable SwiftPM built (``AbacusExecutable/url``).
    public static var executable: URL? { AbacusExecutable.url }

    /// Starts the gateway (`--storage.path` defaults to ``databasePath``) and waits until
    /// `/-/ready` answers 200. The log is appended to across restarts.
    public func start(arguments: [String] = []) async throws {
        try await start(command: ["gateway", "--web.listen-address=127.0.0.1:0"], arguments: arguments)
    }

    /// Starts `abacus metrics-server` with the original metrics-server's `arguments` (its HTTP
    /// socket on 127.0.0.1 and a port it picks, `-socket 127.0.0.1:0`, unless they say
    /// otherwise), then as ``start(arguments:)``.
    public func start(metricsServer arguments: [String]) async throws {
        let socket = arguments.contains("-socket") ? [] : ["-socket", "127.0.0.1:0"]
        try await start(command: ["metrics-server"] + socket, arguments: arguments)
    }

    func start(command: [String], arguments: [String]) async throws {
        guard let executable = Self.executable else { throw PeerError("the abacus executable was not built") }
        var all = command
        if !arguments.contains(where: { $0.hasPrefix("--storage.path") }) {
            all.append("--storage.path=\(databasePath)")
        }
        all.append(contentsOf: arguments)
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let before = (try? FileManager.default.attributesOfItem(atPath: logURL.path)[.size] as? Int) ?? 0
        let process = try ChildProcess(executable, all, directory: directory, output: logURL)
        self.process = process

        // Generous: only a gateway that never gets there fails (a loaded 2-core machine can
        // take many seconds to start a debug build).
        let deadline = Date().addingTimeInterval(120)
        port = 0
        while port == 0 {
            if let status = process.terminationStatus {
                throw PeerError("abacus gateway exited (status \(status)):\n\(self.log)")
            }
            if let text = try? String(contentsOf: logURL, encoding: .utf8) {
                let fresh = String(decoding: Array(text.utf8).dropFirst(before), as: UTF8.self)
                if let range = fresh.range(of: "msg=listening address=127.0.0.1:") {
                    let digits = fresh[range.upperBound...].prefix { $0.isNumber }
                    port = Int(digits) ?? 0
                    let line = fresh[range.upperBound...].prefix { $0 != "\n" }
                    scheme = line.contains("tls=true") ? "https" : "http"
                }
            }
            if Date() > deadline { throw PeerError("abacus gateway did not listen within 120 s:\n\(self.log)") }
            if port == 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        }
        // Over TLS the test's HTTP client cannot check the server's certificate: listening is
        // ready enough (the tests that use TLS talk to it with curl and their own CA).
        if scheme == "https" { return }
        while true {
            if let response = try? await HTTP.request("GET", baseURL + "/-/ready", timeout: 2), response.status == 200 {
                return
            }
            if let status = process.terminationStatus {
                throw PeerError("abacus gateway exited (status \(status)):\n\(self.log)")
            }
            if Date() > deadline { throw PeerError("abacus gateway not ready within 120 s:\n\(self.log)") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// The whole log so far.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM and wait for the exit; returns the exit status (SIGKILL after `grace` seconds,
    /// then the status is that of the kill).
    ///
    /// The wait (seconds, for a graceful stop) runs on a thread of its own, never on the
    /// cooperative pool: with two cores that pool has two threads, and two tests blocked in
    /// waits like this one would stall every other test's timers and sockets.
    @discardableResult
    public func stop(grace: TimeInterval = 60) async -> Int32 {
        guard let process else { return 0 }
        self.process = nil
        return await process.stop(grace: grace)
    }

    /// `kill -9`: no chance to commit or clean up.
    public func kill9() async {
        guard let process else { return }
        self.process = nil
        _ = try? await RawSockets.offThread { process.killSync() }
    }

    /// Kills the gateway if it still runs (SIGKILL: this is the clean-up after a test, which
    /// stopped it itself unless it failed) and removes the directory.
    public func remove() {
        process?.killSync()
        process = nil
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Where the `abacus` executable under test is: beside the test bundle (`swift test` builds
/// every product of the package first), or in the package's default `.build/debug`.
public enum AbacusExecutable {
    public static let url: URL? = BuiltExecutable.url("abacus")
}

/// The package's executables (`abacus`, the examples) as SwiftPM built them: beside the test
/// bundle (`swift build --build-tests` builds every product), or in the default `.build/debug`.
public enum BuiltExecutable {
    public static func url(_ name: String) -> URL? {
        var candidates: [URL] = []
        if let bundle = Bundle.main.executableURL {
            candidates.append(bundle.deletingLastPathComponent().appendingPathComponent(name))
        }
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/\(name)"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
