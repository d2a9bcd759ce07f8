import AbacusExposition
import AbacusTesting
import Foundation
import Testing

@testable import AbacusGateway

/// `--push.enable-utf8-names`, as Pushgateway 1.11 has it: UTF-8 metric and label names in
/// pushed bodies (quoted in text, as Prometheus 3 and Python's client write them; as they are in
/// protobuf) and label names in the URL path in the `U__` escaping; served quoted to scrapers
/// that send `escaping=allow-utf-8` (Prometheus 3), with underscores to the others. Off by
/// default, as in the Pushgateway.
@Suite("HTTP API: UTF-8 metric and label names (--push.enable-utf8-names)")
struct UTF8NamesTests {
    static let utf8 = Configure { $0.utf8Names = true }
    static let allowUTF8 = [("Accept", "text/plain;version=0.0.4;escaping=allow-utf-8")]

    static let body = #"""
        # HELP "http.requests_total" Requests.
        # TYPE "http.requests_total" counter
        {"http.requests_total","route.name"="/a"} 3
        # TYPE "latency.seconds" histogram
        {"latency.seconds_bucket",le="1"} 1
        {"latency.seconds_bucket",le="+Inf"} 2
        {"latency.seconds_sum"} 3
        {"latency.seconds_count"} 2

        """#

    /// The pushed families as a scraper that reads UTF-8 names gets them.
    static let quoted = #"""
        # HELP "http.requests_total" Requests.
        # TYPE "http.requests_total" counter
        {"http.requests_total",instance="",job="utf8","route.name"="/a","zone.name"="eu"} 3
        # TYPE "latency.seconds" histogram
        {"latency.seconds_bucket",instance="",job="utf8","zone.name"="eu",le="1"} 1
        {"latency.seconds_bucket",instance="",job="utf8","zone.name"="eu",le="+Inf"} 2
        {"latency.seconds_sum",instance="",job="utf8","zone.name"="eu"} 3
        {"latency.seconds_count",instance="",job="utf8","zone.name"="eu"} 2

        """#

    /// The same for a scraper that does not (Prometheus 2): underscores.
    static let escaped = #"""
        # HELP http_requests_total Requests.
        # TYPE http_requests_total counter
        http_requests_total{instance="",job="utf8",route_name="/a",zone_name="eu"} 3
        # TYPE latency_seconds histogram
        latency_seconds_bucket{instance="",job="utf8",zone_name="eu",le="1"} 1
        latency_seconds_bucket{instance="",job="utf8",zone_name="eu",le="+Inf"} 2
        latency_seconds_sum{instance="",job="utf8",zone_name="eu"} 3
        latency_seconds_count{instance="",job="utf8",zone_name="eu"} 2

        """#

    /// The pushed families' lines (HELP, TYPE, samples) of a scrape: neither the gateway's
    /// own nor the push times.
    static func pushed(_ text: String) -> String {
        var out = ""
        for line in text.split(separator: "\n") where !line.contains("abacus_") {
            if line.contains("http") || line.contains("latency") { out += line + "\n" }
        }
        return out
    }

    @Test func offByDefaultUTF8NamesAreRefusedAndUEscapesAreLiteral() async throws {
        try await withGateway { api async throws in
            let response = try await api.put("/metrics/job/utf8", Self.body)
            #expect(response.status == 400)
            #expect(
                response.text.contains(
                    #""http.requests_total" is not a valid metric name (UTF-8 names are not enabled)"#),
                "\(response.text)")
            let protobuf = ProtobufEncoder.encode([
                MetricFamily(name: "a.b", type: .gauge, metrics: [Metric(labels: [], value: .gauge(1))])
            ])
            let refused = try await api.request(
                "PUT", "/metrics/job/utf8", headers: [("Content-Type", GatewayAPI.protobufType)], body: protobuf)
            #expect(refused.status == 400)
            #expect(refused.text.contains(#"invalid metric name "a.b" (UTF-8 names are not enabled)"#), "\(refused)")
            // U__foo_2e_bar is a valid legacy label name: taken as written, as the Pushgateway does.
            #expect(try await api.put("/metrics/job/literal/U__zone_2e_name/eu", "m 1\n").status == 200)
            #expect(try await api.scrape().value(#"m{U__zone_2e_name="eu",instance="",job="literal"}"#) == 1)
        }
    }

    @Test func pushedAndServedQuotedOrEscapedAsTheScraperReads() async throws {
        try await withGateway(Self.utf8) { api async throws in
            let pushed = try await api.put("/metrics/job/utf8/U__zone_2e_name/eu", Self.body)
            #expect(pushed.status == 200, "\(pushed)")

            let quoted = try await api.get("/metrics", headers: Self.allowUTF8)
            #expect(quoted.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8")
            #expect(Self.pushed(quoted.text) == Self.quoted)
            #expect(quoted.text.contains(#"push_time_seconds{instance="",job="utf8","zone.name"="eu"} "#))

            let plain = try await api.get("/metrics")
            #expect(plain.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(Self.pushed(plain.text) == Self.escaped)
            #expect(plain.text.contains(#"push_time_seconds{instance="",job="utf8",zone_name="eu"} "#))
            #expect(plain.text.contains("abacus_groups 1\n"))
            // What Prometheus 2 reads: no quoted name anywhere.
            #expect(try TextParser.parse(plain.body).count > 10)

            for (accept, names) in [
                (GatewayAPI.protobufType + ";escaping=allow-utf-8", ["http.requests_total", "latency.seconds"]),
                (GatewayAPI.protobufType, ["http_requests_total", "latency_seconds"]),
            ] {
                let response = try await api.get("/metrics", headers: [("Accept", accept)])
                let families = try ProtobufDecoder.decode(response.body, names: .utf8)
                for name in names { #expect(families.contains { $0.name == name }, "\(accept): \(name)") }
                let labels = families.first { $0.name == names[0] }?.metrics.first?.labels.map(\.name) ?? []
                #expect(labels.contains(names[0].contains(".") ? "route.name" : "route_name"), "\(labels)")
            }

            // OpenMetrics asked for without allow-utf-8 (Prometheus 2's default): text, escaped.
            let omPlain = try await api.get(
                "/metrics",
                headers: [("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")])
            #expect(omPlain.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(Self.pushed(omPlain.text) == Self.escaped)

            let om = try await api.get(
                "/metrics", headers: [("Accept", "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8")])
            #expect(om.text.contains(#"# TYPE "http.requests" counter"#), "\(om.text)")
            #expect(
                om.text.contains(
                    #"{"http.requests_total",instance="",job="utf8","route.name"="/a","zone.name"="eu"} 3"#))

            let groups = try await api.get("/api/v1/metrics").text
            #expect(groups.contains(#""labels":{"job":"utf8","zone.name":"eu"}"#), "\(groups)")
            #expect(groups.contains(#""http.requests_total":{"#))

            #expect(try await api.delete("/metrics/job/utf8/U__zone_2e_name/eu").status == 202)
            #expect(Self.pushed(try await api.get("/metrics", headers: Self.allowUTF8).text) == "")
        }
    }

    @Test func protobufAndAggregatingPushesTakeUTF8Names() async throws {
        try await withGateway(Self.utf8) { api async throws in
            let protobuf = ProtobufEncoder.encode([
                MetricFamily(
                    name: "queue.depth", type: .gauge,
                    metrics: [Metric(labels: [Label("queue.name", "mail")], value: .gauge(4))])
            ])
            let pushed = try await api.request(
                "PUT", "/metrics/job/proto", headers: [("Content-Type", GatewayAPI.protobufType)], body: protobuf)
            #expect(pushed.status == 200, "\(pushed)")
            let aggregated = try await api.post(
                "/aggregate/job/agg/U__shard_2e_id/1", "# TYPE \"jobs.done_total\" counter\n{\"jobs.done_total\"} 2\n")
            #expect(aggregated.status == 200, "\(aggregated)")
            let quoted = try await api.get("/metrics", headers: Self.allowUTF8).text
            #expect(quoted.contains(#"{"queue.depth",instance="",job="proto","queue.name"="mail"} 4"#), "\(quoted)")
            #expect(quoted.contains(#"{"jobs.done_total",job="agg","shard.id"="1"} 2"#), "\(quoted)")
            let plain = try await api.get("/metrics").text
            #expect(plain.contains(#"queue_depth{instance="",job="proto",queue_name="mail"} 4"#), "\(plain)")
            #expect(plain.contains(#"jobs_done_total{job="agg",shard_id="1"} 2"#), "\(plain)")
        }
    }

    /// Names that become one when escaped are one family for a scraper that does not read UTF-8.
    @Test func familiesEscapedToOneNameAreMerged() async throws {
        try await withGateway(Self.utf8) { api async throws in
            #expect(try await api.put("/metrics/job/a", "# TYPE \"x.y\" gauge\n{\"x.y\"} 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "# TYPE \"x-y\" gauge\n{\"x-y\"} 2\n").status == 200)
            let plain = try await api.get("/metrics")
            let families = try TextParser.parse(plain.body)
            #expect(families.filter { $0.name == "x_y" }.count == 1)
            #expect(families.first { $0.name == "x_y" }?.metrics.count == 2)
        }
    }

    /// Python's prometheus_client writes UTF-8 names quoted (`escaping='allow-utf-8'`) and reads
    /// them back from the gateway, in text and in OpenMetrics.
    @Test func pythonsClientWritesAndReadsThem() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        let script = """
            import sys, urllib.request
            from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
            from prometheus_client.parser import text_string_to_metric_families as text
            from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
            base = sys.argv[1]
            r = CollectorRegistry()
            Counter("jobs.processed", "Jobs.", ["queue.name"], registry=r).labels("mail").inc(3)
            Gauge("temperature.celsius", "Temperature.", registry=r).set(21.5)
            body = generate_latest(r, escaping="allow-utf-8")
            request = urllib.request.Request(base + "/metrics/job/py/U__host_2e_name/h1", data=body, method="PUT")
            urllib.request.urlopen(request).read()
            def samples(parse, accept):
                request = urllib.request.Request(base + "/metrics", headers={"Accept": accept})
                exposition = urllib.request.urlopen(request).read().decode()
                found = []
                for family in parse(exposition):
                    for s in family.samples:
                        if s.labels.get("job") == "py" and not s.name.endswith("_created") and not s.name.startswith("push_"):
                            found.append("%s %s %s" % (s.name, sorted(s.labels.items()), s.value))
                return sorted(found)
            print("\\n".join(samples(text, "text/plain;version=0.0.4;escaping=allow-utf-8")))
            print("--")
            print("\\n".join(samples(om, "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8")))
            print("--")
            print("\\n".join(samples(text, "text/plain;version=0.0.4")))
            """
        try await withGateway(Self.utf8) { api async throws in
            let run = try await ProcessRunner.run(python, ["-c", script, api.http.baseURL])
            #expect(run.status == 0, "\(run.stderrText)")
            let parts = run.stdoutText.components(separatedBy: "--\n")
            let utf8 = """
                jobs.processed_total [('host.name', 'h1'), ('instance', ''), ('job', 'py'), ('queue.name', 'mail')] 3
                temperature.celsius [('host.name', 'h1'), ('instance', ''), ('job', 'py')] 21.5

                """
            #expect(parts.count == 3)
            #expect(parts.first == utf8)
            #expect(parts.dropFirst().first == utf8)
            #expect(
                parts.last == """
                    jobs_processed_total [('host_name', 'h1'), ('instance', ''), ('job', 'py'), ('queue_name', 'mail')] 3
                    temperature_celsius [('host_name', 'h1'), ('instance', ''), ('job', 'py')] 21.5

                    """)
        }
    }

    /// Stored with the flag on, read back after a restart with it off: still served, escaped
    /// for scrapers that do not read UTF-8 names and quoted for those that do.
    @Test func storedUTF8NamesSurviveARestartWithoutTheFlag() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("abacus-utf8-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gateway.sqlite").path
        try await withGateway(
            Configure {
                $0.storagePath = path; $0.utf8Names = true
            }
        ) { api async throws in
            #expect(try await api.put("/metrics/job/utf8/U__zone_2e_name/eu", Self.body).status == 200)
        }
        try await withGateway(Configure { $0.storagePath = path }) { api async throws in
            #expect(Self.pushed(try await api.get("/metrics", headers: Self.allowUTF8).text) == Self.quoted)
            #expect(Self.pushed(try await api.get("/metrics").text) == Self.escaped)
        }
    }
}

/// Which text renderings hold a quoted name: only a `"` that opens a name counts, not one that
/// opens or closes a label value, whatever the value holds.
@Suite struct QuotedNameDetectionTests {
    @Test(arguments: [
        ("m{a=\"x,\"} 1\n", false),
        ("m{a=\"{\"} 1\n", false),
        ("m{a=\"x\\\",\\\"y\"} 1\n", false),
        ("m{a=\"\",b=\"\"} 1\n", false),
        ("# HELP m a,\"b\" {\"c\n# TYPE m gauge\nm 1\n", false),
        ("{\"a.b\"} 1\n", true),
        ("m{\"a.b\"=\"1\"} 1\n", true),
        ("m{a=\"1\", \"b.c\"=\"2\"} 1\n", true),
        ("# TYPE \"a.b\" gauge\n", true),
        ("# HELP \"a.b\" x\n", true),
    ])
    func detection(text: String, quoted: Bool) {
        #expect(ScrapeRenderer.hasQuotedNames(Array(text.utf8)) == quoted, "\(text)")
    }
}
