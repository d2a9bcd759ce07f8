import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// `GET /metrics`: content negotiation (text, OpenMetrics, protobuf), gzip, and outputs that
/// the parsers read back whole.
@Suite("HTTP API: scrape")
struct ScrapeAPITests {
    static let body = """
        # HELP requests Requests "served" \\\\ counted.
        # TYPE requests counter
        requests{path="/"} 3
        # HELP served_total Served.
        # TYPE served_total counter
        served_total 4
        # TYPE h histogram
        h_bucket{le="1"} 1
        h_bucket{le="+Inf"} 2
        h_sum 3
        h_count 2
        # TYPE s summary
        s{quantile="0.5"} 0.25
        s_sum 1
        s_count 4
        # TYPE g gauge
        g{v="a\\"b\\nc"} -Inf
        u 1

        """

    /// Pushes ``body`` to `job/a`.
    static func pushBody(_ api: GatewayAPI) async throws {
        let response = try await api.put("/metrics/job/a", body)
        #expect(response.status == 200, "\(response)")
    }

    @Test func textByDefault() async throws {
        try await withGateway { api async throws in
            try await Self.pushBody(api)
            let response = try await api.get("/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.header("Content-Encoding") == nil)
            #expect(response.header("Vary") == "Accept, Accept-Encoding")
            #expect(
                ScrapeText(response.text).masked == """
                    # TYPE g gauge
                    g{instance="",job="a",v="a\\"b\\nc"} -Inf
                    # TYPE h histogram
                    h_bucket{instance="",job="a",le="1"} 1
                    h_bucket{instance="",job="a",le="+Inf"} 2
                    h_sum{instance="",job="a"} 3
                    h_count{instance="",job="a"} 2
                    \(PushAPITests.times(PushAPITests.groupA).dropLast())
                    # HELP requests Requests "served" \\\\ counted.
                    # TYPE requests counter
                    requests{instance="",job="a",path="/"} 3
                    # TYPE s summary
                    s{instance="",job="a",quantile="0.5"} 0.25
                    s_sum{instance="",job="a"} 1
                    s_count{instance="",job="a"} 4
                    # HELP served_total Served.
                    # TYPE served_total counter
                    served_total{instance="",job="a"} 4
                    # TYPE u untyped
                    u{instance="",job="a"} 1

                    """)
            let families = try TextParser.parse(response.body)
            #expect(families.map(\.name) == families.map(\.name).sorted())
            #expect(families.contains { $0.name == "abacus_groups" })
        }
    }

    @Test(arguments: [
        "application/openmetrics-text",
        "application/openmetrics-text; version=1.0.0",
        // What Prometheus sends.
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
            + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        "text/plain;q=0.5, application/openmetrics-text;q=0.9",
    ])
    func openMetrics(accept: String) async throws {
        try await withGateway { api async throws in
            try await Self.pushBody(api)
            let response = try await api.get("/metrics", headers: [("Accept", accept)])
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
            #expect(response.text.hasSuffix("\n# EOF\n"))
            #expect(
                ScrapeText(response.text).masked == """
                    # TYPE g gauge
                    g{instance="",job="a",v="a\\"b\\nc"} -Inf
                    # TYPE h histogram
                    h_bucket{instance="",job="a",le="1"} 1
                    h_bucket{instance="",job="a",le="+Inf"} 2
                    h_sum{instance="",job="a"} 3
                    h_count{instance="",job="a"} 2
                    \(PushAPITests.times(PushAPITests.groupA).dropLast())
                    # HELP requests Requests \\"served\\" \\\\ counted.
                    # TYPE requests unknown
                    requests{instance="",job="a",path="/"} 3
                    # TYPE s summary
                    s{instance="",job="a",quantile="0.5"} 0.25
                    s_sum{instance="",job="a"} 1
                    s_count{instance="",job="a"} 4
                    # HELP served Served.
                    # TYPE served counter
                    served_total{instance="",job="a"} 4
                    # TYPE u unknown
                    u{instance="",job="a"} 1
                    # EOF

                    """)
            let families = try OpenMetricsParser.parse(response.body)
            // A counter pushed without `_total` keeps its sample name, as `unknown` (docs/gateway.md):
            // Prometheus stores the series under the name the Pushgateway gives it.
            let requests = try #require(families.first { $0.name == "requests" })
            #expect(requests.type == .untyped)
            #expect(requests.help == #"Requests "served" \ counted."#)
            #expect(requests.metrics.map(\.value) == [.untyped(3)])
            let served = try #require(families.first { $0.name == "served_total" })
            #expect(served.type == .counter)
            #expect(served.metrics.map(\.value) == [.counter(CounterValue(4))])
            #expect(families.contains { $0.name == "abacus_http_requests_total" && $0.type == .counter })
        }
    }

    @Test(arguments: [
        GatewayAPI.protobufType,
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
            + "text/plain;version=0.0.4;q=0.3",
    ])
    func protobuf(accept: String) async throws {
        try await withGateway { api async throws in
            try await Self.pushBody(api)
            let text = try await api.get("/metrics")
            let response = try await api.get("/metrics", headers: [("Accept", accept)])
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == ExpositionFormat.protobuf.contentType)
            let isPushed = { (family: MetricFamily) in !ScrapeText.isOwn(family.name[...]) }
            let decoded = try ProtobufDecoder.decode(response.body).filter(isPushed)
            let expected = try TextParser.parse(text.body).filter(isPushed)
            #expect(decoded.map(\.name) == expected.map(\.name))
            #expect(decoded == expected)
            #expect(try ProtobufDecoder.decode(response.body).contains { $0.name == "abacus_groups" })
        }
    }

    @Test(arguments: ["application/json", "image/png", "application/vnd.google.protobuf"])
    func anythingElseGetsText(accept: String) async throws {
        try await withGateway { api async throws in
            let response = try await api.get("/metrics", headers: [("Accept", accept)])
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    @Test(arguments: [nil, GatewayAPI.openMetricsType, GatewayAPI.protobufType])
    func gzip(accept: String?) async throws {
        try await withGateway { api async throws in
            try await Self.pushBody(api)
            let acceptHeader = accept.map { [("Accept", $0)] } ?? []
            let plain = try await api.get("/metrics", headers: acceptHeader)
            let response = try await api.get(
                "/metrics", headers: acceptHeader + [("Accept-Encoding", "deflate, gzip;q=0.8")])
            #expect(response.status == 200)
            #expect(response.header("Content-Encoding") == "gzip")
            #expect(response.header("Content-Type") == plain.header("Content-Type"))
            let gunzipped = try await Gzip.decompress(response.body)
            if accept == GatewayAPI.protobufType {
                let isPushed = { (family: MetricFamily) in !ScrapeText.isOwn(family.name[...]) }
                #expect(
                    try ProtobufDecoder.decode(gunzipped).filter(isPushed)
                        == ProtobufDecoder.decode(plain.body).filter(isPushed))
            } else {
                let text = String(decoding: gunzipped, as: UTF8.self)
                #expect(ScrapeText(text).pushed == ScrapeText(plain.text).pushed)
                #expect(ScrapeText(text).pushed.contains("requests"))
            }
        }
    }

    @Test(arguments: ["gzip;q=0", "identity", "br", "GZIP;q=0.000"])
    func noGzipUnlessAccepted(acceptEncoding: String) async throws {
        try await withGateway { api async throws in
            let response = try await api.get("/metrics", headers: [("Accept-Encoding", acceptEncoding)])
            #expect(response.header("Content-Encoding") == nil)
            #expect(response.text.contains("# TYPE abacus_groups gauge\n"))
        }
    }

    @Test func headAnswersWithoutABody() async throws {
        try await withGateway { api async throws in
            let response = try await api.request("HEAD", "/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    /// Names that text keeps apart but OpenMetrics folds together (a counter `x` is exposed as
    /// `x_total`) must still give an OpenMetrics exposition that parses.
    @Test func openMetricsOfManyGroupsParsesWhole() async throws {
        try await withGateway { api async throws in
            for index in 0..<5 {
                let response = try await api.put(
                    "/metrics/job/j\(index)/instance/i\(index % 2)",
                    Self.body.replacingOccurrences(of: "path=", with: "p\(index)="))
                #expect(response.status == 200, "\(response)")
            }
            let om = try await api.get("/metrics", headers: [("Accept", GatewayAPI.openMetricsType)])
            let families = try OpenMetricsParser.parse(om.body)
            #expect(families.first { $0.name == "requests" }?.metrics.count == 5)
            #expect(families.first { $0.name == "served_total" }?.metrics.count == 5)
            let text = try await api.get("/metrics")
            #expect(try TextParser.parse(text.body).first { $0.name == "requests" }?.metrics.count == 5)
            #expect(ScrapeText(text.text).groups.count == 5)
        }
    }

    /// A family of the gateway's own may be pushed with its type: the gateway's series first.
    @Test func pushedSeriesOfAGatewayFamilyFollowItsOwn() async throws {
        try await withGateway { api async throws in
            let response = try await api.put("/metrics/job/a", "# TYPE abacus_groups gauge\nabacus_groups{x=\"1\"} 5\n")
            #expect(response.status == 200)
            let text = try await api.get("/metrics")
            #expect(
                text.text.contains(
                    "# HELP abacus_groups Groups stored.\n# TYPE abacus_groups gauge\nabacus_groups 1\n"
                        + "abacus_groups{instance=\"\",job=\"a\",x=\"1\"} 5\n# "))
            #expect(try TextParser.parse(text.body).first { $0.name == "abacus_groups" }?.metrics.count == 2)
            let om = try await api.get("/metrics", headers: [("Accept", GatewayAPI.openMetricsType)])
            #expect(try OpenMetricsParser.parse(om.body).first { $0.name == "abacus_groups" }?.metrics.count == 2)
        }
    }

    /// Text keeps these names apart, OpenMetrics does not: a counter `x_total` is the family
    /// `x`, which the untyped `x` or the gauge `y` also is. Both pushes are taken, as the
    /// Pushgateway takes them (client_golang's Go collector exports gauge
    /// `go_memstats_alloc_bytes` beside counter `go_memstats_alloc_bytes_total`), and the
    /// OpenMetrics scrape writes such a counter as `unknown` under its full name: valid for our
    /// parser and for Python's, every series under the name it has in text.
    @Test(arguments: [
        ("# TYPE x counter\nx 1\n", "# TYPE x_total counter\nx_total 2\n", "x", "x_total"),
        ("x 1\n", "# TYPE x_total counter\nx_total 2\n", "x", "x_total"),
        ("# TYPE y gauge\ny 1\n", "# TYPE y_total counter\ny_total 2\n", "y", "y_total"),
        ("# TYPE y_total counter\ny_total 2\n", "# TYPE y gauge\ny 1\n", "y", "y_total"),
        // The gateway's own counter and a pushed gauge of its base name.
        (
            "# TYPE process_cpu_seconds gauge\nprocess_cpu_seconds 1\n", "", "process_cpu_seconds",
            "process_cpu_seconds_total"
        ),
    ])
    func openMetricsStaysValidWhenTextNamesFold(first: String, second: String, base: String, counter: String)
        async throws
    {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", first).status == 200)
            if !second.isEmpty { #expect(try await api.put("/metrics/job/b", second).status == 200) }
            let text = try TextParser.parse(try await api.get("/metrics").body)
            #expect(text.contains { $0.name == base } && text.contains { $0.name == counter })
            let om = try await api.get("/metrics", headers: [("Accept", GatewayAPI.openMetricsType)])
            let parsed = try OpenMetricsParser.parse(om.body)
            #expect(om.text.contains("# TYPE \(counter) unknown\n"), "\(om.text)")
            let samples = parsed.flatMap { family in family.metrics.map { _ in family.name } }
            #expect(samples.contains(base) && samples.contains(counter), "\(om.text)")
            guard let python = Peers.require(.pythonClient) else { return }
            let script = """
                import sys
                from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
                for family in parse(sys.stdin.read()):
                    for sample in family.samples:
                        print(sample.name, float(sample.value))
                """
            let checked = try await ProcessRunner.run(python, ["-c", script], stdin: om.body)
            #expect(checked.status == 0, "Python's OpenMetrics parser: \(checked.stderrText)\n\(om.text)")
            if !second.isEmpty {
                #expect(checked.stdoutText.contains("\(counter) 2.0\n"), "\(checked.stdoutText)")
            }
        }
    }

    /// Names that only look like OpenMetrics suffixes give a valid OpenMetrics scrape.
    /// `z_total` with a gauge `z_created` is what Python's client pushes for every counter.
    @Test(arguments: [
        ("# TYPE z_total counter\nz_total 1\n", "# TYPE z_created gauge\nz_created 2\n"),
        ("# TYPE z_created gauge\nz_created 2\n", "# TYPE z_total counter\nz_total 1\n"),
        ("# TYPE z counter\nz 1\n", "# TYPE z_created gauge\nz_created 2\n"),
        ("foo_total 1\n", "# TYPE bar_count gauge\nbar_count 2\n"),
        ("# TYPE c counter\nc 1\n", "# TYPE c_total gauge\nc_total 2\n"),
    ])
    func openMetricsWithSuffixLikeNames(first: String, second: String) async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", first).status == 200)
            if !second.isEmpty { #expect(try await api.put("/metrics/job/b", second).status == 200) }
            let om = try await api.get("/metrics", headers: [("Accept", GatewayAPI.openMetricsType)])
            #expect(throws: Never.self) { try OpenMetricsParser.parse(om.body) }
        }
    }

    @Test func theGatewaysOwnMetrics() async throws {
        try await withGateway { api async throws in
            try await Self.pushBody(api)
            #expect(try await api.put("/metrics/job/a", "x 1 1000\n").status == 400)
            #expect(try await api.put("/metrics/job/b", "x 1 1000\n").status == 400)
            #expect(
                try await api.post("/metrics/job/c", "# TYPE abacus_series counter\nabacus_series 1\n").status == 400)
            #expect(try await api.delete("/metrics/job/c").status == 202)
            #expect(try await api.get("/nowhere").status == 404)
            _ = try await api.scrape()
            let scrape = try await api.scrape()
            let expected: [(String, Double)] = [
                (#"abacus_http_requests_total{code="200",handler="push",method="PUT"}"#, 1),
                (#"abacus_http_requests_total{code="400",handler="push",method="PUT"}"#, 2),
                (#"abacus_http_requests_total{code="400",handler="push",method="POST"}"#, 1),
                (#"abacus_http_requests_total{code="202",handler="push",method="DELETE"}"#, 1),
                (#"abacus_http_requests_total{code="404",handler="other",method="GET"}"#, 1),
                (#"abacus_http_requests_total{code="200",handler="metrics",method="GET"}"#, 1),
                (#"abacus_pushes_total{method="PUT",outcome="accepted"}"#, 1),
                (#"abacus_pushes_total{method="PUT",outcome="rejected"}"#, 2),
                (#"abacus_pushes_total{method="POST",outcome="rejected"}"#, 1),
                (#"abacus_pushes_total{method="DELETE",outcome="accepted"}"#, 1),
                (#"abacus_push_rejections_total{reason="timestamp"}"#, 2),
                (#"abacus_push_rejections_total{reason="type_conflict"}"#, 1),
                // job/a (pushed) and job/b (created empty by its refused push); job/c deleted.
                ("abacus_groups", 2),
                // 1 + 1 + 4 (histogram) + 3 (summary) + 1 + 1 sample lines.
                ("abacus_series", 11),
                (#"abacus_build_info{version="0.1.0"}"#, 1),
                ("abacus_expired_groups_total", 0),
            ]
            for (series, value) in expected {
                #expect(scrape.value(series) == value, "\(series)")
            }
            for name in [
                "process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds",
                "process_open_fds", "process_max_fds", "process_virtual_memory_bytes",
            ] {
                #expect(scrape.value(name) != nil, "\(name)")
            }
            #expect((scrape.value("process_start_time_seconds") ?? 0) > 1_600_000_000)
            for line in [
                "# TYPE abacus_http_requests_total counter", "# TYPE abacus_pushes_total counter",
                "# TYPE abacus_push_rejections_total counter", "# TYPE abacus_groups gauge",
                "# TYPE abacus_series gauge", "# TYPE process_cpu_seconds_total counter",
            ] {
                #expect(scrape.own.contains(line + "\n"), "\(line)")
            }
        }
    }
}
