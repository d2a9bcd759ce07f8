import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Debian's Prometheus Pushgateway 1.5.1, started for one test on a free port with its own
/// directory (its persistence file there), stopped by PID however the body ends. `nil` (after
/// failing the test under `CI=true`) when it is not installed.
enum RealPushgateway {
    static func with<T>(
        extraArguments: [String] = [], files: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation, body: (PeerServer) async throws -> T
    ) async throws -> T? {
        guard let executable = Peers.require(.pushgateway, sourceLocation: sourceLocation) else { return nil }
        let arguments = ["--web.listen-address=127.0.0.1:$PORT", "--persistence.file=$DIR/pg.data"] + extraArguments
        return try await withServer(
            executable, name: "pushgateway", arguments: arguments, files: files, readyPath: "/-/ready", body: body)
    }
}

/// The example executables SwiftPM built beside the test bundle (`swift build --build-tests`
/// builds every product), or in the package's default `.build/debug`.
enum ExampleBinary {
    static func url(_ name: String) -> URL? { BuiltExecutable.url(name) }

    /// The example `name`, or a recorded issue.
    static func require(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        guard let url = url(name) else {
            Issue.record("\(name) was not built (swift build --build-tests builds it)", sourceLocation: sourceLocation)
            return nil
        }
        return url
    }
}

/// A program a test stops itself (SIGTERM), with standard output and error in files of its
/// own directory.
final class CapturedChild: Sendable {
    let process: ChildProcess
    let directory: URL
    var stdoutURL: URL { directory.appendingPathComponent("stdout") }
    var stderrURL: URL { directory.appendingPathComponent("stderr") }

    init(_ executable: URL, _ arguments: [String]) throws {
        directory = try Peers.temporaryDirectory("child")
        process = try ChildProcess(
            executable, arguments, output: directory.appendingPathComponent("stdout"),
            error: directory.appendingPathComponent("stderr"))
    }

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Sends `signal` by PID.
    func signal(_ signal: Int32) { process.signal(signal) }

    /// Waits for the exit (at most `seconds`, then SIGKILL) off the cooperative pool; the
    /// status, or -9 when it had to be killed.
    func wait(upTo seconds: Double = 120) async -> Int32 {
        if let status = await process.waitForExit(timeout: seconds) { return status }
        _ = try? await RawSockets.offThread { self.process.killSync() }
        return -9
    }

    /// Kills the process if it still runs and removes its directory.
    func remove() {
        process.killSync()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The Pushgateway behind basic authentication (its exporter-toolkit `--web.config.file`):
/// every path, `/-/ready` included, wants credentials, so it is started and probed here
/// rather than by ``withServer(_:name:arguments:files:readyPath:body:)``.
enum AuthenticatedPushgateway {
    static func with(
        _ executable: URL, webConfig: String, user: String, password: String,
        body: (_ baseURL: String) async throws -> Void
    ) async throws {
        let directory = try Peers.temporaryDirectory("pushgateway-auth")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("web.yml")
        try webConfig.write(to: config, atomically: true, encoding: .utf8)
        let port = try Peers.freePort()
        let child = try CapturedChild(
            executable,
            [
                "--web.listen-address=127.0.0.1:\(port)", "--web.config.file=\(config.path)",
                "--persistence.file=\(directory.appendingPathComponent("pg.data").path)",
            ])
        defer { child.remove() }
        let baseURL = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(120)
        while true {
            if !child.process.isRunning { throw PeerError("pushgateway exited:\n\(child.stderr)") }
            if let response = try? await HTTP.request(
                "GET", baseURL + "/-/ready", headers: ["Authorization": header(user, password)], timeout: 2),
                response.status == 200
            {
                break
            }
            if Date() > deadline { throw PeerError("pushgateway not ready within 120 s:\n\(child.stderr)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        do {
            try await body(baseURL)
        } catch {
            child.signal(SIGTERM)
            _ = await child.wait(upTo: 30)
            throw error
        }
        child.signal(SIGTERM)
        _ = await child.wait(upTo: 30)
    }

    static func header(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    static func scrape(_ baseURL: String, user: String, password: String) async throws -> Scraped {
        let response = try await HTTP.request(
            "GET", baseURL + "/metrics", headers: ["Authorization": header(user, password)], timeout: 10)
        guard response.status == 200 else { throw PeerError("GET /metrics: \(response.status)") }
        return Scraped(response.text)
    }
}
