import AbacusTesting
import Foundation
import Testing

/// `abacus metrics-server` started with the original metrics-server's command line, as a
/// systemd unit or a cron script would start it, fed by the original's kinds of clients: a Go
/// program writing as its Go client does, its PHP client's way (one fwrite of a file), netcat
/// over the Unix socket, a pool socket and UDP; then the cron job's `shutdown` op.
@Suite("abacus metrics-server (the executable, the original's command line)")
struct MetricsServerCommandTests {
    /// The original's client/metrics.json, in its manner: newline-terminated `inc` lines, a
    /// value of 0.0 that creates a series, one name with two label values.
    static let metricsJSON = """
        {"name":"metric1","help":"metric1 description","labels":{"label1":"labelvalue1"},"op":"inc","value":1.0}
        {"name":"metric2","help":"metric2 description","labels":{"label1":"labelvalue1"},"op":"inc","value":0.0}
        {"name":"metric3","help":"metric3 description","labels":{"label1":"labelvalue1"},"op":"inc","value":1.0}
        {"name":"metric3","help":"metric3 description","labels":{"label1":"labelvalue2"},"op":"inc","value":1.0}

        """

    @Test(.timeLimit(.minutes(5)))
    func theOriginalsCommandLineAndClients() async throws {
        guard Peers.require(.go) != nil, let nc = OpsClients.require(.nc), let php = OpsClients.require(.php)
        else { return }
        let goClient = try await GoProgram.opsClient.binary()
        let gateway = try GatewayProcess()
        defer { gateway.remove() }
        let udpPort = try Peers.freePort()
        // The original's flags, single dash as Go writes them; the Unix socket is the default
        // ./metric-server.sock in the working directory.
        try await gateway.start(metricsServer: [
            "-udp", "127.0.0.1:\(udpPort)", "-uds-pool", "./pool-a.sock,./pool-b.sock",
            "-extra-labels", "app:marketing-cron,instance:h1", "-metric-clean-up", "-metric-ttl", "24h0m0s",
            "-shutdown-delay", "10m", "-debug",
        ])
        guard let process = gateway.process else { throw PeerError("no gateway process") }
        let directory = gateway.directory
        let main = directory.appendingPathComponent("metric-server.sock").path
        let poolB = directory.appendingPathComponent("pool-b.sock").path
        for path in [main, directory.appendingPathComponent("pool-a.sock").path, poolB] {
            #expect(ProcOps.isSocketFile(path), "\(path)")
        }
        #expect(await ProcOps.status(gateway, "/health") == 200)

        // The Go client: 2,000 goroutines on one connection, zero values, no separator.
        let go = try await ProcessRunner.run(goClient, ["-socket", main, "-n", "2000"])
        #expect(go.status == 0, "\(go.stderrText)")
        // The PHP client's way: the file in one fwrite, to a pool socket.
        let file = directory.appendingPathComponent("metrics.json")
        try Data(Self.metricsJSON.utf8).write(to: file)
        let phpRun = try await ProcessRunner.run(
            php, [Interop.root.appendingPathComponent("Tests/Interop/php-client/client.php").path, poolB, file.path])
        #expect(phpRun.status == 0, "\(phpRun.stdoutText)\(phpRun.stderrText)")
        // netcat, as the README says: over the main socket and over UDP.
        let ncUnix = try await ProcessRunner.run(nc, ["-U", "-N", main], stdin: Array(Self.metricsJSON.utf8))
        #expect(ncUnix.status == 0, "\(ncUnix.stderrText)")
        let ncUDP = try await ProcessRunner.run(
            nc, ["-u", "-w", "1", "127.0.0.1", "\(udpPort)"], stdin: Array(Self.metricsJSON.utf8))
        #expect(ncUDP.status == 0, "\(ncUDP.stderrText)")

        // The extra labels are on every series, the gateway's own too (labels sorted by name).
        let extra = #"app="marketing-cron",instance="h1","#
        let goLabels = #"app="marketing-cron",application="metrics-server",instance="h1""#
        try await ProcOps.waitForValues(
            [
                #"job_0{\#(goLabels)}"#: 1,
                #"job_1999{\#(goLabels)}"#: 1,
                #"metric1{\#(extra)label1="labelvalue1"}"#: 3,
                #"metric2{\#(extra)label1="labelvalue1"}"#: 0,
                #"metric3{\#(extra)label1="labelvalue2"}"#: 3,
                #"go_duration_ms_bucket{\#(goLabels),le="20"}"#: 1,
                #"abacus_ingest_messages_total{\#(extra)op="inc",transport="unix"}"#: 2008,
                #"abacus_ingest_messages_total{\#(extra)op="inc",transport="udp"}"#: 4,
            ], in: gateway, timeout: Patience.seconds)
        let text = try await Client.metrics(gateway)
        #expect(text.contains("# HELP metric1 metric1 description\n"))
        #expect(!text.contains("abacus_ingest_rejected_total{"), "\(text)")

        // The cron job's last word: the shutdown op (the original honours it without a flag).
        try await ProcOps.sendUnix(main, #"{"name":"shuthdown","op":"shutdown","value":0}"# + "\n")
        #expect(
            await Wait.until(timeout: Patience.seconds) { await ProcOps.status(gateway, "/health") == 503 },
            "/health did not turn 503 after the shutdown op")
        #expect(try await ProcOps.value(#"metric1{\#(extra)label1="labelvalue1"}"#, in: gateway) == 3)
        #expect(process.isRunning, "exited before its 10 minute delay")
        process.signal(SIGTERM)
        #expect(await Wait.exit(of: process), "SIGTERM during the delay did not stop it")
        #expect(await gateway.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: main), "the socket file is removed at exit")
        #expect(!FileManager.default.fileExists(atPath: poolB), "the pool socket file is removed at exit")
    }

    @Test("a flag of a feature abacus does not have is refused at start (exit 2), never ignored")
    func refusedFlags() async throws {
        guard let executable = GatewayProcess.executable else { throw PeerError("the abacus executable was not built") }
        let directory = try Peers.temporaryDirectory("metrics-server-refused")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (arguments, message) in [
            (["-remote", "127.0.0.1:9999"], "-remote: forwarding every update to a central metrics-server"),
            (["-loki-address", "https://loki/api/v1/push"], "-loki-address: the Loki event sink is not in abacus"),
            (["-no-such-flag"], "flag provided but not defined: -no-such-flag"),
        ] {
            let output = try await ProcessRunner.run(
                executable, ["metrics-server", "--storage.path=:memory:"] + arguments, directory: directory)
            #expect(output.status == 2, "\(arguments): \(output.stderrText)")
            #expect(output.stderrText.hasPrefix("abacus metrics-server: \(message)"), "\(output.stderrText)")
            let socket = directory.appendingPathComponent("metric-server.sock").path
            #expect(!FileManager.default.fileExists(atPath: socket), "a refused start made \(socket)")
        }
        // Installed under the original's name (a symlink), the binary is `abacus metrics-server`.
        let link = directory.appendingPathComponent("metrics-server")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: executable)
        let viaLink = try await ProcessRunner.run(
            link, ["--storage.path=:memory:", "-remote", "h:1"], directory: directory)
        #expect(viaLink.status == 2, "\(viaLink.stderrText)")
        #expect(viaLink.stderrText.hasPrefix("abacus metrics-server: -remote:"), "\(viaLink.stderrText)")
        // --help and -help list the mapping from the original's flags.
        for flag in ["--help", "-help", "-h"] {
            let help = try await ProcessRunner.run(executable, ["metrics-server", flag], directory: directory)
            #expect(help.status == 0, "\(flag)")
            #expect(help.stdoutText.contains("-uds-pool A,B"), "\(flag): \(help.stdoutText)")
            #expect(help.stdoutText.contains("--ops.extra-unix-sockets"), "\(flag)")
        }
    }
}
