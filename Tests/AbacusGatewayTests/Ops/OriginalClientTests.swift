import AbacusTesting
import Foundation
import Testing

/// The original metrics-server's clients, as their users run them: Go programs that marshal a
/// struct with every field (zero values included) and write messages back to back, and the
/// original's other operations (`index`, `raw`) with their `timestamp`.
@Suite("Ops: the original metrics-server's clients")
struct OriginalClientTests {
    /// What the original's Go client writes for one message: `help`, `buckets` and
    /// `bucket_width` at their zero values.
    static func goMessage(_ name: String, op: String = "inc", value: String = "1") -> String {
        #"{"name":"\#(name)","labels":{"application":"metrics-server"},"op":"\#(op)","help":"","buckets":0,"bucket_width":0,"value":\#(value)}"#
    }

    @Test(
        "zero-valued fields, messages back to back on one connection: every one applied",
        arguments: [OpsTransport.unix, .tcp])
    func zeroValuesBackToBack(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            var bytes = (0..<2000).map { Self.goMessage("job_\($0)") }.joined()
            // Twice the same series (the quick path, zero fields and all), an obs and a set.
            bytes += Self.goMessage("job_0") + Self.goMessage("go_duration_ms", op: "obs", value: "15")
            bytes +=
                #"{"name":"go_queue_length","labels":null,"op":"set","help":"","buckets":0,"bucket_width":0,"bucket_min":0,"bucket_max":0,"bucket_factor":0,"bucket_start":0,"bucket_custom":null,"value":3}"#
            try await ops.send(bytes, via: transport)
            let scrape = try await ops.wait {
                $0.ingested("inc", transport.label) == 2001 && $0.ingested("set", transport.label) == 1
            }
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
            #expect(scrape.value(#"job_0{application="metrics-server"}"#) == 2)
            #expect(scrape.value(#"job_1999{application="metrics-server"}"#) == 1)
            // No HELP line: "help":"" is no help.
            #expect(!scrape.lines.contains { $0.hasPrefix("# HELP job_") })
            // The default layout of the original: 0, 10, …, 190.
            let bounds = scrape.lines.filter { $0.hasPrefix("go_duration_ms_bucket{") }
            #expect(bounds.count == 21)
            #expect(bounds.first == #"go_duration_ms_bucket{application="metrics-server",le="0"} 0"#)
            #expect(scrape.value(#"go_duration_ms_bucket{application="metrics-server",le="10"}"#) == 0)
            #expect(scrape.value(#"go_duration_ms_bucket{application="metrics-server",le="20"}"#) == 1)
            #expect(scrape.value(#"go_duration_ms_bucket{application="metrics-server",le="190"}"#) == 1)
            #expect(scrape.value("go_queue_length") == 3)
        }
    }

    /// A Go program built with Debian's golang-go, written as the original's client is: 10,000
    /// goroutines share one Unix socket connection and each writes one `inc` with its zero
    /// values and no separator.
    @Test("a Go client like the original's: 10,000 goroutines, one connection, zero values")
    func realGoClient() async throws {
        guard Peers.require(.go) != nil else { return }
        let binary = try await GoProgram.opsClient.binary()
        try await withOpsGateway { ops async throws in
            let output = try await ProcessRunner.run(binary, ["-socket", ops.unixPaths[0], "-n", "10000"])
            #expect(output.status == 0, "\(output.stderrText)")
            let scrape = try await ops.wait {
                $0.ingested("inc", "unix") == 10_000 && $0.ingested("obs", "unix") == 1
                    && $0.ingested("set", "unix") == 1
            }
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
            #expect(scrape.ingested("inc", "unix") == 10_000)
            for n in [0, 1, 4999, 9999] {
                #expect(scrape.value(#"job_\#(n){application="metrics-server"}"#) == 1, "job_\(n)")
            }
            #expect(scrape.value(#"go_duration_ms_bucket{application="metrics-server",le="20"}"#) == 1)
            #expect(scrape.value(#"go_duration_ms_bucket{application="metrics-server",le="0"}"#) == 0)
            #expect(scrape.value("go_queue_length") == 3)
        }
    }

    /// `index` and `raw` (the original's OpenSearch documents and ScyllaDB rows) are accepted
    /// and counted; no series is made of them, and nothing is rejected.
    @Test("index and raw messages are counted, not rejected", arguments: [OpsTransport.udp, .unix, .http])
    func indexAndRaw(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            let body = """
                {"name":"order","labels":{"shop":"a"},"op":"index","index":"preemptible","value":1}
                {"name":"order","op":"index","index":"preemptible","timestamp":"2024-05-01T12:30:00Z","value":2}
                {"name":"metric_raw","labels":{"status":"success"},"op":"raw","timestamp":"2022-09-30T08:07:00+00:00","value":1.0}
                {"name":"event","labels":{"app":"x"},"op":"event","value":1}

                """
            let response = try await ops.send(body, via: transport)
            if let response { #expect(response.status == 200, "\(response)") }
            let scrape = try await ops.wait {
                $0.ingested("index", transport.label) == 2 && $0.ingested("raw", transport.label) == 1
                    && $0.ingested("event", transport.label) == 1
            }
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
            #expect(scrape.pushed == "")
            // A bad timestamp is refused, and counted as such.
            _ = try await ops.send(
                #"{"name":"metric_raw","op":"raw","timestamp":"yesterday","value":1}"# + "\n", via: transport)
            let refused = try await ops.wait { $0.rejected("invalid_field", transport.label) == 1 }
            #expect(refused.rejected("invalid_field", transport.label) == 1)
        }
    }
}
