import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// Real servers as referees: a Prometheus Pushgateway and a Prometheus server run on free ports,
/// and what they serve on `/metrics` must read the same through our parsers as through Python's.
///
/// With `ABACUS_UPDATE_FIXTURES=1` the captured expositions are also written to
/// `Tests/AbacusExpositionTests/Fixtures/` for offline parser tests.
@Suite("Interop: live Pushgateway and Prometheus")
struct LivePeerInteropTests {
    static let protobufType =
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

    /// Pushed as text 0.0.4 with PUT: escapes, non-ASCII, special floats, every classic type.
    static let batchGroup = #"""
        # HELP batch_jobs_total Jobs processed.\nBy the batch runner; a backslash: \\ and "quotes".
        # TYPE batch_jobs_total counter
        batch_jobs_total{queue="mail",note="say \"hi\"\nbye \\o/"} 3
        batch_jobs_total{queue="ünïcödé ✓"} 1e+21
        # HELP batch_last_value Last value seen.
        # TYPE batch_last_value gauge
        batch_last_value{kind="nan"} NaN
        batch_last_value{kind="pinf"} +Inf
        batch_last_value{kind="ninf"} -Inf
        batch_last_value{kind="small"} 1.5e-7
        # HELP batch_duration_seconds Durations.
        # TYPE batch_duration_seconds histogram
        batch_duration_seconds_bucket{le="0.1"} 1
        batch_duration_seconds_bucket{le="1"} 3
        batch_duration_seconds_bucket{le="+Inf"} 4
        batch_duration_seconds_sum 7.5
        batch_duration_seconds_count 4
        # HELP batch_size_bytes Sizes.
        # TYPE batch_size_bytes summary
        batch_size_bytes{quantile="0.5"} 100
        batch_size_bytes{quantile="0.99"} NaN
        batch_size_bytes_sum 1234
        batch_size_bytes_count 12

        """#

    /// Pushed as text with POST to a grouping key with a base64 path label (`/var/tmp`).
    static let cronGroup = """
        cron_untyped_value 7
        # TYPE cron_last_success_timestamp_seconds gauge
        cron_last_success_timestamp_seconds 1.7e9

        """

    /// Pushed as protobuf written by our ProtobufEncoder, to a group with an empty instance.
    static let protoGroup: [MetricFamily] = [
        MetricFamily(
            name: "proto_events_total", type: .counter, help: "Events, pushed as protobuf.",
            metrics: [Metric(labels: [Label("kind", "a\"b\\c\nd")], value: .counter(CounterValue(5)))]),
        MetricFamily(
            name: "proto_latency_seconds", type: .histogram, help: "Latency.",
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.5, cumulativeCount: 2), Bucket(upperBound: 5, cumulativeCount: 3),
                                Bucket(upperBound: .infinity, cumulativeCount: 3),
                            ], count: 3, sum: 4.25)))
            ]),
    ]

    @Test("Pushgateway 1.5.1: pushes in text and in our protobuf come back exactly; our parsers agree with Python")
    func pushgateway() async throws {
        guard let pushgateway = Peers.require(.pushgateway), let python = Peers.require(.pythonClient) else { return }
        // Debian's build persists to /var/lib/prometheus/pushgateway.data by default: keep
        // every run's state in its own directory.
        let arguments = ["--web.listen-address=127.0.0.1:$PORT", "--persistence.file=$DIR/pushgateway.data"]
        try await withServer(pushgateway, name: "pushgateway", arguments: arguments, readyPath: "/-/ready") { server in
            let base = server.baseURL
            let put = try await HTTP.request(
                "PUT", base + "/metrics/job/batch/instance/node-1", body: Array(Self.batchGroup.utf8))
            #expect(put.status == 200, "\(put.text)")
            let post = try await HTTP.request(
                "POST", base + "/metrics/job/cron/path@base64/L3Zhci90bXA", body: Array(Self.cronGroup.utf8))
            #expect(post.status == 200, "\(post.text)")
            let proto = try await HTTP.request(
                "PUT", base + "/metrics/job/proto/instance@base64/=", headers: ["Content-Type": Self.protobufType],
                body: ProtobufEncoder.encode(Self.protoGroup))
            #expect(proto.status == 200, "\(proto.text)")

            _ = try await HTTP.request("GET", base + "/metrics")  // warm up its own HTTP metrics
            let text = try await HTTP.request("GET", base + "/metrics")
            #expect(text.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let protobuf = try await HTTP.request("GET", base + "/metrics", headers: ["Accept": Self.protobufType])
            #expect(protobuf.header("Content-Type") == Self.protobufType)
            try FixtureCapture.save(text.body, as: "pushgateway-1.5.1.txt")
            try FixtureCapture.save(protobuf.body, as: "pushgateway-1.5.1.pb")

            let ours = try TextParser.parse(text.body)
            try await expectPythonAgrees(text.body, ours, python: python, "pushgateway /metrics")

            // What we pushed, as the gateway serves it: grouping labels added, sorted by Go.
            let samples = ExpectedSamples.samples(of: ours, in: .text)
            let batch = [Label("instance", "node-1"), Label("job", "batch")]
            for sample in [
                PeerSample(
                    name: "batch_jobs_total",
                    labels: batch + [Label("note", "say \"hi\"\nbye \\o/"), Label("queue", "mail")],
                    value: 3),
                PeerSample(name: "batch_jobs_total", labels: batch + [Label("queue", "ünïcödé ✓")], value: 1e21),
                PeerSample(name: "batch_last_value", labels: batch + [Label("kind", "nan")], value: .nan),
                PeerSample(name: "batch_last_value", labels: batch + [Label("kind", "ninf")], value: -.infinity),
                PeerSample(name: "batch_last_value", labels: batch + [Label("kind", "small")], value: 1.5e-7),
                PeerSample(name: "batch_duration_seconds_bucket", labels: batch + [Label("le", "1.0")], value: 3),
                PeerSample(name: "batch_size_bytes", labels: batch + [Label("quantile", "0.99")], value: .nan),
                PeerSample(
                    name: "cron_untyped_value",
                    labels: [Label("instance", ""), Label("job", "cron"), Label("path", "/var/tmp")], value: 7),
                PeerSample(
                    name: "cron_last_success_timestamp_seconds",
                    labels: [Label("instance", ""), Label("job", "cron"), Label("path", "/var/tmp")], value: 1.7e9),
            ] {
                #expect(samples.contains(sample), "missing \(sample)")
            }
            let help = ours.first { $0.name == "batch_jobs_total" }?.help
            #expect(help == "Jobs processed.\nBy the batch runner; a backslash: \\ and \"quotes\".")
            #expect(ours.first { $0.name == "cron_untyped_value" }?.type == .untyped)

            // Our protobuf → Go decoder → Go text encoder → our text parser: what we pushed.
            let grouping = [Label("instance", ""), Label("job", "proto")]
            for pushed in Self.protoGroup {
                var expected = pushed
                for index in expected.metrics.indices {
                    expected.metrics[index].labels = (expected.metrics[index].labels + grouping).sorted()
                }
                #expect(ours.first { $0.name == pushed.name } == expected)
            }

            // The same families through the gateway's protobuf and our decoder. Only the
            // gateway's own HTTP metrics may have moved between the two requests.
            let decoded = try ProtobufDecoder.decode(protobuf.body)
            let volatile = { (family: MetricFamily) in family.name.hasPrefix("pushgateway_http_") }
            let pushedNames = Set(["batch_", "cron_", "proto_"])
            let stable = { (family: MetricFamily) in pushedNames.contains { family.name.hasPrefix($0) } }
            #expect(decoded.filter(stable) == ours.filter(stable))
            #expect(decoded.filter(stable).count == 8)
            #expect(decoded.map(\.name) == ours.map(\.name))
            #expect(
                decoded.filter { !volatile($0) }.map { "\($0.name) \($0.type) \($0.help ?? "-")" }
                    == ours.filter { !volatile($0) }.map { "\($0.name) \($0.type) \($0.help ?? "-")" })
        }
    }

    @Test("Prometheus 2.42 scraping itself: our text and protobuf readers agree with Python and with each other")
    func prometheus() async throws {
        guard let prometheus = Peers.require(.prometheus), let python = Peers.require(.pythonClient) else { return }
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: self
                static_configs:
                  - targets: ['127.0.0.1:$PORT']

            """
        let arguments = [
            "--config.file=$DIR/prometheus.yml", "--storage.tsdb.path=$DIR/data",
            "--web.listen-address=127.0.0.1:$PORT",
        ]
        try await withServer(
            prometheus, name: "prometheus", arguments: arguments, files: ["prometheus.yml": config],
            readyPath: "/-/ready"
        ) { server in
            let base = server.baseURL
            // Wait until it has scraped itself a few times, so that its scrape, TSDB and HTTP
            // metrics have children.
            let deadline = Date().addingTimeInterval(2 * Patience.seconds)
            var scrapes = 0.0
            while scrapes < 3, Date() < deadline {
                try await Task.sleep(nanoseconds: 500_000_000)
                let answer = try await HTTP.request("GET", base + "/api/v1/query?query=count_over_time(up%5B1m%5D)")
                scrapes = Self.firstValue(answer.text) ?? 0
            }
            try #require(scrapes >= 3, "Prometheus did not scrape itself:\n\(server.log)")

            _ = try await HTTP.request("GET", base + "/metrics")
            let text = try await HTTP.request("GET", base + "/metrics")
            #expect(text.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            try FixtureCapture.save(text.body, as: "prometheus-2.42.txt")
            let ours = try TextParser.parse(text.body)
            #expect(ours.count > 150)
            #expect(ours.contains { $0.type == .histogram } && ours.contains { $0.type == .summary })
            try await expectPythonAgrees(text.body, ours, python: python, "prometheus /metrics")

            // Prometheus 2.42 negotiates OpenMetrics on /metrics? (Its handler does not enable
            // it: the answer is text 0.0.4.) Read whatever it says it sent with the matching parser.
            let negotiated = try await HTTP.request(
                "GET", base + "/metrics",
                headers: ["Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"])
            let contentType = negotiated.header("Content-Type") ?? ""
            if contentType.hasPrefix("application/openmetrics-text") {
                let om = try OpenMetricsParser.parse(negotiated.body)
                let parsed = try await PythonReferee.parse(negotiated.body, format: .openMetrics, python: python)
                expectSameSamples(ExpectedSamples.samples(of: om, in: .openMetrics), parsed.samples, "prometheus OM")
            } else {
                #expect(contentType == "text/plain; version=0.0.4; charset=utf-8")
                #expect(try TextParser.parse(negotiated.body).map(\.name) == ours.map(\.name))
            }

            // Protobuf: values move between requests, the families and their metadata do not.
            let protobuf = try await HTTP.request("GET", base + "/metrics", headers: ["Accept": Self.protobufType])
            #expect(protobuf.header("Content-Type") == Self.protobufType)
            try FixtureCapture.save(protobuf.body, as: "prometheus-2.42.pb")
            let decoded = try ProtobufDecoder.decode(protobuf.body)
            #expect(
                decoded.map { "\($0.name) \($0.type) \($0.help ?? "-")" }
                    == ours.map { "\($0.name) \($0.type) \($0.help ?? "-")" })
            let build = { (families: [MetricFamily]) in families.first { $0.name == "prometheus_build_info" } }
            #expect(build(decoded) != nil && build(decoded) == build(ours))
        }
    }

    /// The first sample value of a Prometheus query API answer.
    static func firstValue(_ json: String) -> Double? {
        struct Answer: Decodable {
            struct Data: Decodable {
                struct Series: Decodable { var value: [Value] }
                var result: [Series]
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
            var data: Data
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(json.utf8)),
            let value = answer.data.result.first?.value.last, case .string(let text) = value
        else { return nil }
        return Double(text)
    }
}

/// Our parse and Python's parse of the same bytes must give the same families and samples.
func expectPythonAgrees(
    _ bytes: [UInt8], _ ours: [MetricFamily], python: URL, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let parsed = try await PythonReferee.parse(bytes, format: .text, python: python)
    let expected = ExpectedSamples.samples(of: ours, in: .text)
    #expect(expected.count > 0, sourceLocation: sourceLocation)
    expectSameSamples(parsed.samples, expected, what, sourceLocation: sourceLocation)
    let pythonFamilies = parsed.families.map { "\($0.name) \($0.type) \($0.help.debugDescription)" }
    let ourFamilies = ExpectedSamples.pythonFamilies(of: ours, in: .text).map {
        "\($0.name) \($0.type) \($0.help.debugDescription)"
    }
    #expect(pythonFamilies == ourFamilies, sourceLocation: sourceLocation)
}

/// Writes captured expositions to the fixtures folder when `ABACUS_UPDATE_FIXTURES=1`.
enum FixtureCapture {
    static var enabled: Bool { ProcessInfo.processInfo.environment["ABACUS_UPDATE_FIXTURES"] == "1" }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func save(_ bytes: [UInt8], as name: String) throws {
        guard enabled else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }
}
