import AbacusGateway
import AbacusTesting
import Foundation
import Testing

/// The JSON API, the admin and lifecycle endpoints, health, methods and paths, and the
/// `--web.route-prefix` / `--web.telemetry-path` flags.
@Suite("HTTP API: JSON, admin, lifecycle, routing")
struct AdminAPITests {
    static func json(_ response: RawHTTP.Response) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(response.body))
        return try #require(object as? [String: Any])
    }

    @Test func apiV1MetricsHasThePushgatewaysShape() async throws {
        try await withGateway { api async throws in
            #expect(
                try await api.put("/metrics/job/a/zone/eu", "# HELP c Things.\n# TYPE c counter\nc{k=\"v\"} 3\n").status
                    == 200)
            #expect(try await api.put("/metrics/job/b", "g 1 1000\n").status == 400)
            let response = try await api.get("/api/v1/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            let root = try Self.json(response)
            #expect(root["status"] as? String == "success")
            let data = try #require(root["data"] as? [[String: Any]])
            #expect(data.count == 2)

            let a = try #require(data.first { ($0["labels"] as? [String: String])?["job"] == "a" })
            #expect(a["labels"] as? [String: String] == ["job": "a", "zone": "eu"])
            #expect(a["last_push_successful"] as? Bool == true)
            let c = try #require(a["c"] as? [String: Any])
            #expect(c["type"] as? String == "COUNTER")
            #expect(c["help"] as? String == "Things.")
            let stamp = try #require(c["time_stamp"] as? String)
            #expect(stamp.hasPrefix("20") && stamp.contains("T"), "\(stamp)")
            let metrics = try #require(c["metrics"] as? [[String: Any]])
            #expect(metrics.count == 1)
            #expect(
                metrics.first?["labels"] as? [String: String] == ["instance": "", "job": "a", "k": "v", "zone": "eu"])
            #expect(metrics.first?["value"] as? String == "3")
            let pushTime = try #require(a["push_time_seconds"] as? [String: Any])
            #expect(pushTime["type"] as? String == "GAUGE")
            let pushMetrics = try #require(pushTime["metrics"] as? [[String: Any]])
            #expect(pushMetrics.first?["labels"] as? [String: String] == ["instance": "", "job": "a", "zone": "eu"])
            #expect(Double(pushMetrics.first?["value"] as? String ?? "") ?? 0 > 1_600_000_000)
            #expect(a["push_failure_time_seconds"] is [String: Any])

            let b = try #require(data.first { ($0["labels"] as? [String: String])?["job"] == "b" })
            #expect(b["last_push_successful"] as? Bool == false)
            #expect(
                Set(b.keys) == ["labels", "last_push_successful", "push_time_seconds", "push_failure_time_seconds"])
        }
    }

    @Test func apiV1MetricsListsAggregatedSeriesMarkedAsSuch() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "g 1\n").status == 200)
            let ops =
                #"{"name":"jobs_total","help":"Jobs.","labels":{"queue":"mail"},"op":"inc","value":2}"# + "\n"
                + #"{"name":"latency_seconds","op":"obs","value":0.5,"bucket_custom":[1]}"# + "\n"
            let sent = try await api.request(
                "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: Array(ops.utf8))
            #expect(sent.status == 200, "\(sent)")
            let data = try #require(try Self.json(try await api.get("/api/v1/metrics"))["data"] as? [[String: Any]])
            #expect(data.count == 2)
            // Groups first, as before, without the mark.
            #expect(data.first?["aggregated"] == nil)
            let aggregated = try #require(data.last)
            #expect(aggregated["aggregated"] as? Bool == true)
            #expect(aggregated["labels"] as? [String: String] == [:])
            #expect(aggregated["last_push_successful"] as? Bool == true)
            #expect(
                Set(aggregated.keys) == [
                    "labels", "aggregated", "last_push_successful", "jobs_total", "latency_seconds",
                ])
            let jobs = try #require(aggregated["jobs_total"] as? [String: Any])
            #expect(jobs["type"] as? String == "COUNTER")
            #expect(jobs["help"] as? String == "Jobs.")
            #expect((jobs["time_stamp"] as? String)?.hasPrefix("20") == true)
            let series = try #require(jobs["metrics"] as? [[String: Any]])
            #expect(series.first?["labels"] as? [String: String] == ["queue": "mail"])
            #expect(series.first?["value"] as? String == "2")
            let latency = try #require(aggregated["latency_seconds"] as? [String: Any])
            #expect(latency["type"] as? String == "HISTOGRAM")
            let histogram = try #require((latency["metrics"] as? [[String: Any]])?.first)
            #expect(histogram["count"] as? String == "1")
            #expect(histogram["buckets"] as? [String: String] == ["1": "1", "+Inf": "1"])
            // As the Pushgateway (Go's omitempty): no help, no "help".
            #expect(latency["help"] == nil)
        }
    }

    @Test func apiV1Status() async throws {
        try await withGateway(Configure { $0.flags = ["web.enable-admin-api": "false", "push.default-ttl": "0"] }) {
            api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\nb 2\n").status == 200)
            let response = try await api.get("/api/v1/status")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            let root = try Self.json(response)
            #expect(root["status"] as? String == "success")
            let data = try #require(root["data"] as? [String: Any])
            #expect(data["flags"] as? [String: String] == ["web.enable-admin-api": "false", "push.default-ttl": "0"])
            #expect((data["start_time"] as? String)?.hasPrefix("20") == true)
            // The Pushgateway's fields, swiftVersion for its goVersion; a plain build is not stamped.
            #expect(
                data["build_information"] as? [String: String] == [
                    "version": "0.1.0", "revision": "", "branch": "", "buildUser": "", "buildDate": "",
                    "swiftVersion": BuildInformation.compilerVersion,
                ])
            #expect(BuildInformation.compilerVersion.hasPrefix("6."))
            let storage = try #require(data["storage"] as? [String: Any])
            #expect(storage["path"] as? String == ":memory:")
            #expect(storage["groups"] as? Int == 1)
            #expect(storage["series"] as? Int == 2)
        }
    }

    @Test func apiV1StatusShowsAStampedBuild() async throws {
        let stamped = BuildInformation(
            version: "1.2.3", revision: "0123abc", branch: "main", buildUser: "ci@builder",
            buildDate: "20261207-10:00:00",
            swiftVersion: "6.3")
        try await withGateway(Configure { $0.build = stamped }) { api async throws in
            let data = try #require(try Self.json(try await api.get("/api/v1/status"))["data"] as? [String: Any])
            #expect(
                data["build_information"] as? [String: String] == [
                    "version": "1.2.3", "revision": "0123abc", "branch": "main", "buildUser": "ci@builder",
                    "buildDate": "20261207-10:00:00", "swiftVersion": "6.3",
                ])
            #expect(try await api.scrape().value(#"abacus_build_info{version="1.2.3"}"#) == 1)
        }
    }

    @Test func wipeIsForbiddenWithoutTheAdminAPI() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\n").status == 200)
            let response = try await api.request("PUT", "/api/v1/admin/wipe")
            #expect(response.status == 403)
            #expect(response.text == "the admin API is disabled; start the gateway with --web.enable-admin-api\n")
            #expect(try await api.scrape().groups == [PushAPITests.groupA])
        }
    }

    @Test func wipeEmptiesTheStore() async throws {
        try await withGateway(Configure { $0.enableAdminAPI = true }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "# TYPE x counter\nx 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b/instance/i", "y 1\n").status == 200)
            let response = try await api.request("PUT", "/api/v1/admin/wipe")
            #expect(response.status == 202)
            let scrape = try await api.scrape()
            #expect(scrape.pushed == "")
            #expect(scrape.value("abacus_groups") == 0)
            #expect(scrape.value("abacus_series") == 0)
            // Names are free again after a wipe.
            #expect(try await api.put("/metrics/job/a", "# TYPE x gauge\nx 1\n").status == 200)
            let wrongMethod = try await api.request("POST", "/api/v1/admin/wipe")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "PUT")
        }
    }

    @Test func healthAndReadiness() async throws {
        try await withGateway { api async throws in
            for path in ["/-/healthy", "/-/ready"] {
                let response = try await api.get(path)
                #expect(response.status == 200, "\(path)")
                #expect(response.text == "OK\n", "\(path)")
                #expect(try await api.request("HEAD", path).status == 200, "\(path)")
            }
        }
    }

    @Test func quitIsForbiddenWithoutTheLifecycleAPI() async throws {
        try await withGateway { api async throws in
            for method in ["PUT", "POST"] {
                let response = try await api.request(method, "/-/quit")
                #expect(response.status == 403)
                #expect(
                    response.text == "the lifecycle API is disabled; start the gateway with --web.enable-lifecycle\n")
            }
            #expect(try await api.get("/-/healthy").status == 200)
        }
    }

    @Test func quitStopsTheGateway() async throws {
        try await withGateway(Configure { $0.enableLifecycle = true }) { api async throws in
            let response = try await api.request("POST", "/-/quit")
            #expect(response.status == 200)
            #expect(response.text == "shutting down\n")
            // The gateway's run() returns: waited for as an event, not a deadline.
            let server = api.server
            #expect(await within { await server.stopped() } != nil, "still running \(Patience.seconds) s after /-/quit")
            #expect((try? await api.get("/-/healthy")) == nil, "still answering after it stopped")
        }
    }

    @Test(arguments: [
        ("POST", "/metrics", "GET"),
        ("PUT", "/metrics", "GET"),
        ("GET", "/api/v1/batch", "PUT, POST"),
        ("DELETE", "/api/v1/metrics", "GET"),
        ("POST", "/api/v1/status", "GET"),
        ("GET", "/api/v1/admin/wipe", "PUT"),
        ("POST", "/-/healthy", "GET"),
        ("PUT", "/-/ready", "GET"),
        ("GET", "/-/quit", "PUT, POST"),
        ("GET", "/metrics/job/a", "PUT, POST, DELETE"),
    ])
    func wrongMethods(method: String, path: String, allowed: String) async throws {
        try await withGateway { api async throws in
            let response = try await api.request(method, path)
            #expect(response.status == 405)
            #expect(response.header("Allow") == allowed)
            #expect(response.text == "method not allowed; use \(allowed)\n")
        }
    }

    @Test(arguments: ["/", "/nothing", "/metricsx", "/api/v1", "/api/v1/metrics/x", "/-/", "/metrics2/job/a"])
    func unknownPaths(path: String) async throws {
        try await withGateway { api async throws in
            let response = try await api.get(path)
            #expect(response.status == 404)
            #expect(response.text == "not found\n")
        }
    }

    @Test func routePrefix() async throws {
        try await withGateway(Configure { $0.routePrefix = "/pg" }) { api async throws in
            #expect(try await api.put("/pg/metrics/job/a", "a 1\n").status == 200)
            #expect(try await api.post("/pg/api/v1/batch", "# GROUP job/b\nb 1\n").status == 200)
            let scrape = try await api.scrape("/pg/metrics")
            #expect(scrape.groups == [PushAPITests.groupA, #"instance="",job="b""#])
            for path in ["/pg/-/healthy", "/pg/-/ready", "/pg/api/v1/metrics", "/pg/api/v1/status"] {
                #expect(try await api.get(path).status == 200, "\(path)")
            }
            #expect(try await api.delete("/pg/metrics/job/b").status == 202)
            for (method, path) in [
                ("GET", "/metrics"), ("PUT", "/metrics/job/a"), ("DELETE", "/metrics/job/a"), ("GET", "/-/healthy"),
                ("GET", "/api/v1/metrics"), ("GET", "/"), ("GET", "/pg"), ("GET", "/pgx/metrics"),
            ] {
                let response = try await api.request(method, path, body: method == "PUT" ? Array("a 2\n".utf8) : nil)
                #expect(response.status == 404, "\(method) \(path)")
                #expect(response.text == "not found\n", "\(method) \(path)")
            }
            #expect(try await api.scrape("/pg/metrics").groups == [PushAPITests.groupA])
            #expect(try await api.scrape("/pg/metrics").value(#"a{instance="",job="a"}"#) == 1)
        }
    }

    @Test func telemetryPath() async throws {
        try await withGateway(Configure { $0.telemetryPath = "/internal/scrape" }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\n").status == 200)
            let scrape = try await api.scrape("/internal/scrape")
            #expect(scrape.value(#"a{instance="",job="a"}"#) == 1)
            #expect(try await api.get("/metrics").status == 404)
            let om = try await api.get("/internal/scrape", headers: [("Accept", GatewayAPI.openMetricsType)])
            #expect(om.text.hasSuffix("# EOF\n"))
            #expect(
                scrape.value(#"abacus_http_requests_total{code="200",handler="push",method="PUT"}"#) == 1)
        }
    }

    @Test func telemetryPathUnderARoutePrefix() async throws {
        try await withGateway(
            Configure {
                $0.routePrefix = "/pg"
                $0.telemetryPath = "/prom"
            }
        ) { api async throws in
            #expect(try await api.put("/pg/metrics/job/a", "a 1\n").status == 200)
            #expect(try await api.scrape("/pg/prom").value(#"a{instance="",job="a"}"#) == 1)
            #expect(try await api.get("/prom").status == 404)
            #expect(try await api.get("/pg/metrics").status == 404)
        }
    }
}
