import AbacusExposition
import AbacusGateway
import AbacusGatewayTesting
import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The JSON-lines ops transports a test can send through (docs/ops.md).
enum OpsTransport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// One datagram to the UDP listener.
    case udp
    /// A connection to the main Unix socket.
    case unix
    /// A connection to the first socket of the pool (`<stem>-1<ext>`).
    case unixPool
    /// A connection to the TCP listener.
    case tcp
    /// `POST /api/v1/ops`.
    case http

    /// The `transport` label of `abacus_ingest_*`.
    var label: String {
        switch self {
        case .udp: "udp"
        case .unix, .unixPool: "unix"
        case .tcp: "tcp"
        case .http: "http"
        }
    }

    var testDescription: String { rawValue }
}

/// Runs a blocking body on a thread of its own (never on Swift Testing's cooperative pool).
func opsOffThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await RawSockets.offThread(body)
}

/// A blocking client connection to a stream ops listener (Unix socket or TCP): the bytes a test
/// writes go out exactly as given, one `send` per call.
final class OpsStreamClient: @unchecked Sendable {
    let fd: Int32
    private var closed = false

    private init(fd: Int32) { self.fd = fd }

    /// Connects to the Unix stream socket at `path`.
    static func unix(_ path: String) throws -> OpsStreamClient {
        OpsStreamClient(fd: try RawSockets.connectUnix(path))
    }

    /// Connects to 127.0.0.1:`port` over TCP.
    static func tcp(port: Int) throws -> OpsStreamClient {
        OpsStreamClient(fd: try RawSockets.connectTCP(port: port))
    }

    /// Writes every byte (looping over partial writes).
    func send(_ bytes: [UInt8]) throws { try RawSockets.writeAll(fd, bytes) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func close() {
        guard !closed else { return }
        closed = true
        opsSystemClose(fd)
    }

    deinit { close() }
}

private func opsSystemClose(_ fd: Int32) { _ = close(fd) }

/// Sends UDP datagrams to 127.0.0.1.
enum OpsDatagram {
    /// Sends each of `datagrams` to 127.0.0.1:`port` from one socket, in order.
    static func send(_ datagrams: [[UInt8]], port: Int) throws {
        try RawSockets.sendDatagrams(datagrams, port: port)
    }

    static func send(_ datagram: String, port: Int) throws { try send([Array(datagram.utf8)], port: port) }
}

/// The answer of `POST /api/v1/ops`.
struct OpsAnswer: Decodable, Equatable {
    struct Failure: Decodable, Equatable {
        var message: Int
        var reason: String
        var error: String
    }
    var applied: Int
    var rejected: Int
    var errors: [Failure]?

    var reasons: [String] { (errors ?? []).map(\.reason) }
}

/// A test gateway with every ops listener on: UDP and TCP on 127.0.0.1 (ports chosen by the
/// system), a Unix socket in a temporary directory plus a pool, and `POST /api/v1/ops`.
struct OpsHarness: Sendable {
    let api: GatewayAPI
    let udpPort: Int
    let tcpPort: Int
    /// The main Unix socket, then the pool.
    let unixPaths: [String]

    var server: GatewayServer { api.server }

    // MARK: Sending

    /// Opens a stream connection of `transport` (unix, unixPool or tcp).
    func connect(_ transport: OpsTransport) throws -> OpsStreamClient {
        switch transport {
        case .unix: try OpsStreamClient.unix(unixPaths[0])
        case .unixPool: try OpsStreamClient.unix(unixPaths[1])
        case .tcp: try OpsStreamClient.tcp(port: tcpPort)
        case .udp, .http: throw PeerError("\(transport) is not a stream transport")
        }
    }

    /// Sends `bytes` through `transport`: one datagram, one connection (opened, written, closed)
    /// or one `POST /api/v1/ops` (whose response is returned).
    @discardableResult
    func send(_ bytes: [UInt8], via transport: OpsTransport) async throws -> RawHTTP.Response? {
        switch transport {
        case .udp:
            let port = udpPort
            try await opsOffThread { try OpsDatagram.send([bytes], port: port) }
            return nil
        case .unix, .unixPool, .tcp:
            let client = try connect(transport)
            try await opsOffThread {
                defer { client.close() }
                try client.send(bytes)
            }
            return nil
        case .http:
            return try await api.request(
                "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: bytes)
        }
    }

    @discardableResult
    func send(_ text: String, via transport: OpsTransport) async throws -> RawHTTP.Response? {
        try await send(Array(text.utf8), via: transport)
    }

    /// `POST /api/v1/ops` with `body`; the status and the decoded answer.
    func postOps(_ body: String, framing: RawHTTP.Framing = .length) async throws -> (status: Int, answer: OpsAnswer) {
        let response = try await api.request(
            "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: Array(body.utf8),
            framing: framing)
        guard let answer = try? JSONDecoder().decode(OpsAnswer.self, from: Data(response.body)) else {
            throw PeerError("POST /api/v1/ops answered \(response.status) with \(response.text)")
        }
        return (response.status, answer)
    }

    // MARK: Reading

    func scrape() async throws -> ScrapeText { try await api.scrape() }

    /// Polls `/metrics` (every 20 ms, up to `seconds`) until `condition` holds; the last scrape.
    func wait(upTo seconds: Double = Patience.seconds, until condition: (ScrapeText) -> Bool) async throws -> ScrapeText
    {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let scrape = try await api.scrape()
            if condition(scrape) || Date() > deadline { return scrape }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Polls until `series` has `value` (at most `seconds`); the last scrape.
    func wait(for series: String, toBe value: Double, upTo seconds: Double = Patience.seconds) async throws
        -> ScrapeText
    {
        try await wait(upTo: seconds) { $0.value(series) == value }
    }
}

extension ScrapeText {
    /// `abacus_ingest_rejected_total{reason,transport}`.
    func rejected(_ reason: String, _ transport: String) -> Double? {
        value(#"abacus_ingest_rejected_total{reason="\#(reason)",transport="\#(transport)"}"#)
    }

    /// `abacus_ingest_messages_total{op,transport}`.
    func ingested(_ op: String, _ transport: String) -> Double? {
        value(#"abacus_ingest_messages_total{op="\#(op)",transport="\#(transport)"}"#)
    }

    /// Every sample line of the family `name` as `series → value`.
    func samples(of name: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in lines where !line.hasPrefix("#") && ScrapeText.name(of: line) == name {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            out[String(line[..<space])] = value
        }
        return out
    }

    /// What clients put into the gateway: every line of the families that are not the
    /// gateway's own (``pushed``), plus the number of aggregated series and of stored lines.
    /// Two scrapes with the same state are byte-identical here.
    var state: String {
        pushed + "aggregated=\(value("abacus_aggregated_series").map { "\($0)" } ?? "-") "
            + "series=\(value("abacus_series").map { "\($0)" } ?? "-")\n"
    }

    /// The lines of family `name` (HELP, TYPE and samples, `_bucket`, `_sum` and `_count`
    /// included), in order, each ending with `\n`.
    func family(_ name: String) -> String {
        let names: Set<Substring> = [
            Substring(name), Substring(name + "_bucket"), Substring(name + "_sum"), Substring(name + "_count"),
        ]
        var out = ""
        for line in lines where names.contains(ScrapeText.name(of: line)) {
            out += line
            out += "\n"
        }
        return out
    }
}

/// Runs `body` against a new in-process gateway with every ops listener on (UDP, TCP, a Unix
/// socket with a pool of `pool` further sockets, HTTP), after `configure`. The socket files live
/// in a temporary directory removed afterwards.
func withOpsGateway<T: Sendable>(
    pool: Int = 1, _ configure: Configure = .defaults,
    body: (OpsHarness) async throws -> T
) async throws -> T {
    let directory = try Peers.temporaryDirectory("ops")
    defer { try? FileManager.default.removeItem(at: directory) }
    let socket = directory.appendingPathComponent("m.sock").path
    let setUp: (inout GatewayConfiguration) -> Void = { configuration in
        configuration.ops.udpAddress = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.ops.tcpAddress = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.ops.unixSocket = socket
        configuration.ops.unixSocketPool = pool
        configure.change(&configuration)
    }
    return try await TestGateway.with(setUp) { baseURL, server in
        let ports = await server.opsListening()
        guard let udp = ports.udp, let tcp = ports.tcp else {
            throw PeerError("the ops listeners did not bind UDP and TCP: \(ports)")
        }
        let harness = OpsHarness(
            api: GatewayAPI(baseURL, server), udpPort: udp, tcpPort: tcp,
            unixPaths: server.core.configuration.ops.unixSocketPaths)
        return try await body(harness)
    }
}

/// Command-line clients users feed the gateway with (`nc`, `socat`). Like ``Peers/require(_:)``:
/// when one is missing the test fails if `CI=true`, else it prints a note and returns `nil`.
/// `ABACUS_HIDE_PEERS=nc,socat` (or `all`) pretends they are missing.
enum OpsClients {
    enum Client: String {
        /// OpenBSD netcat (`nc.openbsd`, else `nc`): `-U` for Unix sockets, `-u` for UDP.
        case nc
        case socat
        /// PHP's command line (`php-cli`), for a PHP client as the original's.
        case php
    }

    static func require(_ client: Client, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        if let url = locate(client) { return url }
        let why = "\(client.rawValue) is not installed (apt-get install netcat-openbsd socat php-cli)"
        if Peers.isCI {
            Issue.record("\(why) (CI=true: clients are mandatory)", sourceLocation: sourceLocation)
        } else {
            print("note: skipping the rest of this test: \(why)")
        }
        return nil
    }

    static func locate(_ client: Client) -> URL? {
        let hidden = (ProcessInfo.processInfo.environment["ABACUS_HIDE_PEERS"] ?? "").split(separator: ",")
        if hidden.contains("all") || hidden.contains(Substring(client.rawValue)) { return nil }
        switch client {
        case .nc: return Peers.executable("nc.openbsd") ?? Peers.executable("nc")
        case .socat: return Peers.executable("socat")
        case .php: return Peers.executable("php")
        }
    }
}

/// A tiny deterministic generator for test inputs (seeded; SplitMix64 from the test kit).
struct OpsRandom {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func bytes(_ count: Int, excluding excluded: Set<UInt8> = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let byte = UInt8.random(in: 0...255, using: &generator)
            if !excluded.contains(byte) { out.append(byte) }
        }
        return out
    }
}
