import AbacusTesting
import Foundation
import Testing

extension DurabilityTests {
    /// A varied store survives SIGTERM and a start: `/metrics` (text and OpenMetrics) is
    /// byte-identical apart from the gateway's own families, push times included, and so is
    /// `/api/v1/metrics`.
    @Test(.timeLimit(.minutes(5)))
    func restartKeepsEverythingByteForByte() async throws {
        let clock = ContinuousClock.now
        let gateway = try GatewayProcess()
        defer { gateway.remove() }
        try await gateway.start()

        // Counter, gauge, histogram, summary and untyped; HELP and label values with escapes,
        // non-ASCII text, NaN and infinities.
        let varied = #"""
            # HELP restart_requests_total Requests, with a backslash \\ and a newline \n in the help.
            # TYPE restart_requests_total counter
            restart_requests_total{code="200",path="/a \"quoted\" \\ back\nslash"} 1027
            restart_requests_total{code="500",path="/b"} 3
            # HELP restart_temperature_celsius Temperature: ünïcödé ✓.
            # TYPE restart_temperature_celsius gauge
            restart_temperature_celsius{room="kitchen"} -12.5
            restart_temperature_celsius{room="nan"} NaN
            restart_temperature_celsius{room="hot"} +Inf
            restart_temperature_celsius{room="cold"} -Inf
            restart_temperature_celsius{room="tiny"} 1.5e-07
            # HELP restart_latency_seconds Latency.
            # TYPE restart_latency_seconds histogram
            restart_latency_seconds_bucket{le="0.1"} 3
            restart_latency_seconds_bucket{le="1"} 7
            restart_latency_seconds_bucket{le="+Inf"} 9
            restart_latency_seconds_sum 4.25
            restart_latency_seconds_count 9
            # TYPE restart_rpc_seconds summary
            restart_rpc_seconds{quantile="0.5"} 0.012
            restart_rpc_seconds{quantile="0.99"} 0.3
            restart_rpc_seconds_sum 17.5
            restart_rpc_seconds_count 1001
            restart_untyped_thing 42

            """#
        try await expectStatus(200, Client.push(gateway, "job/restart/instance/a", varied))

        // A grouping key with @base64 values (a job with a slash, a value with a space) and an
        // empty value; a family shared with group `a` (HELP comes from the first group).
        let base64Key =
            "job@base64/\(base64URL("nightly/backup"))/env@base64/=/path@base64/\(base64URL("/var/lib/x y"))"
        let shared = """
            # TYPE restart_temperature_celsius gauge
            restart_temperature_celsius{room="attic"} 3
            # HELP restart_backup_last_success_timestamp_seconds Last success.
            # TYPE restart_backup_last_success_timestamp_seconds gauge
            restart_backup_last_success_timestamp_seconds 1.7123456789e+09

            """
        try await expectStatus(200, Client.push(gateway, base64Key, shared))

        // A refused push sets the failure time of an existing group (parse error) …
        try await expectStatus(200, Client.push(gateway, "job/restart/instance/b", "restart_b_value 1\n"))
        try await Task.sleep(nanoseconds: 20_000_000)
        try await expectStatus(400, Client.push(gateway, "job/restart/instance/b", "this is { not text\n"))
        // … and creates an empty group with only a failure time (type conflict, refused by the store).
        try await expectStatus(
            400,
            Client.push(
                gateway, "job/restart/instance/c", "# TYPE restart_requests_total gauge\nrestart_requests_total 1\n"))

        // A POST that replaces one family and keeps the other.
        try await expectStatus(
            200,
            Client.push(
                gateway, "job/restart/instance/post",
                "# HELP restart_post_a A.\n# TYPE restart_post_a gauge\nrestart_post_a 1\n"
                    + "# HELP restart_post_b B.\n# TYPE restart_post_b gauge\nrestart_post_b 2\n"))
        try await expectStatus(
            200,
            Client.push(
                gateway, "job/restart/instance/post",
                "# HELP restart_post_a A, replaced.\n# TYPE restart_post_a counter\nrestart_post_a 10\n",
                method: "POST"))

        // A TTL of an hour; a group deleted again; a batch of two groups.
        try await expectStatus(
            200, Client.push(gateway, "job/restart/instance/ttl", "restart_ttl_value 7\n", query: "?ttl=1h"))
        try await expectStatus(200, Client.push(gateway, "job/restart/instance/deleted", "restart_deleted 1\n"))
        try await expectStatus(
            202, Client.request("DELETE", gateway.baseURL + "/metrics/job/restart/instance/deleted"))
        try await expectStatus(
            200,
            Client.request(
                "PUT", gateway.baseURL + "/api/v1/batch",
                body: Array(
                    "# GROUP job/restart/instance/batch1\nrestart_batch 1\n# GROUP job/restart/instance/batch2\nrestart_batch 2\n"
                        .utf8)))

        let openMetrics = ["Accept": "application/openmetrics-text; version=1.0.0"]
        let before = try await Client.metrics(gateway)
        let beforeOM = try await Client.request("GET", gateway.baseURL + "/metrics", headers: openMetrics).text
        let beforeAPI = try await Client.get(gateway, "/api/v1/metrics").text
        // What the pushes must have done, so the comparison is about something.
        #expect(before.contains(#"restart_post_a{instance="post",job="restart"} 10"#))
        #expect(before.contains(#"restart_post_b{instance="post",job="restart"} 2"#))
        #expect(!before.contains(#"instance="deleted""#))
        #expect(before.contains(#"{instance="",job="nightly/backup",path="/var/lib/x y"}"#))
        let failureOfB = Exposed.value(#"push_failure_time_seconds{instance="b",job="restart"}"#, in: before)
        let failureOfC = Exposed.value(#"push_failure_time_seconds{instance="c",job="restart"}"#, in: before)
        let pushOfC = Exposed.value(#"push_time_seconds{instance="c",job="restart"}"#, in: before)
        #expect((failureOfB ?? 0) > 0)
        #expect((failureOfC ?? 0) > 0)
        #expect(pushOfC == 0)
        let ownBefore = before.count - Exposed.droppingOwnFamilies(before).count
        #expect(ownBefore > 0, "the helper must drop the gateway's own families")

        let stopped = ContinuousClock.now
        #expect(await gateway.stop() == 0)
        try await gateway.start()
        print("restart: stop and start took \(seconds(since: stopped))")

        let after = try await Client.metrics(gateway)
        let afterOM = try await Client.request("GET", gateway.baseURL + "/metrics", headers: openMetrics).text
        let afterAPI = try await Client.get(gateway, "/api/v1/metrics").text
        #expect(Exposed.droppingOwnFamilies(after) == Exposed.droppingOwnFamilies(before))
        #expect(Exposed.droppingOwnFamilies(afterOM) == Exposed.droppingOwnFamilies(beforeOM))
        #expect(afterAPI == beforeAPI)
        #expect(await gateway.stop() == 0)
        print("restartKeepsEverythingByteForByte: \(seconds(since: clock))")
    }

    /// `--storage.path=:memory:` keeps nothing across a restart and writes no file.
    @Test(.timeLimit(.minutes(5)))
    func inMemoryStorageKeepsNothing() async throws {
        let clock = ContinuousClock.now
        let gateway = try GatewayProcess()
        defer { gateway.remove() }
        try await gateway.start(arguments: ["--storage.path=:memory:"])
        try await expectStatus(200, Client.push(gateway, "job/memory/instance/a", "memory_value 1\n"))
        #expect(try await Client.metrics(gateway).contains(#"memory_value{instance="a",job="memory"} 1"#))
        #expect(await gateway.stop() == 0)

        try await gateway.start(arguments: ["--storage.path=:memory:"])
        let after = try await Client.metrics(gateway)
        #expect(!after.contains("memory_value"))
        #expect(!after.contains("push_time_seconds"))
        #expect(try await Client.get(gateway, "/api/v1/metrics").text == #"{"status":"success","data":[]}"# + "\n")
        #expect(await gateway.stop() == 0)

        let files = try FileManager.default.contentsOfDirectory(atPath: gateway.directory.path)
        #expect(files == ["gateway.log"], "only the log is in the data directory")
        print("inMemoryStorageKeepsNothing: \(seconds(since: clock))")
    }
}

/// Expects the reply's status, showing the body otherwise.
func expectStatus(_ status: Int, _ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
}

/// URL-safe base64 with padding, as grouping keys take it (`=` alone for the empty value).
func base64URL(_ text: String) -> String {
    if text.isEmpty { return "=" }
    return Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
}
