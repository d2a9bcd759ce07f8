import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The command lines of docs/ops.md, run as users run them: `echo … | nc -U`,
/// `cat metrics.json | nc -u 127.0.0.1 PORT -w 1`, `echo … | socat - UNIX-CONNECT:…`. A missing
/// client skips the test locally and fails it when `CI=true`.
@Suite("Ops: real clients (nc, socat)")
struct OpsClientTests {
    static let jobs = #"{"name":"jobs_total","help":"Jobs run","labels":{"queue":"mail"},"op":"inc","value":1}"#

    /// Runs `client` with `arguments` and `stdin`; expects it to exit 0.
    static func run(_ client: URL, _ arguments: [String], stdin: String) async throws {
        let output = try await ProcessRunner.run(client, arguments, stdin: Array(stdin.utf8))
        #expect(output.status == 0, "\(client.lastPathComponent) \(arguments): \(output.stderrText)")
    }

    @Test("echo '…' | nc -U -N socket (the main socket and a pool socket)")
    func ncUnix() async throws {
        guard let nc = OpsClients.require(.nc) else { return }
        try await withOpsGateway { ops async throws in
            try await Self.run(nc, ["-U", "-N", ops.unixPaths[0]], stdin: Self.jobs + "\n")
            try await Self.run(nc, ["-N", "-U", ops.unixPaths[0]], stdin: Self.jobs + "\n")
            try await Self.run(nc, ["-U", "-N", ops.unixPaths[1]], stdin: Self.jobs + "\n")
            let scrape = try await ops.wait {
                $0.value(#"jobs_total{queue="mail"}"#) == 3 && $0.ingested("inc", "unix") == 3
            }
            #expect(
                scrape.pushed == """
                    # HELP jobs_total Jobs run
                    # TYPE jobs_total counter
                    jobs_total{queue="mail"} 3

                    """)
            #expect(scrape.ingested("inc", "unix") == 3)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    /// docs/ops.md's own line, `echo … | nc -U socket`, without `-N`: OpenBSD netcat then keeps
    /// the connection open after its input ends (it waits for the server to close, as it did
    /// with the original server). The message must be applied at once all the same, and the
    /// open connection must not hold up other clients.
    /// Ends a child we started, by PID, at once.
    static func kill(_ process: ChildProcess) {
        process.killSync()
    }

    @Test("echo '…' | nc -U socket (no -N): applied at once, other clients not held up")
    func ncUnixWithoutShutdown() async throws {
        guard let nc = OpsClients.require(.nc) else { return }
        try await withOpsGateway { ops async throws in
            let directory = try Peers.temporaryDirectory("nc-stdin")
            defer { try? FileManager.default.removeItem(at: directory) }
            let input = directory.appendingPathComponent("line.json")
            try Data((Self.jobs + "\n").utf8).write(to: input)
            let process = try ChildProcess(nc, ["-U", ops.unixPaths[0]], stdin: input)
            defer { Self.kill(process) }
            let applied = try await ops.wait(for: #"jobs_total{queue="mail"}"#, toBe: 1)
            #expect(applied.value(#"jobs_total{queue="mail"}"#) == 1, "not applied while nc is connected")
            // Another client on the same socket meanwhile.
            try await Self.run(nc, ["-U", "-N", ops.unixPaths[0]], stdin: Self.jobs + "\n")
            let both = try await ops.wait(for: #"jobs_total{queue="mail"}"#, toBe: 2)
            #expect(both.value(#"jobs_total{queue="mail"}"#) == 2)
            // Closing the waiting nc leaves nothing behind (no truncated-message rejection).
            Self.kill(process)
            let after = try await ops.wait { $0.ingested("inc", "unix") == 2 }
            #expect(after.samples(of: "abacus_ingest_rejected_total").isEmpty)
            #expect(after.ingested("inc", "unix") == 2)
        }
    }

    @Test("cat metrics.json | nc -u 127.0.0.1 PORT -w 1")
    func ncUDP() async throws {
        guard let nc = OpsClients.require(.nc) else { return }
        try await withOpsGateway { ops async throws in
            // A file of 40 lines (under netcat's 16 KiB read, so one datagram).
            var file = ""
            for index in 0..<40 {
                file += #"{"name":"cron_runs_total","labels":{"task":"t\#(index % 4)"},"op":"inc","value":1}"# + "\n"
            }
            file += #"{"name":"cron_last_success","op":"set","value":1700000000}"# + "\n"
            try await Self.run(nc, ["-u", "127.0.0.1", String(ops.udpPort), "-w", "1"], stdin: file)
            try await Self.run(nc, ["-u", "-w1", "127.0.0.1", String(ops.udpPort)], stdin: Self.jobs + "\n")
            let scrape = try await ops.wait {
                $0.ingested("inc", "udp") == 41 && $0.value("cron_last_success") == 1_700_000_000
            }
            for task in 0..<4 { #expect(scrape.value(#"cron_runs_total{task="t\#(task)"}"#) == 10, "task t\(task)") }
            #expect(scrape.value("cron_last_success") == 1_700_000_000)
            #expect(scrape.value(#"jobs_total{queue="mail"}"#) == 1)
            #expect(scrape.ingested("inc", "udp") == 41)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    @Test("echo '…' | socat - UNIX-CONNECT:socket, and socat - TCP:127.0.0.1:PORT")
    func socat() async throws {
        guard let socat = OpsClients.require(.socat) else { return }
        try await withOpsGateway { ops async throws in
            // docs/ops.md's example: an event (no event sink here: accepted and counted).
            let event = #"{"name":"metric","labels":{"label1":"labelvalue1"},"op":"event","value":1.0}"#
            try await Self.run(socat, ["-", "UNIX-CONNECT:\(ops.unixPaths[0])"], stdin: event + "\n")
            try await Self.run(socat, ["-", "UNIX-CONNECT:\(ops.unixPaths[0])"], stdin: Self.jobs + "\n")
            try await Self.run(socat, ["-", "TCP:127.0.0.1:\(ops.tcpPort)"], stdin: Self.jobs + "\n" + Self.jobs)
            let scrape = try await ops.wait {
                $0.ingested("event", "unix") == 1 && $0.value(#"jobs_total{queue="mail"}"#) == 3
                    && $0.ingested("inc", "unix") == 1 && $0.ingested("inc", "tcp") == 2
            }
            #expect(scrape.ingested("event", "unix") == 1)
            #expect(scrape.ingested("inc", "unix") == 1)
            #expect(scrape.ingested("inc", "tcp") == 2)
            #expect(scrape.value(#"jobs_total{queue="mail"}"#) == 3)
            // An event is not a metric: nothing named "metric" is exposed.
            #expect(scrape.family("metric") == "")
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }
}
