public import Foundation
import Synchronization
public import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Real Prometheus software used as referees by the interop tests: `promtool`, `prometheus`,
/// `prometheus-pushgateway`, Python's `prometheus_client`, `curl`, and `go` with client_golang's
/// sources (to build Tests/Interop/go-pusher).
///
/// `scripts/install-test-deps.sh` installs them. When one is missing, ``require(_:)`` records
/// an issue (the test fails) if the environment has `CI=true`, and otherwise prints a note and
/// returns `nil` so the test can return early: a developer without the peers can still run the
/// suite, CI can never silently skip the referees.
public enum Peers {
    public enum Peer: String, CaseIterable {
        case promtool
        case prometheus
        case pushgateway = "prometheus-pushgateway"
        case nodeExporter = "prometheus-node-exporter"
        case pythonClient = "python3 with prometheus_client"
        case curl
        /// `go` with Debian's client_golang sources in /usr/share/gocode (golang-go and
        /// golang-github-prometheus-client-golang-dev), what scripts/build-go.sh needs.
        case go
    }

    /// `CI=true` (or `1`) in the environment.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    /// The peer's executable, or `nil` after failing the test (CI) or printing a note (locally).
    public static func require(_ peer: Peer, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        if let url = locate(peer) { return url }
        let why = "\(peer.rawValue) is not installed; scripts/install-test-deps.sh installs it"
        if isCI {
            Issue.record("\(why) (CI=true: peers are mandatory)", sourceLocation: sourceLocation)
        } else {
            print("note: skipping the rest of this interop test: \(why)")
        }
        return nil
    }

    /// `ABACUS_HIDE_PEERS=promtool,prometheus,…` (raw values of ``Peer``, or `all`) pretends
    /// those peers are missing, to check what a machine without them does.
    public static func locate(_ peer: Peer) -> URL? {
        let hidden = (ProcessInfo.processInfo.environment["ABACUS_HIDE_PEERS"] ?? "").split(separator: ",")
        if hidden.contains("all") || hidden.contains(Substring(peer.rawValue)) { return nil }
        return switch peer {
        case .promtool: executable("promtool")
        case .prometheus: executable("prometheus")
        case .pushgateway: executable("prometheus-pushgateway")
        case .nodeExporter: executable("prometheus-node-exporter")
        case .pythonClient: pythonWithClient
        case .curl: executable("curl")
        case .go:
            FileManager.default.fileExists(atPath: goClientSources) ? executable("go") : nil
        }
    }

    /// A file of client_golang's push package as Debian installs its sources.
    public static let goClientSources =
        "/usr/share/gocode/src/github.com/prometheus/client_golang/prometheus/push/push.go"

    /// The first `python3` that can `import prometheus_client`: the one on `PATH` (a pyenv here),
    /// then the system's.
    public static let pythonWithClient: URL? = {
        var candidates = executable("python3").map { [$0] } ?? []
        candidates.append(URL(fileURLWithPath: "/usr/bin/python3"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            let probe = try? ProcessRunner.runSync(candidate, ["-c", "import prometheus_client"])
            if probe?.status == 0 { return candidate }
        }
        return nil
    }()

    /// Looks `name` up in `PATH`, then in the usual system directories.
    public static func executable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read the port, close.
    /// For a server to listen on; a test of "nothing listening" holds a ``ClosedPort``.
    public static func freePort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw PeerError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw PeerError("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw PeerError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A new empty temporary directory; the caller removes it.
    public static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("abacus-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

public struct PeerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a program to completion with its output captured in temporary files (no pipe can fill
/// up and deadlock), optionally feeding `stdin`, and kills it after `timeout` seconds. The
/// child is a ``ChildProcess`` (killed with the test process, none of its descriptors).
public enum ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    public static func run(
        _ executable: URL, _ arguments: [String], stdin: [UInt8]? = nil,
        environment: [String: String]? = nil, directory: URL? = nil, timeout: TimeInterval = 120
    ) async throws -> Output {
        // The wait blocks a thread; keep it off the cooperative pool Swift Testing runs on.
        try await RawSockets.offThread {
            try runSync(
                executable, arguments, stdin: stdin, environment: environment, directory: directory, timeout: timeout)
        }
    }

    public static func runSync(
        _ executable: URL, _ arguments: [String], stdin: [UInt8]? = nil,
        environment: [String: String]? = nil, directory: URL? = nil, timeout: TimeInterval = 120
    ) throws -> Output {
        let scratch = try Peers.temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inURL = scratch.appendingPathComponent("stdin")
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        try Data(stdin ?? []).write(to: inURL)
        let child = try ChildProcess(
            executable, arguments, environment: environment, directory: directory, stdin: inURL, output: outURL,
            error: errURL, append: false)
        guard let status = child.waitSync(timeout: timeout) else {
            child.killSync()
            throw PeerError("\(executable.lastPathComponent) \(arguments) did not finish within \(timeout) s")
        }
        return Output(
            status: status,
            stdout: Array(try Data(contentsOf: outURL)),
            stderr: Array(try Data(contentsOf: errURL)))
    }
}

/// A peer server (prometheus, pushgateway, a static file server) started on 127.0.0.1 on a
/// port chosen at run time, with its own temporary directory and log file.
///
/// Use it through ``withServer(_:arguments:readyPath:body:)``, which stops the process by PID
/// (SIGTERM, then SIGKILL) and removes the directory however the body ends.
public final class PeerServer: Sendable {
    public let port: Int
    public let directory: URL
    private let child = Mutex<ChildProcess?>(nil)
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var logURL: URL { directory.appendingPathComponent("server.log") }
    /// The running server (`nil` before the start).
    public var process: ChildProcess? { child.withLock { $0 } }

    public init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    func started(_ process: ChildProcess) { child.withLock { $0 = process } }

    public var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// SIGTERM, up to 5 s to exit, then SIGKILL; the wait runs on a thread of its own, never
    /// on the cooperative pool (two blocked waits there would stall every other test).
    public func stop() async {
        await process?.stop(grace: 5)
        try? FileManager.default.removeItem(at: directory)
    }

    /// SIGKILL at once and remove the directory: the fallback when the start itself failed.
    func kill() {
        process?.killSync()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Starts `executable` with `arguments`, waits until `GET readyPath` answers 200, runs `body`,
/// and stops the server however `body` ends.
///
/// In `arguments` and in the contents of `files` (written into the server's directory first),
/// `$PORT` stands for the port chosen and `$DIR` for the server's temporary directory.
public func withServer<T>(
    _ executable: URL, name: String, arguments: [String], files: [String: String] = [:], readyPath: String,
    readyStatuses: Set<Int> = [200], body: (PeerServer) async throws -> T
) async throws -> T {
    let server = PeerServer(port: try Peers.freePort(), directory: try Peers.temporaryDirectory(name))
    do {
        try await start(
            server, executable, name: name, arguments: arguments, files: files, readyPath: readyPath,
            readyStatuses: readyStatuses)
    } catch {
        server.kill()
        throw error
    }
    let result: T
    do {
        result = try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
    return result
}

private func start(
    _ server: PeerServer, _ executable: URL, name: String, arguments: [String], files: [String: String],
    readyPath: String, readyStatuses: Set<Int>
) async throws {
    func expand(_ text: String) -> String {
        text.replacingOccurrences(of: "$PORT", with: "\(server.port)")
            .replacingOccurrences(of: "$DIR", with: server.directory.path)
    }
    for (file, contents) in files {
        try expand(contents).write(to: server.directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }
    let process = try ChildProcess(
        executable, arguments.map(expand), directory: server.directory, output: server.logURL)
    server.started(process)

    let deadline = Date().addingTimeInterval(120)
    while true {
        if let status = process.terminationStatus {
            throw PeerError("\(name) exited (status \(status)) before ready:\n\(server.log)")
        }
        if let response = try? await HTTP.request("GET", server.baseURL + readyPath, timeout: 2),
            readyStatuses.contains(response.status)
        {
            break
        }
        if Date() > deadline { throw PeerError("\(name) not ready within 120 s:\n\(server.log)") }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
}

/// Minimal HTTP client over URLSession for talking to local peers.
public enum HTTP {
    public struct Response {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    public static func request(
        _ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil,
        timeout: TimeInterval = 30
    ) async throws -> Response {
        guard let target = URL(string: url) else { throw PeerError("bad URL \(url)") }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw PeerError("no HTTP response from \(url)") }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name)] = String(describing: value)
        }
        return Response(status: http.statusCode, headers: fields, body: Array(data))
    }
}

/// The `/metrics` of real programs, for tests that lint, convert or push them.
public enum RealExpositions {
    /// Debian's `prometheus-node-exporter`, started on a free port and scraped once.
    public static func nodeExporter(_ executable: URL) async throws -> [UInt8] {
        try await withServer(
            executable, name: "node-exporter", arguments: ["--web.listen-address=127.0.0.1:$PORT"],
            readyPath: "/metrics"
        ) { server in try await HTTP.request("GET", server.baseURL + "/metrics").body }
    }

    /// Debian's Prometheus (2.42), started with an empty scrape configuration and scraped once.
    public static func prometheus(_ executable: URL) async throws -> [UInt8] {
        let config = "global:\n  scrape_interval: 1s\nscrape_configs: []\n"
        return try await withServer(
            executable, name: "prometheus",
            arguments: [
                "--config.file=$DIR/prometheus.yml", "--storage.tsdb.path=$DIR/data",
                "--web.listen-address=127.0.0.1:$PORT",
            ], files: ["prometheus.yml": config], readyPath: "/-/ready"
        ) { server in try await HTTP.request("GET", server.baseURL + "/metrics").body }
    }
}
