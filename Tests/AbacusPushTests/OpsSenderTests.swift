import Abacus
import AbacusExposition
import AbacusPush
import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The transports an ``OpsSender`` can use against a test gateway.
enum OpsTransportCase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case udp, unix, tcp

    var testDescription: String { rawValue }

    func endpoint(_ listeners: OpsListeners) -> OpsEndpoint {
        switch self {
        case .udp: .udp(host: "127.0.0.1", port: listeners.udpPort)
        case .unix: .unixSocket(path: listeners.unixSocket)
        case .tcp: .tcp(host: "127.0.0.1", port: listeners.tcpPort)
        }
    }
}

@Suite("OpsSender against abacus gateway's UDP, Unix-socket and TCP listeners")
struct OpsSenderTests {
    @Test("a batch of inc, set, add and obs arrives and adds up", arguments: OpsTransportCase.allCases)
    func batchAddsUp(_ transport: OpsTransportCase) async throws {
        try await InProcessGateway.withOps { baseURL, listeners in
            let sender = OpsSender(endpoint: transport.endpoint(listeners))
            let mail = [Label("queue", "mail")]
            try await sender.send([
                .increment("jobs_total", labels: mail, help: "Jobs run"),
                .increment("jobs_total", by: 2, labels: mail),
                .set("queue_depth", to: 17, labels: mail),
                .add("in_flight", 5),
                .add("in_flight", -2),
                .observe("job_seconds", 0.3, buckets: .custom([0.1, 0.5, 1])),
                .observe("job_seconds", 0.7, buckets: .custom([0.1, 0.5, 1])),
            ])
            try await sender.send(.increment("jobs_total", labels: [Label("queue", "sms")]))
            let scrape = try await Scraped.poll(baseURL) {
                $0.value("jobs_total", ["queue": "sms"]) == 1 && $0.value("job_seconds_count") == 2
            }
            #expect(scrape.value("jobs_total", ["queue": "mail"]) == 3, "\(scrape.text)")
            #expect(scrape.value("jobs_total", ["queue": "sms"]) == 1)
            #expect(scrape.headers("jobs_total") == ["# HELP jobs_total Jobs run", "# TYPE jobs_total counter"])
            #expect(scrape.value("queue_depth", ["queue": "mail"]) == 17)
            #expect(scrape.value("in_flight") == 3)
            #expect(scrape.value("job_seconds_bucket", ["le": "0.1"]) == 0)
            #expect(scrape.value("job_seconds_bucket", ["le": "0.5"]) == 1)
            #expect(scrape.value("job_seconds_bucket", ["le": "1"]) == 2)
            #expect(scrape.value("job_seconds_bucket", ["le": "+Inf"]) == 2)
            #expect(scrape.value("job_seconds_sum") == 1)
            #expect(scrape.value("job_seconds_count") == 2)
            #expect(await sender.connectionCount == 1)
            await sender.close()
        }
    }

    @Test(
        "many messages: packed into small datagrams over UDP, one write on a stream; every one counted",
        arguments: OpsTransportCase.allCases)
    func manyMessages(_ transport: OpsTransportCase) async throws {
        try await InProcessGateway.withOps { baseURL, listeners in
            let sender = OpsSender(
                endpoint: transport.endpoint(listeners), configuration: .init(maxDatagramSize: 1024))
            let messages = (0..<300).map { index in
                OpsMessage.increment("batched_total", labels: [Label("shard", "s\(index % 3)")])
            }
            // 300 messages of about 60 bytes: about 18 datagrams of at most 1024 bytes.
            try await sender.send(messages)
            let scrape = try await Scraped.poll(baseURL) {
                $0.samples(named: "batched_total").map(\.value).reduce(0, +) == 300
            }
            for shard in ["s0", "s1", "s2"] {
                #expect(scrape.value("batched_total", ["shard": shard]) == 100, "\(shard): \(scrape.text)")
            }
            await sender.close()
        }
    }

    @Test("an invalid message in a batch: the error names it and nothing of the batch is sent")
    func invalidBatchIsNotSent() async throws {
        try await InProcessGateway.withOps { baseURL, listeners in
            let sender = OpsSender(endpoint: .unixSocket(path: listeners.unixSocket))
            let error = await failure(OpsSendError.self, "a negative increment") {
                try await sender.send([.increment("partial_total"), .increment("partial_total", by: -1)])
            }
            #expect(error?.code == .invalidMessage)
            #expect(error?.messageIndex == 1)
            #expect(error?.rejection?.reason == .negativeIncrement)
            try await sender.send(.increment("sentinel_total"))
            let scrape = try await Scraped.poll(baseURL) { $0.value("sentinel_total") == 1 }
            #expect(scrape.value("sentinel_total") == 1)
            #expect(scrape.value("partial_total") == nil, "\(scrape.text)")
            await sender.close()
        }
    }

    @Test("a gateway restarted on the same Unix socket: the sender reconnects and the next batch arrives")
    func reconnects() async throws {
        let directory = try Peers.temporaryDirectory("push-reconnect")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sender = OpsSender(endpoint: .unixSocket(path: directory.appendingPathComponent("m.sock").path))
        try await InProcessGateway.withOps(socketDirectory: directory) { baseURL, _ in
            try await sender.send(.set("restart_gauge", to: 1))
            let scrape = try await Scraped.poll(baseURL) { $0.value("restart_gauge") == 1 }
            #expect(scrape.value("restart_gauge") == 1)
        }
        try await InProcessGateway.withOps(socketDirectory: directory) { baseURL, _ in
            // The first gateway closed the connection when it stopped; give the sender's event
            // loop a moment to see that, as a real client between two batches would.
            try await Task.sleep(for: .milliseconds(100))
            try await sender.send(.set("restart_gauge", to: 2))
            let scrape = try await Scraped.poll(baseURL) { $0.value("restart_gauge") == 2 }
            #expect(scrape.value("restart_gauge") == 2, "\(scrape.text)")
        }
        #expect(await sender.connectionCount == 2)
        await sender.close()
    }

    @Test("nothing listening: connect errors for Unix sockets and TCP, thrown not trapped")
    func connectErrors() async throws {
        let unix = OpsSender(endpoint: .unixSocket(path: "/tmp/abacus-push-no-such-\(UUID().uuidString).sock"))
        do {
            try await unix.send(.increment("x_total"))
            Issue.record("sent to a socket that does not exist")
        } catch {
            #expect(error.code == .connect, "\(error)")
        }
        // Held until the test ends: no gateway of a test running meanwhile can take it.
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        let tcp = OpsSender(endpoint: .tcp(host: "127.0.0.1", port: port))
        do {
            try await tcp.send(.increment("x_total"))
            Issue.record("sent to a closed TCP port")
        } catch {
            #expect(error.code == .connect, "\(error)")
        }
        // UDP has no connection: the datagram is handed to the kernel and waits, unread, in the
        // socket that holds the port.
        let udp = OpsSender(endpoint: .udp(host: "127.0.0.1", port: port))
        try await udp.send(.increment("x_total"))
        await udp.close()
    }

    @Test(
        "a receiver that never reads: the write gives up with a timeout instead of blocking", .timeLimit(.minutes(5)))
    func writeTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let sender = OpsSender(
            endpoint: .tcp(host: "127.0.0.1", port: listener.port), configuration: .init(timeout: .milliseconds(500)))
        let payload = [UInt8](repeating: 0x20, count: 64 << 20)  // far more than the socket buffers hold
        let started = ContinuousClock.now
        do {
            try await sender.send(raw: payload)
            Issue.record("64 MiB were written to a peer that never reads")
        } catch {
            #expect(error.code == .timeout, "\(error)")
        }
        // Not before the timeout; that it ends at all is the time limit's to say.
        #expect(ContinuousClock.now - started >= .milliseconds(500))
        await sender.close()
    }
}

/// A TCP listener that never accepts nor reads: the kernel completes the handshake and fills
/// its buffers, then the writer stalls.
final class SilentListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("socket: errno \(errno)") }
        var address = try RawSockets.inet(host: "127.0.0.1", port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw PeerError("bind/listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
