import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `HummingbirdServiceExample` executable, run as a user runs it: a child process on
/// 127.0.0.1 and a port it picks (`--port 0`), read from its `listening on` line. Stopped by
/// PID with the async helpers, never blocking the cooperative pool.
final class ExampleProcess: @unchecked Sendable {
    static let name = "HummingbirdServiceExample"

    /// Beside the test bundle, or in the package's default `.build/debug`.
    static let executable: URL? = BuiltExecutable.url(name)

    let directory: URL
    private(set) var process: ChildProcess?
    private(set) var port = 0
    var logURL: URL { directory.appendingPathComponent("example.log") }
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    private init(directory: URL) { self.directory = directory }

    /// Starts the example, runs `body` with it, and stops it (SIGTERM) however `body` ends.
    static func with<T>(arguments: [String] = [], body: (ExampleProcess) async throws -> T) async throws -> T {
        guard let executable else { throw PeerError("\(name) was not built (swift build --build-tests builds it)") }
        let example = ExampleProcess(directory: try Peers.temporaryDirectory("hummingbird-example"))
        defer { try? FileManager.default.removeItem(at: example.directory) }
        do {
            try await example.start(executable, arguments: arguments)
            let result = try await body(example)
            let status = await example.stop()
            #expect(status == 0, "the example exited with \(status) after SIGTERM:\n\(example.log)")
            return result
        } catch {
            _ = await example.stop()
            throw error
        }
    }

    private func start(_ executable: URL, arguments: [String]) async throws {
        let process = try ChildProcess(
            executable, ["--host", "127.0.0.1", "--port", "0"] + arguments, directory: directory, output: logURL)
        self.process = process
        let deadline = Date().addingTimeInterval(120)
        while port == 0 {
            if let status = process.terminationStatus {
                throw PeerError("\(Self.name) exited (status \(status)):\n\(self.log)")
            }
            if let range = self.log.range(of: "listening on 127.0.0.1:") {
                port = Int(self.log[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            if Date() > deadline { throw PeerError("\(Self.name) did not listen within 120 s:\n\(self.log)") }
            if port == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// SIGTERM, then the exit status (SIGKILL after 60 s); the wait runs on its own thread.
    func stop() async -> Int32 {
        guard let process else { return -1 }
        return await process.stop(grace: 60)
    }
}
