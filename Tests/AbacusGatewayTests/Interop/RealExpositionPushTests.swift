import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// What users push when they push a real program's `/metrics`: those of Debian's node_exporter
/// and of Prometheus 2.42 itself (the Go collector's gauge `go_memstats_alloc_bytes` beside the
/// counter `go_memstats_alloc_bytes_total`, camelCase names, histograms, summaries, NaN
/// quantiles), pushed as text to the gateway and to Pushgateway 1.5.1.
///
/// Both must take them (200), and hold the same samples for the pushed groups: read back from
/// each in text and in protobuf, and from the gateway in OpenMetrics too. Samples are read by
/// Python's `prometheus_client` parsers (text and OpenMetrics: an independent reader, and the
/// OpenMetrics one refuses an invalid exposition), protobuf by ours and written back as text.
/// Each sample is compared as `name{sorted labels} value`, the value as Python prints a float
/// (the push times, which differ, aside) and without labels whose value is empty (`instance`
/// aside): node_exporter writes many (`node_os_info{variant=""}`), the Pushgateway keeps them
/// and the gateway drops them, and Prometheus reads both the same.
@Suite("Interop: node_exporter's and Prometheus' /metrics pushed to the gateway and to Pushgateway 1.5.1")
struct RealExpositionPushTests {
    static let jobs = ["node", "prometheus"]

    /// Python: reads an exposition (`text` or `openmetrics`) on stdin, prints the samples of the
    /// pushed jobs, sorted, one per line.
    static let sampler = """
        import math, sys
        from prometheus_client.parser import text_string_to_metric_families as text
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
        parse = om if sys.argv[1] == "openmetrics" else text
        jobs = set(sys.argv[2].split(","))
        lines = set()
        for family in parse(sys.stdin.read()):
            for s in family.samples:
                if s.labels.get("job") not in jobs:
                    continue
                if s.name.endswith("_created") or s.name.startswith("push_"):
                    continue
                labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()) if v or k == "instance")
                value = "NaN" if math.isnan(s.value) else repr(float(s.value))
                lines.add("%s{%s} %s" % (s.name, labels, value))
        print("\\n".join(sorted(lines)))
        """

    static func samples(_ exposition: [UInt8], format: String, python: URL) async throws -> [String] {
        let run = try await ProcessRunner.run(
            python, ["-c", sampler, format, jobs.joined(separator: ",")], stdin: exposition)
        try #require(run.status == 0, "Python's \(format) parser: \(run.stderrText)")
        return run.stdoutText.split(separator: "\n").map(String.init)
    }

    /// The samples of the pushed jobs from `base`'s `/metrics`, in text and in protobuf (and in
    /// OpenMetrics when `openMetrics`); each reading must give the same list, which is returned.
    static func readBack(_ base: String, server: String, openMetrics: Bool, python: URL) async throws -> [String] {
        let text = try await HTTP.request("GET", base + "/metrics")
        let fromText = try await samples(text.body, format: "text", python: python)
        let protobuf = try await HTTP.request(
            "GET", base + "/metrics",
            headers: [
                "Accept": "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            ])
        #expect(protobuf.header("Content-Type")?.hasPrefix("application/vnd.google.protobuf") == true, "\(server)")
        let decoded = try ProtobufDecoder.decode(protobuf.body)
        let fromProtobuf = try await samples(TextEncoder.encode(decoded), format: "text", python: python)
        #expect(fromProtobuf == fromText, "\(server): protobuf and text differ")
        if openMetrics {
            let om = try await HTTP.request(
                "GET", base + "/metrics", headers: ["Accept": "application/openmetrics-text; version=1.0.0"])
            #expect(om.header("Content-Type")?.hasPrefix("application/openmetrics-text") == true, "\(server)")
            let fromOM = try await samples(om.body, format: "openmetrics", python: python)
            #expect(fromOM == fromText, "\(server): OpenMetrics and text differ")
        }
        return fromText
    }

    @Test("both take them, and serve the same samples back in every format")
    func pushedToBoth() async throws {
        guard let nodeExporter = Peers.require(.nodeExporter), let prometheus = Peers.require(.prometheus),
            let pushgateway = Peers.require(.pushgateway), let python = Peers.require(.pythonClient)
        else { return }
        let node = try await RealExpositions.nodeExporter(nodeExporter)
        let own = try await RealExpositions.prometheus(prometheus)
        // What makes these expositions hard, so the test is about it.
        let nodeText = String(decoding: node, as: UTF8.self)
        #expect(
            nodeText.contains("\ngo_memstats_alloc_bytes ") && nodeText.contains("\ngo_memstats_alloc_bytes_total "))
        #expect(nodeText.contains("node_memory_Active_bytes"))
        #expect(
            String(decoding: own, as: UTF8.self).contains("# TYPE prometheus_http_request_duration_seconds histogram"))

        func push(_ base: String, server: String) async throws {
            for (job, body) in [("node", node), ("prometheus", own)] {
                let response = try await HTTP.request("PUT", base + "/metrics/job/" + job, body: body)
                #expect(response.status == 200, "\(server), \(job): \(response.status) \(response.text)")
            }
        }
        let ours = try await Interop.withGateway { gateway in
            try await push(gateway.baseURL, server: "abacus")
            return try await Self.readBack(gateway.baseURL, server: "abacus", openMetrics: true, python: python)
        }
        let arguments = ["--web.listen-address=127.0.0.1:$PORT", "--persistence.file=$DIR/pg.data"]
        let theirs = try await withServer(
            pushgateway, name: "pushgateway", arguments: arguments, readyPath: "/-/ready"
        ) { server in
            try await push(server.baseURL, server: "Pushgateway 1.5.1")
            return try await Self.readBack(
                server.baseURL, server: "Pushgateway 1.5.1", openMetrics: false, python: python)
        }
        #expect(ours.count > 500, "\(ours.count) samples")
        let onlyOurs = Set(ours).subtracting(theirs).sorted()
        let onlyTheirs = Set(theirs).subtracting(ours).sorted()
        #expect(
            onlyOurs.isEmpty && onlyTheirs.isEmpty,
            "only in abacus: \(onlyOurs.prefix(20)); only in the Pushgateway: \(onlyTheirs.prefix(20))")
    }
}
