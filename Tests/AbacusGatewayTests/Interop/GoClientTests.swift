import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// client_golang's `push` package (Debian's 1.14.0, unchanged) through `Tests/Interop/go-pusher`:
/// `Push` (PUT), `Add` (POST) and `Delete` (DELETE), in its default format (delimited protobuf)
/// and in text, with grouping labels including a value with `/` and an empty one (the client
/// writes both as `@base64`).
@Suite("Interop: client_golang push to abacus gateway")
struct GoClientTests {
    /// The sample lines go-pusher's fixed registry becomes in a group with these grouping
    /// labels (`instance=""` added when absent), as `/metrics` serves them.
    static func expected(_ grouping: [Label]) -> [String] {
        var group = grouping
        if !group.contains(where: { $0.name == "instance" }) { group.append(Label("instance", "")) }
        func set(_ extra: Label...) -> String {
            (group + extra).sorted().map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
        }
        return [
            "go_pusher_duration_seconds_bucket{\(set()),le=\"0.1\"} 1",
            "go_pusher_duration_seconds_bucket{\(set()),le=\"1\"} 2",
            "go_pusher_duration_seconds_bucket{\(set()),le=\"10\"} 3",
            "go_pusher_duration_seconds_bucket{\(set()),le=\"+Inf\"} 4",
            "go_pusher_duration_seconds_sum{\(set())} 22.55",
            "go_pusher_duration_seconds_count{\(set())} 4",
            "go_pusher_last_success_seconds{\(set())} 1.7e+09",
            "go_pusher_latency_seconds{\(set()),quantile=\"0.5\"} 0.3",
            "go_pusher_latency_seconds{\(set()),quantile=\"0.9\"} 0.5",
            "go_pusher_latency_seconds_sum{\(set())} 1.5",
            "go_pusher_latency_seconds_count{\(set())} 5",
            "go_pusher_records_total{\(set(Label("kind", "a")))} 3",
            "go_pusher_records_total{\(set(Label("kind", "b")))} 5",
        ]
    }

    static let headers = [
        "# HELP go_pusher_duration_seconds Duration of the go-pusher job.",
        "# TYPE go_pusher_duration_seconds histogram",
        "# HELP go_pusher_last_success_seconds Last time the go-pusher job succeeded, in Unix seconds.",
        "# TYPE go_pusher_last_success_seconds gauge",
        "# HELP go_pusher_latency_seconds Latency of the go-pusher job.",
        "# TYPE go_pusher_latency_seconds summary",
        "# HELP go_pusher_records_total Records processed by the go-pusher job.",
        "# TYPE go_pusher_records_total counter",
    ]

    /// The pushed lines of one group: those holding its `job` label.
    static func lines(_ text: String, job: String) -> [String] {
        Interop.samples(text, prefix: "go_pusher_").filter { $0.contains("job=\"\(job)\"") }
    }

    func pusher(_ binary: URL, _ arguments: [String]) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(binary, arguments)
    }

    @Test("Push, Add and Delete in protobuf and text, grouping values with / and empty")
    func pushAddDelete() async throws {
        guard Peers.require(.go) != nil else { return }
        let binary = try await GoProgram.pusher.binary()
        try await Interop.withGateway { gateway in
            let base = gateway.baseURL
            let protoGroup = [Label("instance", "go-1"), Label("job", "gojob"), Label("path", "/srv/data")]
            let protoArgs = [
                "-url", base, "-job", "gojob", "-grouping", "instance=go-1", "-grouping", "path=/srv/data",
            ]
            let textGroup = [Label("instance", ""), Label("job", "gotext")]
            let textArgs = ["-url", base, "-job", "gotext", "-grouping", "instance=", "-format", "text"]

            // Push (PUT), protobuf.
            var run = try await pusher(binary, protoArgs + ["-op", "push"])
            try #require(run.status == 0, "\(run.stderrText)\n\(gateway.log)")
            var text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gojob") == Self.expected(protoGroup), "\(text)")
            #expect(Interop.headers(text, prefix: "go_pusher_") == Self.headers)
            let protoLabels = #"instance="go-1",job="gojob",path="/srv/data""#
            #expect((Interop.value(text, "push_time_seconds", protoLabels) ?? 0) > 1e9)
            #expect(Interop.value(text, "push_failure_time_seconds", protoLabels) == 0)

            // Push (PUT), text, to a group with an empty instance.
            run = try await pusher(binary, textArgs + ["-op", "push"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gotext") == Self.expected(textGroup), "\(text)")
            #expect(Self.lines(text, job: "gojob") == Self.expected(protoGroup))

            // Add (POST) keeps a family the Go registry does not have; Push (PUT) drops it.
            let groupPath = "/metrics/job/gojob/instance/go-1/path@base64/L3Nydi9kYXRh"
            let extra = try await HTTP.request("POST", base + groupPath, body: Array("go_pusher_extra 9\n".utf8))
            #expect(extra.status == 200, "\(extra.text)")
            run = try await pusher(binary, protoArgs + ["-op", "add"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            let withExtra = (Self.expected(protoGroup) + ["go_pusher_extra{\(protoLabels)} 9"]).sorted()
            #expect(Self.lines(text, job: "gojob").sorted() == withExtra, "\(text)")
            run = try await pusher(binary, protoArgs + ["-op", "push", "-format", "text"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gojob") == Self.expected(protoGroup), "\(text)")

            // Delete: the group goes, with its push times; the other stays.
            run = try await pusher(binary, protoArgs + ["-op", "delete"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gojob").isEmpty, "\(text)")
            #expect(Interop.value(text, "push_time_seconds", protoLabels) == nil)
            #expect(Self.lines(text, job: "gotext") == Self.expected(textGroup))
            run = try await pusher(binary, textArgs + ["-op", "delete"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Interop.samples(text, prefix: "go_pusher_").isEmpty, "\(text)")

            // A refused push: the client returns the error with our status and message.
            let blocker = try await HTTP.request(
                "PUT", base + "/metrics/job/blocker",
                body: Array("# TYPE go_pusher_records_total gauge\ngo_pusher_records_total 1\n".utf8))
            #expect(blocker.status == 200, "\(blocker.text)")
            run = try await pusher(binary, ["-url", base, "-job", "refused", "-op", "push"])
            #expect(run.status == 1)
            #expect(run.stderrText.contains("400"), "\(run.stderrText)")
            #expect(run.stderrText.contains("go_pusher_records_total"), "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "refused").isEmpty)
            #expect((Interop.value(text, "push_failure_time_seconds", #"instance="",job="refused""#) ?? 0) > 0)
        }
    }

    /// A Go job that pushes client_golang's default registry
    /// (`push.New(url, job).Gatherer(prometheus.DefaultGatherer)`): the Go collector's families,
    /// gauge `go_memstats_alloc_bytes` beside counter `go_memstats_alloc_bytes_total` among them,
    /// and the process collector's. Pushgateway 1.5.1 takes it; so must the gateway, in
    /// protobuf and in text, and serve it back in text, OpenMetrics (read by Python's parser)
    /// and protobuf.
    @Test("client_golang's default registry, pushed to the gateway and to Pushgateway 1.5.1")
    func defaultRegistry() async throws {
        guard Peers.require(.go) != nil, let pushgateway = Peers.require(.pushgateway),
            let python = Peers.require(.pythonClient)
        else { return }
        let binary = try await GoProgram.pusher.binary()
        let group = #"instance="",job="godefault""#
        func check(_ base: String, server: String) async throws {
            for format in ["protobuf", "text"] {
                let run = try await pusher(
                    binary, ["-url", base, "-job", "godefault", "-format", format, "-default-registry"])
                #expect(run.status == 0, "\(server), \(format): \(run.stderrText)")
            }
            let text = try await Interop.scrape(base)
            for name in [
                "go_memstats_alloc_bytes", "go_memstats_alloc_bytes_total", "go_goroutines", "go_pusher_records_total",
            ] {
                #expect(
                    text.split(separator: "\n").contains { $0.hasPrefix(name + "{") && $0.contains(group) },
                    "\(server): no \(name) of the pushed group")
            }
        }
        try await Interop.withGateway { gateway in
            try await check(gateway.baseURL, server: "abacus")
            let om = try await HTTP.request(
                "GET", gateway.baseURL + "/metrics", headers: ["Accept": "application/openmetrics-text; version=1.0.0"])
            let script = """
                import sys
                from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
                names = set(s.name for f in parse(sys.stdin.read()) for s in f.samples)
                print("go_memstats_alloc_bytes" in names, "go_memstats_alloc_bytes_total" in names)
                """
            let parsed = try await ProcessRunner.run(python, ["-c", script], stdin: om.body)
            #expect(parsed.status == 0, "Python's OpenMetrics parser: \(parsed.stderrText)")
            #expect(parsed.stdoutText == "True True\n", "\(parsed.stdoutText)")
            let protobuf = try await HTTP.request(
                "GET", gateway.baseURL + "/metrics",
                headers: [
                    "Accept":
                        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
                ])
            let families = try ProtobufDecoder.decode(protobuf.body)
            #expect(families.contains { $0.name == "go_memstats_alloc_bytes" && $0.type == .gauge })
            #expect(families.contains { $0.name == "go_memstats_alloc_bytes_total" && $0.type == .counter })
        }
        let arguments = ["--web.listen-address=127.0.0.1:$PORT", "--persistence.file=$DIR/pg.data"]
        try await withServer(pushgateway, name: "pushgateway", arguments: arguments, readyPath: "/-/ready") { server in
            try await check(server.baseURL, server: "Pushgateway 1.5.1")
        }
    }
}
