import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// The strictest referee there is: a real Prometheus 2.42 scrapes our encoders' output (served
/// with the format's Content-Type, so Prometheus picks its text or its OpenMetrics parser) and
/// must store exactly the samples, metadata and exemplars we wrote.
@Suite("Interop: Prometheus scrapes our expositions")
struct ScrapeInteropTests {
    /// Serves one file on `/metrics` with a fixed Content-Type (any python3 will do).
    static let staticServer = #"""
        import http.server, sys
        body = open(sys.argv[2], "rb").read()
        content_type = sys.argv[3]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
        """#

    /// The rich families without timestamps: Prometheus drops samples older than its head block.
    static let families = RichFamilies.all.map { family in
        var family = family
        for index in family.metrics.indices { family.metrics[index].timestampMs = nil }
        return family
    }

    @Test("Prometheus stores exactly our samples", arguments: [ExpositionFormat.text, .openMetrics])
    func scrape(_ format: ExpositionFormat) async throws {
        guard let prometheus = Peers.require(.prometheus), let python = Peers.require(.pythonClient) else { return }
        let om = format == .openMetrics
        let bytes = om ? OpenMetricsEncoder.encode(Self.families) : TextEncoder.encode(Self.families)
        let expected = ExpectedSamples.samples(of: Self.families, in: om ? .openMetrics : .text)

        let directory = try Peers.temporaryDirectory("scrape-target")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("metrics")
        try Data(bytes).write(to: file)
        let arguments = ["-c", Self.staticServer, "$PORT", file.path, format.contentType]
        try await withServer(python, name: "target", arguments: arguments, readyPath: "/metrics") { target in
            let config = """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: abacus
                    static_configs:
                      - targets: ['127.0.0.1:\(target.port)']

                """
            let arguments = [
                "--config.file=$DIR/prometheus.yml", "--storage.tsdb.path=$DIR/data",
                "--web.listen-address=127.0.0.1:$PORT", "--enable-feature=exemplar-storage",
            ]
            try await withServer(
                prometheus, name: "prometheus", arguments: arguments, files: ["prometheus.yml": config],
                readyPath: "/-/ready"
            ) { server in
                try await check(server, expected: expected, om: om)
            }
        }
    }

    func check(_ server: PeerServer, expected: [PeerSample], om: Bool) async throws {
        // Wait for a successful scrape.
        var scraped: [QueryResult.Series] = []
        let deadline = Date().addingTimeInterval(2 * Patience.seconds)
        while Date() < deadline {
            scraped = try await query(server, "scrape_samples_scraped{job=\"abacus\"}")
            if let up = try await query(server, "up{job=\"abacus\"}").first, up.value == "1", !scraped.isEmpty {
                break
            }
            try await Task.sleep(nanoseconds: 300_000_000)
        }
        try #require(!scraped.isEmpty, "Prometheus never scraped the target:\n\(server.log)")
        let up = try await query(server, "up{job=\"abacus\"}").first?.value
        let lastError = try await HTTP.request("GET", server.baseURL + "/api/v1/targets").text
        try #require(up == "1", "the scrape failed: \(lastError)")
        #expect(scraped.first?.value == "\(expected.count)")

        // Every stored series but Prometheus' own (up, scrape_*), as samples: job and instance
        // are Prometheus' labels, values are exact.
        let stored = try await query(server, "{job=\"abacus\",__name__!~\"up|scrape_.+\"}").map { series in
            var labels = series.metric.filter { $0.key != "__name__" && $0.key != "job" && $0.key != "instance" }
            for key in ["le", "quantile"] where labels[key] != nil { labels[key] = canonicalNumber(labels[key]!) }
            var sample = PeerSample(
                name: series.metric["__name__"] ?? "", labels: labels.map { Label($0.key, $0.value) }, value: 0)
            sample.value = canonicalNumber(series.value)
            return sample
        }
        // Prometheus keeps no exemplars in series, and a label with an empty value is no label.
        let withoutExemplars = expected.map { sample in
            var sample = sample
            sample.exemplar = nil
            sample.labels.removeAll { $0.value.isEmpty }
            return sample
        }
        expectSameSamples(
            stored.sorted(), withoutExemplars, om ? "Prometheus (OpenMetrics scrape)" : "Prometheus (text scrape)")

        // Metadata Prometheus kept for the target: type and help per family (and unit for OM).
        let metadata = try await HTTP.request(
            "GET", server.baseURL + "/api/v1/targets/metadata?match_target=%7Bjob%3D%22abacus%22%7D")
        let entries = try JSONDecoder().decode(MetadataResult.self, from: Data(metadata.body)).data
        for family in Self.families {
            let wire: String =
                om
                ? (family.type == .counter && family.name.hasSuffix("_total")
                    ? String(family.name.dropLast(6)) : family.name)
                : (family.type == .info ? family.name + "_info" : family.name)
            let entry = entries.first { $0.metric == wire }
            #expect(entry?.help == family.help, "\(wire): \(String(describing: entry))")
            if om {
                #expect(entry?.type == family.type.openMetricsName, "\(wire)")
                #expect(entry?.unit == (family.unit ?? ""), "\(wire)")
            }
        }

        // Exemplars (OpenMetrics only).
        guard om else { return }
        let now = Int(Date().timeIntervalSince1970) + 60
        let exemplarAnswer = try await HTTP.request(
            "GET", server.baseURL + "/api/v1/query_exemplars?query=%7Bjob%3D%22abacus%22%7D&start=1000000000&end=\(now)"
        )
        let found = try JSONDecoder().decode(ExemplarResult.self, from: Data(exemplarAnswer.body)).data
        // "name labels value" → timestamp (seconds, canonical), as stored and as written.
        var storedExemplars: [String: String] = [:]
        for series in found {
            for exemplar in series.exemplars {
                let key =
                    "\(series.seriesLabels["__name__"] ?? "") "
                    + exemplar.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",") + " "
                    + canonicalNumber(exemplar.value)
                storedExemplars[key] = canonical(exemplar.timestamp)
            }
        }
        var written: [String: String?] = [:]
        for sample in expected {
            guard let exemplar = sample.exemplar else { continue }
            let key =
                "\(sample.name) " + exemplar.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",") + " "
                + exemplar.value
            written[key] = exemplar.timestamp
        }
        #expect(written.count == 4)
        #expect(Set(storedExemplars.keys) == Set(written.keys))
        // An exemplar written without a timestamp gets the scrape's; one with keeps it (ms).
        for (key, timestamp) in written {
            if let timestamp { #expect(storedExemplars[key] == timestamp, "\(key)") }
        }
    }

    struct QueryResult: Decodable {
        struct Series: Decodable {
            var metric: [String: String]
            var value: String
            enum CodingKeys: String, CodingKey { case metric, value }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                metric = try container.decode([String: String].self, forKey: .metric)
                var pair = try container.nestedUnkeyedContainer(forKey: .value)
                _ = try pair.decode(Double.self)
                value = try pair.decode(String.self)
            }
        }
        struct Payload: Decodable { var result: [Series] }
        var data: Payload
    }

    struct MetadataResult: Decodable {
        struct Entry: Decodable, CustomStringConvertible {
            var metric: String
            var type: String
            var help: String
            var unit: String
            var description: String { "\(metric) \(type) \(unit) \(help.debugDescription)" }
        }
        var data: [Entry]
    }

    struct ExemplarResult: Decodable {
        struct Series: Decodable {
            struct Exemplar: Decodable {
                var labels: [String: String]
                var value: String
                var timestamp: Double
            }
            var seriesLabels: [String: String]
            var exemplars: [Exemplar]
        }
        var data: [Series]
    }

    func query(_ server: PeerServer, _ promql: String) async throws -> [QueryResult.Series] {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        let answer = try await HTTP.request("GET", server.baseURL + "/api/v1/query?query=" + encoded)
        guard answer.status == 200 else { throw PeerError("query \(promql): \(answer.status) \(answer.text)") }
        return try JSONDecoder().decode(QueryResult.self, from: Data(answer.body)).data.result
    }
}
