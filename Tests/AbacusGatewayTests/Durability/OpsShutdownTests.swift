import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DurabilityTests {
    /// The `shutdown` op and `--shutdown-delay` with the built `abacus` executable (docs/ops.md
    /// §1: cron jobs start a gateway, send their ops, then `{"op":"shutdown"}`; the gateway
    /// keeps `/metrics` up for one last scrape, `/-/ready` at 503, then exits 0).
    ///
    /// Nothing here depends on how fast the machine is: the delays that must still be running
    /// while the test looks are ten minutes long and ended by the second signal
    /// (`--shutdown-delay` ends at once on a SIGTERM or SIGINT during the shutdown); the one
    /// delay left to run out is only checked to end, and not before its length.
    @Suite("Ops shutdown (the abacus executable)")
    struct OpsShutdownTests {
        /// Waits for `/-/ready` to answer 503 (the shutdown has begun); whether it did.
        static func notReady(_ gateway: GatewayProcess) async -> Bool {
            await Wait.until(timeout: Patience.seconds, interval: 0.02) {
                await ProcOps.status(gateway, "/-/ready") == 503
            }
        }

        /// `{"op":"shutdown"}` over the Unix socket with `--ops.enable-shutdown
        /// --shutdown-delay=10m`: `/-/ready` turns 503; during the delay the socket files are
        /// still there, an op sent to the pool socket is taken and `/metrics` answers; a SIGTERM
        /// then ends the delay and the process exits 0; the socket files are gone; the op taken
        /// during the delay is there after a restart.
        @Test(.timeLimit(.minutes(5)))
        func shutdownOpOverTheUnixSocket() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("m.sock").path
            let pooled = gateway.directory.appendingPathComponent("m-1.sock").path
            try await gateway.start(arguments: [
                "--ops.unix-socket=\(socket)", "--ops.unix-socket-pool=1", "--ops.enable-shutdown",
                "--shutdown-delay=10m",
            ])
            guard let process = gateway.process else { throw PeerError("no gateway process") }

            try await ProcOps.sendUnix(socket, #"{"op":"shutdown"}"# + "\n")
            #expect(await Self.notReady(gateway), "/-/ready never answered 503 after the shutdown op")

            // During the delay: the listeners still take ops, /metrics is served.
            #expect(ProcOps.isSocketFile(socket) && ProcOps.isSocketFile(pooled), "socket files during the delay")
            try await ProcOps.sendUnix(pooled, #"{"name":"ops_last_total","op":"inc","value":1}"#)
            try await ProcOps.waitForValues(["ops_last_total": 1], in: gateway, timeout: Patience.seconds)
            let scrape = try? await Client.request("GET", gateway.baseURL + "/metrics", timeout: Patience.seconds)
            #expect(scrape?.status == 200, "/metrics during the shutdown delay")
            #expect(await ProcOps.status(gateway, "/-/ready") == 503, "/-/ready during the delay")
            #expect(process.isRunning, "exited before its 10 minute delay")

            // A signal during the shutdown ends the delay.
            process.signal(SIGTERM)
            #expect(await Wait.exit(of: process), "the gateway did not exit after SIGTERM during the delay")
            #expect(await gateway.stop() == 0, "exit status after the shutdown op")
            #expect(!FileManager.default.fileExists(atPath: socket), "\(socket) is removed at exit")
            #expect(!FileManager.default.fileExists(atPath: pooled), "\(pooled) is removed at exit")
            #expect(gateway.log.contains(#"msg="shutdown requested by an ops message" transport=unix"#))
            #expect(gateway.log.contains("ending the shutdown delay"))

            try await gateway.start()
            #expect(try await ProcOps.value("ops_last_total", in: gateway) == 1, "the op taken during the delay")
            #expect(await gateway.stop() == 0)
        }

        /// `{"op":"shutdown"}` in a UDP datagram from 127.0.0.1 with `--ops.enable-shutdown
        /// --shutdown-delay=10m`: `/-/ready` 503, `/metrics` still served with the datagram's
        /// other op, SIGINT ends the delay, exit 0, the Unix socket file removed.
        @Test(.timeLimit(.minutes(5)))
        func shutdownOpOverUDPFromLoopback() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("m.sock").path
            try await gateway.start(arguments: [
                "--ops.unix-socket=\(socket)", "--ops.udp-listen-address=127.0.0.1:0", "--ops.enable-shutdown",
                "--shutdown-delay=10m",
            ])
            guard let process = gateway.process else { throw PeerError("no gateway process") }
            let port = try ProcOps.port(of: gateway, transport: "udp")

            try await ProcOps.sendUDP(
                port: port, [#"{"name":"ops_udp_before_total","op":"inc","value":1}{"op":"shutdown"}"#])
            #expect(await Self.notReady(gateway), "/-/ready never answered 503 after the shutdown datagram")
            let scrape = try? await Client.request("GET", gateway.baseURL + "/metrics", timeout: Patience.seconds)
            #expect(scrape?.status == 200, "/metrics during the shutdown delay")
            #expect(scrape.map { Exposed.value("ops_udp_before_total", in: $0.text) } == 1)
            #expect(process.isRunning, "exited before its 10 minute delay")

            process.signal(SIGINT)
            #expect(await Wait.exit(of: process), "the gateway did not exit after SIGINT during the delay")
            #expect(await gateway.stop() == 0)
            #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed at exit")
            #expect(gateway.log.contains(#"msg="shutdown requested by an ops message" transport=udp"#))
        }

        /// Without `--ops.enable-shutdown`, `{"op":"shutdown"}` over Unix, UDP and HTTP is
        /// rejected and counted (`abacus_ingest_rejected_total{reason="shutdown_disabled"}` 1
        /// per transport; HTTP answers 400 naming the reason), no shutdown op is counted as
        /// applied, and the gateway keeps running: ready, taking ops, exits 0 on SIGTERM.
        @Test(.timeLimit(.minutes(5)))
        func shutdownOpIsRefusedWhenNotEnabled() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("m.sock").path
            try await gateway.start(arguments: [
                "--ops.unix-socket=\(socket)", "--ops.udp-listen-address=127.0.0.1:0", "--shutdown-delay=1s",
            ])
            guard let process = gateway.process else { throw PeerError("no gateway process") }
            try await ProcOps.sendUnix(socket, #"{"op":"shutdown"}"#)
            try await ProcOps.sendUDP(port: try ProcOps.port(of: gateway, transport: "udp"), [#"{"op":"shutdown"}"#])
            let reply = try await Client.request(
                "POST", gateway.baseURL + "/api/v1/ops", body: Array(#"{"op":"shutdown"}"#.utf8))
            #expect(reply.status == 400, "POST /api/v1/ops shutdown without --ops.enable-shutdown: \(reply.text)")
            #expect(reply.text.contains("shutdown_disabled"), "\(reply.text)")

            try await ProcOps.waitForValues(
                [
                    #"abacus_ingest_rejected_total{reason="shutdown_disabled",transport="unix"}"#: 1,
                    #"abacus_ingest_rejected_total{reason="shutdown_disabled",transport="udp"}"#: 1,
                    #"abacus_ingest_rejected_total{reason="shutdown_disabled",transport="http"}"#: 1,
                ], in: gateway, timeout: Patience.seconds)
            // Longer than the shutdown delay: a shutdown started by mistake would show by now
            // (a slow machine can only hide such a mistake, never fail this test).
            try await Task.sleep(nanoseconds: 1_500_000_000)
            #expect(process.isRunning, "the gateway stopped after a refused shutdown op")
            #expect(await ProcOps.status(gateway, "/-/ready") == 200)
            let text = try await Client.metrics(gateway)
            #expect(!text.contains(#"op="shutdown""#), "a refused shutdown op is not counted as applied")
            try await ProcOps.sendUnix(socket, #"{"name":"ops_alive_total","op":"inc","value":1}"#)
            try await ProcOps.waitForValues(["ops_alive_total": 1], in: gateway, timeout: Patience.seconds)
            #expect(!gateway.log.contains("shutdown requested"))
            #expect(await gateway.stop() == 0)
        }

        /// With `--ops.enable-shutdown`, a shutdown datagram from an address that is not
        /// loopback (this machine's own non-loopback IPv4 address, the UDP listener on
        /// 0.0.0.0) is refused and counted as `shutdown_disabled`; the same datagram from
        /// 127.0.0.1 stops the gateway (exit 0).
        @Test(.timeLimit(.minutes(5)))
        func shutdownOverUDPIsHonouredOnlyFromLoopback() async throws {
            guard let address = ProcOps.nonLoopbackIPv4() else {
                print("note: this machine has no non-loopback IPv4 address; skipping the remote-sender check")
                return
            }
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            try await gateway.start(arguments: ["--ops.udp-listen-address=0.0.0.0:0", "--ops.enable-shutdown"])
            guard let process = gateway.process else { throw PeerError("no gateway process") }
            let port = try ProcOps.port(of: gateway, transport: "udp")

            try await ProcOps.sendUDP(
                port: port, host: address, from: address,
                [#"{"name":"ops_remote_total","op":"inc","value":1}"# + "\n" + #"{"op":"shutdown"}"#])
            try await ProcOps.waitForValues(
                [
                    #"abacus_ingest_rejected_total{reason="shutdown_disabled",transport="udp"}"#: 1,
                    "ops_remote_total": 1,
                ], in: gateway, timeout: Patience.seconds)
            try await Task.sleep(nanoseconds: 500_000_000)
            #expect(process.isRunning, "a shutdown datagram from \(address) stopped the gateway")
            #expect(await ProcOps.status(gateway, "/-/ready") == 200)

            try await ProcOps.sendUDP(port: port, [#"{"op":"shutdown"}"#])
            #expect(await Wait.exit(of: process), "a shutdown datagram from 127.0.0.1 did not stop it")
            #expect(await gateway.stop() == 0)
        }

        /// SIGTERM with `--shutdown-delay=10m`: `/-/ready` 503 and `/metrics` still served
        /// during the delay; a second SIGTERM ends it (exit 0). Then SIGTERM with
        /// `--shutdown-delay=1s` and nothing else: the delay runs out by itself, exit 0, not
        /// before the second.
        @Test(.timeLimit(.minutes(5)))
        func sigtermWithShutdownDelayKeepsServingMetrics() async throws {
            let gateway = try GatewayProcess()
            defer { gateway.remove() }
            let socket = gateway.directory.appendingPathComponent("m.sock").path
            try await gateway.start(arguments: ["--ops.unix-socket=\(socket)", "--shutdown-delay=10m"])
            guard let process = gateway.process else { throw PeerError("no gateway process") }
            try await ProcOps.sendUnix(socket, #"{"name":"ops_delay_gauge","op":"set","value":12}"#)
            try await ProcOps.waitForValues(["ops_delay_gauge": 12], in: gateway, timeout: Patience.seconds)

            process.signal(SIGTERM)
            #expect(await Self.notReady(gateway), "/-/ready never answered 503 after SIGTERM")
            let scrape = try? await Client.request("GET", gateway.baseURL + "/metrics", timeout: Patience.seconds)
            #expect(scrape?.status == 200, "/metrics during the shutdown delay")
            #expect(scrape.map { Exposed.value("ops_delay_gauge", in: $0.text) } == 12)
            #expect(process.isRunning, "exited before its 10 minute delay")
            process.signal(SIGTERM)
            #expect(await Wait.exit(of: process), "a second SIGTERM did not end the delay")
            #expect(await gateway.stop() == 0, "exit status after SIGTERM")
            #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed at exit")

            // A delay that runs out by itself.
            try await gateway.start(arguments: ["--ops.unix-socket=\(socket)", "--shutdown-delay=1s"])
            guard let second = gateway.process else { throw PeerError("no gateway process") }
            let sent = ContinuousClock.now
            second.signal(SIGTERM)
            #expect(await Wait.exit(of: second), "the gateway did not exit after its 1 s delay")
            let elapsed = ContinuousClock.now - sent
            #expect(elapsed >= .milliseconds(1000), "exited \(elapsed) after SIGTERM: before the 1 s delay")
            #expect(await gateway.stop() == 0, "exit status after the delay ran out")
        }
    }
}
