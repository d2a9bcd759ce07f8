import AbacusExposition
import AbacusTesting
import Foundation
import Synchronization
import Testing

/// Helpers of the interop tests that run the built `abacus gateway` against real peers.
enum Interop {
    /// The repository root (this file is `Tests/AbacusGatewayTests/Interop/InteropSupport.swift`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Starts the built `abacus gateway` with its own data directory, runs `body`, stops it by
    /// PID and removes the directory however `body` ends.
    static func withGateway<T>(
        _ arguments: [String] = [], body: (GatewayProcess) async throws -> T
    ) async throws -> T {
        let gateway = try GatewayProcess()
        defer { gateway.remove() }
        try await gateway.start(arguments: arguments)
        do {
            return try await body(gateway)
        } catch {
            print("gateway log:\n\(gateway.log)")
            throw error
        }
    }

    /// `GET /metrics` as text 0.0.4.
    static func scrape(_ baseURL: String) async throws -> String {
        let response = try await HTTP.request("GET", baseURL + "/metrics")
        guard response.status == 200 else { throw PeerError("GET /metrics: \(response.status) \(response.text)") }
        return response.text
    }

    /// The sample lines (no comments) of `text` whose metric name starts with `prefix`, in the
    /// order served.
    static func samples(_ text: String, prefix: String) -> [String] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.hasPrefix(prefix) }.map(String.init)
    }

    /// The `# HELP` and `# TYPE` lines of the families whose name starts with `prefix`.
    static func headers(_ text: String, prefix: String) -> [String] {
        text.split(separator: "\n").filter {
            ($0.hasPrefix("# HELP ") || $0.hasPrefix("# TYPE ")) && $0.dropFirst(7).hasPrefix(prefix)
        }.map(String.init)
    }

    /// The value of `push_time_seconds` (or another gauge) for exactly this label set as
    /// served (`instance="",job="x"`), or nil.
    static func value(_ text: String, _ name: String, _ labels: String) -> Double? {
        let head = "\(name){\(labels)} "
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(head) }) else { return nil }
        return Double(line.dropFirst(head.count))
    }

    /// Runs curl with `arguments` and returns the HTTP status it saw (`-w %{http_code}`) and
    /// the response body.
    static func curl(_ curl: URL, _ arguments: [String]) async throws -> (status: Int, body: String) {
        let directory = try Peers.temporaryDirectory("curl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("body")
        let result = try await ProcessRunner.run(
            curl, ["-sS", "-o", out.path, "-w", "%{http_code}"] + arguments)
        guard result.status == 0 else {
            throw PeerError("curl \(arguments) exited \(result.status): \(result.stderrText)")
        }
        let body = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        return (Int(result.stdoutText) ?? -1, body)
    }

    /// A PromQL query string percent-encoded for a URL query.
    static func queryEscaped(_ query: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
    }
}

/// A Go program under `Tests/Interop`, built once per test run by `scripts/build-go.sh` into a
/// temporary directory (removed when the test process exits).
struct GoProgram: Sendable {
    let name: String
    private let build: Task<URL, any Error>

    init(_ name: String) {
        self.name = name
        build = Task<URL, any Error> {
            let directory = try Peers.temporaryDirectory(name)
            GoProgram.built.withLock { $0.append(directory) }
            let binary = directory.appendingPathComponent(name)
            let script = Interop.root.appendingPathComponent("scripts/build-go.sh")
            let result = try await ProcessRunner.run(
                URL(fileURLWithPath: "/bin/bash"), [script.path, name, binary.path], timeout: 300)
            guard result.status == 0, FileManager.default.isExecutableFile(atPath: binary.path) else {
                throw PeerError("scripts/build-go.sh \(name) failed (\(result.status)):\n\(result.stderrText)")
            }
            return binary
        }
    }

    private static let built: Mutex<[URL]> = {
        atexit {
            for directory in GoProgram.built.withLock({ $0 }) { try? FileManager.default.removeItem(at: directory) }
        }
        return Mutex([])
    }()

    /// The binary; the first call builds it (about 10 to 20 s), the others wait for that build.
    func binary() async throws -> URL { try await build.value }
}

extension GoProgram {
    /// The Go client (client_golang's `push`, unchanged) as `Tests/Interop/go-pusher`.
    static let pusher = GoProgram("go-pusher")

    /// A JSON-lines client written as the original metrics-server's Go client is
    /// (`Tests/Interop/go-ops-client`).
    static let opsClient = GoProgram("go-ops-client")
}

/// `/metrics` of a Pushgateway-compatible server reduced to what two servers fed the same
/// pushes must agree on.
enum ExpositionDigest {
    /// Families by name, each written back as text 0.0.4 with its metrics sorted by labels, so
    /// that neither the order of groups nor the spelling of numbers matters. Families whose name
    /// starts with one of `ignoring` are left out. `push_time_seconds` and
    /// `push_failure_time_seconds` keep their label sets and whether the value is 0 (written 0
    /// or 1). Labels with an empty value are dropped, `instance` aside, as Prometheus drops them
    /// when it ingests the scrape: the Pushgateway writes them, the gateway drops them when a push
    /// arrives (`instance=""` stays on both: it keeps Prometheus from setting its own).
    static func families(_ text: String, ignoring prefixes: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for var family in try TextParser.parse(Array(text.utf8)) {
            if prefixes.contains(where: { family.name.hasPrefix($0) }) { continue }
            for index in family.metrics.indices {
                family.metrics[index].labels.removeAll { $0.value.isEmpty && $0.name != "instance" }
                family.metrics[index].labels.sort()
                if family.name == "push_time_seconds" || family.name == "push_failure_time_seconds",
                    case .gauge(let value) = family.metrics[index].value
                {
                    family.metrics[index].value = .gauge(value == 0 ? 0 : 1)
                }
            }
            family.metrics.sort { $0.labels.lexicographicallyPrecedes($1.labels) }
            result[family.name] = String(decoding: TextEncoder.encode([family]), as: UTF8.self)
        }
        return result
    }

    /// Records one issue per family that differs, with both renderings.
    static func expectSame(
        _ ours: [String: String], _ theirs: [String: String], _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for name in Set(ours.keys).union(theirs.keys).sorted() where ours[name] != theirs[name] {
            Issue.record(
                """
                \(what): family \(name) differs
                --- abacus gateway:
                \(ours[name] ?? "(absent)\n")--- Pushgateway:
                \(theirs[name] ?? "(absent)\n")
                """, sourceLocation: sourceLocation)
        }
    }
}

/// An answer of Prometheus' `GET /api/v1/query` (instant vector).
struct PrometheusQueryAnswer: Decodable {
    struct Series: Decodable {
        var metric: [String: String]
        var value: [Value]
        /// The sample value (the second element, a string).
        var number: Double? {
            guard value.count == 2, case .string(let text) = value[1] else { return nil }
            return Double(text)
        }
    }
    enum Value: Decodable {
        case number(Double)
        case string(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try container.decode(String.self))
            }
        }
    }
    struct Payload: Decodable {
        var resultType: String
        var result: [Series]
    }
    var status: String
    var data: Payload

    /// Asks `query` until the answer has at least `count` series or `timeout` seconds passed.
    static func poll(
        _ baseURL: String, _ query: String, count: Int = 1, timeout: TimeInterval = 2 * Patience.seconds
    ) async throws -> [Series] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [Series] = []
        while Date() < deadline {
            // A slow answer is asked again, until the deadline.
            if let response = try? await HTTP.request(
                "GET", baseURL + "/api/v1/query?query=" + Interop.queryEscaped(query), timeout: 30),
                response.status == 200,
                let answer = try? JSONDecoder().decode(PrometheusQueryAnswer.self, from: Data(response.body))
            {
                last = answer.data.result
                if last.count >= count { return last }
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        return last
    }
}
