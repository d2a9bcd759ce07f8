import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DurabilityTests {
    /// JSON-lines ops (docs/ops.md) through the built `abacus` executable: what survives
    /// `kill -9` and SIGTERM. Socket ops are committed every `--ops.commit-interval` (500 ms by
    /// default), so after that window (plus a margin) a `kill -9` loses none of them; an HTTP
    /// `POST /api/v1/ops` is answered after its commit; SIGTERM commits what is left.
    ///
    /// Nested in ``DurabilityTests`` so it is serialized with the other process tests.
    @Suite("Ops durability (the abacus executable)")
    struct OpsDurabilityTests {
        /// Datagrams the kernel drops are visible: with a tiny receive buffer and the gateway
        /// stopped (SIGSTOP) while 300 datagrams arrive, most are dropped; once it runs again,
        /// `abacus_ingest_udp_receive_buffer_drops_total` counts them, and it plus the applied
        /// count is exactly what was sent.
        @Test(.timeLimit(.minutes(5)))
        func udpReceiveBufferDropsAreCounted() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            try await gateway.start(arguments: [
                "--ops.udp-listen-address=127.0.0.1:0", "--ops.udp-receive-buffer=4KiB", "--storage.path=:memory:",
            ])
            guard let process = gateway.process else { throw PeerError("no gateway process") }
            let port = try ProcOps.port(of: gateway, transport: "udp")
            let initial = try await ProcOps.value("abacus_ingest_udp_receive_buffer_drops_total", in: gateway)
            #expect(initial == 0, "drops before anything was sent: \(String(describing: initial))")
            let sent = 300
            let datagrams = (0..<sent).map { _ in Array(#"{"name":"drops_total","op":"inc","value":1}"#.utf8) }
            let pid = process.processIdentifier
            try await RawSockets.offThread {
                kill(pid, SIGSTOP)
                defer { kill(pid, SIGCONT) }
                try RawSockets.sendDatagrams(datagrams, port: port)
            }
            var applied = 0.0
            var dropped = 0.0
            let settled = await Wait.until(timeout: Patience.seconds, interval: 0.1) {
                applied = (try? await ProcOps.value("drops_total", in: gateway)) ?? 0
                dropped = (try? await ProcOps.value("abacus_ingest_udp_receive_buffer_drops_total", in: gateway)) ?? 0
                return applied + dropped == Double(sent)
            }
            #expect(settled, "applied \(applied) + dropped \(dropped) != sent \(sent)")
            #expect(dropped > 0, "a 4 KiB buffer held all \(sent) datagrams")
            #expect(await gateway.stop() == 0)
        }

        /// 5000 `inc` over one Unix connection (ten label values), histograms (custom and
        /// default layouts) and gauges (`set`, `add`) over a second connection, `inc`/`set`
        /// over UDP (10 messages a datagram) and TCP. Once `/metrics` shows everything and
        /// `abacus_storage_uncommitted_changes` is 0 (the commit window has passed for all of
        /// it), `kill -9`: the socket file stays behind
        /// (stale) and the restart replaces it; `/metrics` shows exactly the same families
        /// (HELP, TYPE, every sample). Then more ops: counters and histograms continue from the
        /// restored values, gauges are set again; SIGTERM exits 0 and removes the socket file.
        @Test(.timeLimit(.minutes(5)))
        func killNineAfterTheCommitWindowKeepsSocketOps() async throws {
            let clock = ContinuousClock.now
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("m.sock").path
            let arguments = [
                "--ops.unix-socket=\(socket)", "--ops.udp-listen-address=127.0.0.1:0",
                "--ops.tcp-listen-address=127.0.0.1:0",
            ]
            try await gateway.start(arguments: arguments)

            // Unix, connection 1: 5000 inc, 500 per worker.
            var counters = ""
            for i in 0..<5000 {
                counters +=
                    #"{"name":"ops_kill_total","help":"Kill test.","labels":{"worker":"w\#(i % 10)"},"op":"inc","value":1}"#
                counters += "\n"
            }
            try await ProcOps.sendUnix(socket, counters)
            // Unix, connection 2: histograms and gauges, concatenated and pretty-printed.
            var mixed = ""
            let observed = [0.0625, 0.25, 0.75, 3, 10]  // exact in binary: the sum is exact
            for i in 0..<500 {
                mixed +=
                    #"{"name":"ops_kill_seconds","help":"Kill latency.","op":"obs","value":\#(observed[i % 5]),"bucket_custom":[0.125,0.5,1,5]}"#
            }
            for value in [5.0, 15, 250] {
                mixed += #"{"name":"ops_kill_default","op":"obs","value":\#(value)}"# + "\n"
            }
            mixed += #"{"name":"ops_kill_level","help":"A gauge.","op":"set","value":3}"# + "\n"
            for _ in 0..<10 { mixed += "{\n  \"name\": \"ops_kill_level\",\n  \"op\": \"add\",\n  \"value\": 0.5\n}\n" }
            mixed += #"{"name":"ops_kill_temp","labels":{"room":"a"},"op":"set","value":-2.5}"# + "\n"
            try await ProcOps.sendUnix(socket, mixed)
            // UDP: 50 datagrams of 10 messages, 100 per label value; and a gauge.
            let udpPort = try ProcOps.port(of: gateway, transport: "udp")
            var datagrams: [String] = []
            for j in 0..<50 {
                datagrams.append(
                    (0..<10).map { k in
                        #"{"name":"ops_kill_udp_total","labels":{"d":"\#((j * 10 + k) % 5)"},"op":"inc","value":1}"#
                    }
                    .joined(separator: "\n"))
            }
            datagrams.append(#"{"name":"ops_kill_udp_gauge","op":"set","value":42}"#)
            try await ProcOps.sendUDP(port: udpPort, datagrams)
            // TCP: 1000 inc of 0.5.
            let tcpPort = try ProcOps.port(of: gateway, transport: "tcp")
            try await ProcOps.sendTCP(
                port: tcpPort,
                String(repeating: #"{"name":"ops_kill_tcp_total","op":"inc","value":0.5}"# + "\n", count: 1000))

            var expected: [String: Double] = [
                #"ops_kill_seconds_bucket{le="0.125"}"#: 100, #"ops_kill_seconds_bucket{le="0.5"}"#: 200,
                #"ops_kill_seconds_bucket{le="1"}"#: 300, #"ops_kill_seconds_bucket{le="5"}"#: 400,
                #"ops_kill_seconds_bucket{le="+Inf"}"#: 500, "ops_kill_seconds_sum": 1406.25,
                "ops_kill_seconds_count": 500,
                #"ops_kill_default_bucket{le="10"}"#: 1, #"ops_kill_default_bucket{le="20"}"#: 2,
                #"ops_kill_default_bucket{le="190"}"#: 2, #"ops_kill_default_bucket{le="+Inf"}"#: 3,
                "ops_kill_default_sum": 270, "ops_kill_default_count": 3,
                "ops_kill_level": 8, #"ops_kill_temp{room="a"}"#: -2.5, "ops_kill_udp_gauge": 42,
                "ops_kill_tcp_total": 500,
            ]
            for w in 0..<10 { expected[#"ops_kill_total{worker="w\#(w)"}"#] = 500 }
            for d in 0..<5 { expected[#"ops_kill_udp_total{d="\#(d)"}"#] = 100 }
            try await ProcOps.waitForValues(expected, in: gateway, timeout: Patience.seconds)

            // The commit window has passed for all of it: the gateway says nothing is waiting
            // to be committed (an event, not a guess at how long the commit takes).
            try await ProcOps.waitForValues(
                ["abacus_storage_uncommitted_changes": 0], in: gateway, timeout: Patience.seconds)
            let before = ProcOps.familyLines(prefix: "ops_kill_", in: try await Client.metrics(gateway))
            await gateway.kill9()
            #expect(ProcOps.isSocketFile(socket), "kill -9 leaves the socket file behind")

            try await gateway.start(arguments: arguments)
            let after = ProcOps.familyLines(prefix: "ops_kill_", in: try await Client.metrics(gateway))
            #expect(
                after == before,
                "after kill -9 and a restart:\n\(ProcOps.difference(before, after))")
            let restored = try await Client.metrics(gateway)
            for (series, value) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(Exposed.value(series, in: restored) == value, "\(series) after the restart")
            }

            // More ops after the restart: counters and histograms go on from the restored values.
            var more = ""
            for w in 0..<10 {
                more += #"{"name":"ops_kill_total","labels":{"worker":"w\#(w)"},"op":"inc","value":1}"# + "\n"
            }
            more += #"{"name":"ops_kill_seconds","op":"obs","value":0.0625,"bucket_custom":[0.125,0.5,1,5]}"# + "\n"
            more += #"{"name":"ops_kill_level","op":"add","value":-1}"# + "\n"
            try await ProcOps.sendUnix(socket, more)
            try await ProcOps.sendUDP(
                port: try ProcOps.port(of: gateway, transport: "udp"),
                [#"{"name":"ops_kill_udp_total","labels":{"d":"0"},"op":"inc","value":1}"#])
            try await ProcOps.sendTCP(
                port: try ProcOps.port(of: gateway, transport: "tcp"),
                #"{"name":"ops_kill_tcp_total","op":"inc","value":0.5}"#)
            for w in 0..<10 { expected[#"ops_kill_total{worker="w\#(w)"}"#] = 501 }
            expected[#"ops_kill_seconds_bucket{le="0.125"}"#] = 101
            expected[#"ops_kill_seconds_bucket{le="0.5"}"#] = 201
            expected[#"ops_kill_seconds_bucket{le="1"}"#] = 301
            expected[#"ops_kill_seconds_bucket{le="5"}"#] = 401
            expected[#"ops_kill_seconds_bucket{le="+Inf"}"#] = 501
            expected["ops_kill_seconds_count"] = 501
            expected["ops_kill_seconds_sum"] = 1406.3125
            expected["ops_kill_level"] = 7
            expected[#"ops_kill_udp_total{d="0"}"#] = 101
            expected["ops_kill_tcp_total"] = 500.5
            try await ProcOps.waitForValues(expected, in: gateway, timeout: Patience.seconds)

            #expect(await gateway.stop() == 0, "exit status after SIGTERM")
            #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed at exit")
            print("killNineAfterTheCommitWindowKeepsSocketOps: \(seconds(since: clock))")
        }

        /// `POST /api/v1/ops` is answered after the commit: three rounds of a POST answered
        /// 200 (`{"applied":N,"rejected":0}`) followed at once by `kill -9` lose nothing, with
        /// `--ops.commit-interval=60s` so that only the HTTP commit can have stored them. The
        /// values accumulate across the restarts.
        @Test(.timeLimit(.minutes(5)))
        func killNineRightAfterAnAcknowledgedHTTPPostKeepsIt() async throws {
            let clock = ContinuousClock.now
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let arguments = ["--ops.commit-interval=60s"]
            try await gateway.start(arguments: arguments)
            for round in 1...3 {
                var body = ""
                for i in 0..<300 {
                    body += #"{"name":"ops_http_total","labels":{"k":"\#(i % 3)"},"op":"inc","value":1}"# + "\n"
                }
                body += #"{"name":"ops_http_seconds","op":"obs","value":0.5,"bucket_custom":[1,2]}"# + "\n"
                body += #"{"name":"ops_http_round","op":"set","value":\#(round)}"# + "\n"
                body += #"{"name":"ops_http_sum","op":"add","value":1.5}"# + "\n"
                let reply = try await Client.request("POST", gateway.baseURL + "/api/v1/ops", body: Array(body.utf8))
                try #require(reply.status == 200, "POST /api/v1/ops: \(reply.status) \(reply.text)")
                #expect(reply.text.hasPrefix(#"{"applied":303,"rejected":0"#), "\(reply.text)")
                await gateway.kill9()

                try await gateway.start(arguments: arguments)
                let text = try await Client.metrics(gateway)
                for k in 0..<3 {
                    #expect(
                        Exposed.value(#"ops_http_total{k="\#(k)"}"#, in: text) == Double(100 * round),
                        "round \(round): ops_http_total{k=\"\(k)\"}")
                }
                #expect(Exposed.value(#"ops_http_seconds_bucket{le="1"}"#, in: text) == Double(round))
                #expect(Exposed.value(#"ops_http_seconds_bucket{le="+Inf"}"#, in: text) == Double(round))
                #expect(Exposed.value("ops_http_seconds_count", in: text) == Double(round))
                #expect(Exposed.value("ops_http_seconds_sum", in: text) == 0.5 * Double(round))
                #expect(Exposed.value("ops_http_round", in: text) == Double(round))
                #expect(Exposed.value("ops_http_sum", in: text) == 1.5 * Double(round))
            }
            #expect(await gateway.stop() == 0)
            print("killNineRightAfterAnAcknowledgedHTTPPostKeepsIt: \(seconds(since: clock))")
        }

        /// SIGTERM commits socket ops that the interval has not committed yet: with
        /// `--ops.commit-interval=60s`, ops over Unix, UDP and TCP are shown by `/metrics` (so
        /// they were applied), then SIGTERM: exit 0, and they are all there after a restart.
        @Test(.timeLimit(.minutes(5)))
        func sigtermCommitsAppliedOpsBeforeTheInterval() async throws {
            let clock = ContinuousClock.now
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("m.sock").path
            let arguments = [
                "--ops.unix-socket=\(socket)", "--ops.udp-listen-address=127.0.0.1:0",
                "--ops.tcp-listen-address=127.0.0.1:0", "--ops.commit-interval=60s",
            ]
            try await gateway.start(arguments: arguments)
            try await ProcOps.sendUnix(
                socket,
                String(
                    repeating: #"{"name":"ops_term_total","labels":{"via":"unix"},"op":"inc","value":1}"# + "\n",
                    count: 1000)
                    + #"{"name":"ops_term_seconds","op":"obs","value":3,"bucket_custom":[1,5]}"# + "\n"
                    + #"{"name":"ops_term_gauge","op":"set","value":-7}"#)
            try await ProcOps.sendUDP(
                port: try ProcOps.port(of: gateway, transport: "udp"),
                Array(repeating: #"{"name":"ops_term_total","labels":{"via":"udp"},"op":"inc","value":2}"#, count: 20))
            try await ProcOps.sendTCP(
                port: try ProcOps.port(of: gateway, transport: "tcp"),
                String(
                    repeating: #"{"name":"ops_term_total","labels":{"via":"tcp"},"op":"inc","value":3}"# + "\n",
                    count: 30))
            let expected: [String: Double] = [
                #"ops_term_total{via="unix"}"#: 1000, #"ops_term_total{via="udp"}"#: 40,
                #"ops_term_total{via="tcp"}"#: 90, #"ops_term_seconds_bucket{le="1"}"#: 0,
                #"ops_term_seconds_bucket{le="5"}"#: 1, #"ops_term_seconds_bucket{le="+Inf"}"#: 1,
                "ops_term_seconds_sum": 3, "ops_term_seconds_count": 1, "ops_term_gauge": -7,
            ]
            try await ProcOps.waitForValues(expected, in: gateway, timeout: Patience.seconds)
            let before = ProcOps.familyLines(prefix: "ops_term_", in: try await Client.metrics(gateway))
            #expect(await gateway.stop() == 0, "exit status after SIGTERM")
            #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed at exit")

            try await gateway.start(arguments: arguments)
            let after = ProcOps.familyLines(prefix: "ops_term_", in: try await Client.metrics(gateway))
            #expect(after == before, "after SIGTERM and a restart:\n\(ProcOps.difference(before, after))")
            #expect(await gateway.stop() == 0)
            print("sigtermCommitsAppliedOpsBeforeTheInterval: \(seconds(since: clock))")
        }

        /// SIGTERM right after a client wrote its ops to a stream socket and closed it (what
        /// `nc -U` and `socat` do; no waiting for `/metrics`): exit 0, and every op is there
        /// after a restart. One Unix connection of 5000 messages (more than the socket buffer
        /// holds, so the gateway is still reading when the client is done), then 10 TCP
        /// connections of 50.
        @Test(.timeLimit(.minutes(5)))
        func sigtermRightAfterStreamClientsClosedKeepsTheirOps() async throws {
            let clock = ContinuousClock.now
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let results = try await ProcOps.sigtermRounds(
                gateway,
                [
                    .init(transport: "unix", connections: 1, messages: 5000),
                    .init(transport: "tcp", connections: 10, messages: 50),
                ])
            print("sigtermRightAfterStreamClientsClosedKeepsTheirOps: \(results); \(seconds(since: clock))")
        }

        /// The same with the gateway given no CPU while the clients connect, write and close
        /// (it is stopped with SIGSTOP, as a loaded machine may deschedule it): every client's
        /// `connect`, `write` and `close` succeeded before SIGTERM (sent, then SIGCONT), so
        /// their ops must be taken from the accept queue and the connections, committed, and be
        /// there after a restart. 20 Unix connections of 500 messages, 20 TCP connections of
        /// 500, 3 Unix connections of 100 (a few cron jobs).
        @Test(.timeLimit(.minutes(5)))
        func sigtermKeepsOpsOfClientsTheGatewayHadNotAcceptedYet() async throws {
            let clock = ContinuousClock.now
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let results = try await ProcOps.sigtermRounds(
                gateway,
                [
                    .init(transport: "unix", connections: 20, messages: 500, stopped: true),
                    .init(transport: "tcp", connections: 20, messages: 500, stopped: true),
                    .init(transport: "unix", connections: 3, messages: 100, stopped: true),
                ])
            print("sigtermKeepsOpsOfClientsTheGatewayHadNotAcceptedYet: \(results); \(seconds(since: clock))")
        }
    }
}

extension ProcOps {
    /// One round of the SIGTERM tests: `connections` clients over `transport` (`unix`,
    /// `tcp`) each write `messages` `inc` ops and close; then SIGTERM at once (from the same
    /// thread). With `stopped`, the gateway is stopped (SIGSTOP) before the clients connect
    /// and continued (SIGCONT) right after the SIGTERM.
    struct SigtermRound: Sendable {
        var transport: String
        var connections: Int
        var messages: Int
        var stopped = false
    }

    /// Runs each round on a fresh start of `gateway` (a Unix socket and TCP), restarts it and
    /// records an issue for every connection whose ops are not all there. Returns a summary.
    static func sigtermRounds(_ gateway: GatewayProcess, _ rounds: [SigtermRound]) async throws -> [String] {
        let socket = gateway.directory.appendingPathComponent("m.sock").path
        let arguments = ["--ops.unix-socket=\(socket)", "--ops.tcp-listen-address=127.0.0.1:0"]
        var summary: [String] = []
        for (index, plan) in rounds.enumerated() {
            let round = index + 1
            try await gateway.start(arguments: arguments)
            guard let process = gateway.process else { throw PeerError("no gateway process") }
            let pid = process.processIdentifier
            let tcpPort = plan.transport == "tcp" ? try port(of: gateway, transport: "tcp") : 0
            let payloads = (0..<plan.connections).map { connection in
                Array(
                    String(
                        repeating:
                            #"{"name":"ops_sigterm_total","labels":{"conn":"\#(connection)","round":"\#(round)"},"op":"inc","value":1}"#
                            + "\n", count: plan.messages
                    ).utf8)
            }
            try await RawSockets.offThread {
                if plan.stopped { kill(pid, SIGSTOP) }
                defer { if plan.stopped { kill(pid, SIGCONT) } }
                var fds: [Int32] = []
                defer { for fd in fds { close(fd) } }
                for _ in payloads {
                    fds.append(
                        plan.transport == "unix"
                            ? try RawSockets.connectUnix(socket) : try RawSockets.connectTCP(port: tcpPort))
                }
                for (fd, payload) in zip(fds, payloads) { try RawSockets.writeAll(fd, payload) }
                for fd in fds { close(fd) }
                fds = []
                kill(pid, SIGTERM)
            }
            #expect(await Wait.exit(of: process), "round \(round): no exit after SIGTERM")
            #expect(await gateway.stop() == 0, "round \(round): exit status after SIGTERM")

            try await gateway.start(arguments: arguments)
            let text = try await Client.metrics(gateway)
            #expect(await gateway.stop() == 0)
            var kept = 0
            var short: [String] = []
            for connection in 0..<plan.connections {
                let series = #"ops_sigterm_total{conn="\#(connection)",round="\#(round)"}"#
                let value = Int(Exposed.value(series, in: text) ?? 0)
                kept += value
                if value != plan.messages { short.append("\(series): \(value) of \(plan.messages)") }
            }
            let line =
                "round \(round) (\(plan.connections) \(plan.transport) connection(s) of \(plan.messages) messages"
                + "\(plan.stopped ? ", gateway stopped meanwhile" : "")): \(kept) of \(plan.connections * plan.messages) kept"
            summary.append(line)
            if !short.isEmpty {
                Issue.record(
                    """
                    \(line) after SIGTERM right after the clients closed and a restart; \(short.count) connection(s) short:
                    \(short.prefix(10).joined(separator: "\n"))
                    """)
            }
        }
        return summary
    }
}

/// Helpers of the process-level ops tests (OpsDurabilityTests, OpsShutdownTests,
/// OpsSocketFileTests): real sockets to a gateway child process.
enum ProcOps {
    /// The port of the ops listener of `transport` (`udp`, `tcp`) from the last
    /// `msg="ops listening"` line of the log (the gateway's latest start).
    static func port(of gateway: GatewayProcess, transport: String) throws -> Int {
        let line = gateway.log.split(separator: "\n").last {
            $0.contains(#"msg="ops listening""#) && $0.contains(" transport=\(transport)")
        }
        guard let line, let range = line.range(of: " address=") else {
            throw PeerError("no ops listening line for \(transport) in the log:\n\(gateway.log)")
        }
        let address = line[range.upperBound...].prefix { $0 != " " }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw PeerError("cannot read the port of \(address)")
        }
        return port
    }

    // MARK: Sending

    static func sendUnix(_ path: String, _ text: String) async throws {
        let bytes = Array(text.utf8)
        try await RawSockets.offThread {
            let fd = try RawSockets.connectUnix(path)
            defer { close(fd) }
            try RawSockets.writeAll(fd, bytes)
        }
    }

    static func sendTCP(port: Int, _ text: String) async throws {
        let bytes = Array(text.utf8)
        try await RawSockets.offThread {
            let fd = try RawSockets.connectTCP(port: port)
            defer { close(fd) }
            try RawSockets.writeAll(fd, bytes)
        }
    }

    /// One datagram per element, to `host:port`, sent from `source` (an IPv4 address of this
    /// machine) when given.
    static func sendUDP(port: Int, host: String = "127.0.0.1", from source: String? = nil, _ datagrams: [String])
        async throws
    {
        let payloads = datagrams.map { Array($0.utf8) }
        try await RawSockets.offThread {
            try RawSockets.sendDatagrams(payloads, host: host, port: port, from: source, paced: true)
        }
    }

    /// Whether something accepts connections on the Unix socket `path`.
    static func accepts(_ path: String) -> Bool {
        guard let fd = try? RawSockets.connectUnix(path) else { return false }
        close(fd)
        return true
    }

    /// An IPv4 address of this machine that is not loopback, if it has one.
    static func nonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else {
                continue
            }
            let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            if UInt32(bigEndian: ipv4.sin_addr.s_addr) >> 24 == 127 { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            var raw = ipv4.sin_addr
            guard inet_ntop(AF_INET, &raw, &text, socklen_t(text.count)) != nil else { continue }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }

    // MARK: Files

    /// `lstat` of `path`: whether it is a socket.
    static func isSocketFile(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK
    }

    /// The permission bits of `path`, `nil` when it does not exist.
    static func permissions(_ path: String) -> UInt32? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return UInt32(status.st_mode) & 0o777
    }

    /// A Unix stream socket bound (and listening) at `path` in the test process.
    final class Listener: @unchecked Sendable {
        let fd: Int32
        let path: String

        init(path: String, backlog: Int32 = 16) throws {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw PeerError("socket: errno \(errno)") }
            var address = try RawSockets.unixAddress(path)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0, listen(fd, backlog) == 0 else {
                let code = errno
                close(fd)
                throw PeerError("bind/listen \(path): \(String(cString: strerror(code)))")
            }
            self.fd = fd
            self.path = path
        }

        /// Connects (non-blocking) until the accept queue is full, as clients of a server that
        /// hangs and accepts nothing would; returns the client sockets.
        func fillAcceptQueue() throws -> [Int32] {
            var clients: [Int32] = []
            for _ in 0..<64 {
                let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                guard client >= 0 else { throw PeerError("socket: errno \(errno)") }
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                var address = try RawSockets.unixAddress(path)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
                if connected != 0 {
                    let code = errno
                    _ = Glibc.close(client)
                    guard code == EAGAIN else { throw PeerError("connect: \(String(cString: strerror(code)))") }
                    return clients
                }
                clients.append(client)
            }
            throw PeerError("the accept queue of \(path) did not fill up")
        }

        /// Closes the socket and leaves the file behind: what a crashed server leaves.
        func closeLeavingFile() { _ = Glibc.close(fd) }

        /// Closes the socket and removes the file.
        func closeAndUnlink() {
            _ = Glibc.close(fd)
            unlink(path)
        }
    }

    // MARK: Running a gateway that must not start

    /// Runs `abacus gateway` with `arguments` (an HTTP port of its own choice and a database
    /// in `directory`) and waits for it to exit, at most `timeout` seconds (then it is killed
    /// and this throws). Throws when the executable was
    /// not built (the test fails: no skipping). Returns the status and everything it printed.
    static func runRefused(_ arguments: [String], directory: URL, timeout: TimeInterval = 60) async throws -> (
        status: Int32, output: String
    ) {
        guard let executable = GatewayProcess.executable else {
            throw PeerError("the abacus executable was not built")
        }
        let all =
            [
                "gateway", "--web.listen-address=127.0.0.1:0",
                "--storage.path=\(directory.appendingPathComponent("refused.sqlite").path)",
            ] + arguments
        let output = try await ProcessRunner.run(executable, all, timeout: timeout)
        return (output.status, output.stdoutText + output.stderrText)
    }

    // MARK: Reading /metrics

    /// Polls `/metrics` until every series has its value; fails with the differences after
    /// `timeout` seconds.
    static func waitForValues(_ expected: [String: Double], in gateway: GatewayProcess, timeout: TimeInterval)
        async throws
    {
        var last = ""
        let done = try await Wait.until(timeout: timeout, interval: 0.1) {
            last = try await Client.metrics(gateway)
            return expected.allSatisfy { Exposed.value($0.key, in: last) == $0.value }
        }
        if !done {
            let wrong = expected.sorted { $0.key < $1.key }.filter { Exposed.value($0.key, in: last) != $0.value }
                .map {
                    "\($0.key): \(Exposed.value($0.key, in: last).map { "\($0)" } ?? "absent"), expected \($0.value)"
                }
            throw PeerError("after \(timeout) s, /metrics still differs:\n" + wrong.joined(separator: "\n"))
        }
    }

    /// Every line (HELP, TYPE, samples) of the families named `prefix…`, in order.
    static func familyLines(prefix: String, in text: String) -> [String] {
        text.split(separator: "\n").filter { line in Exposed.name(of: line)?.hasPrefix(prefix) ?? false }.map(
            String.init)
    }

    /// The lines only in `before` (-) and only in `after` (+), at most 20 of each.
    static func difference(_ before: [String], _ after: [String]) -> String {
        let gone = before.filter { !after.contains($0) }.prefix(20).map { "- " + $0 }
        let new = after.filter { !before.contains($0) }.prefix(20).map { "+ " + $0 }
        return (gone + new).joined(separator: "\n")
    }

    /// The value of `series` in the gateway's `/metrics` now (`nil`: absent).
    static func value(_ series: String, in gateway: GatewayProcess) async throws -> Double? {
        Exposed.value(series, in: try await Client.metrics(gateway))
    }

    /// The status of `GET path`, `nil` when the request failed (nothing listens any more).
    static func status(_ gateway: GatewayProcess, _ path: String, timeout: TimeInterval = 5) async -> Int? {
        try? await Client.request("GET", gateway.baseURL + path, timeout: timeout).status
    }
}
