import AbacusTesting
import Foundation
import Testing

/// `POST|PUT /aggregate{/job/<JOB>{/<LABEL>/<VALUE>}}`: Prometheus text added to the aggregated
/// series (counters and histogram buckets add, gauges are replaced, summaries keep `_sum` and
/// `_count`), all or nothing, labels from the path added.
@Suite("Ops: aggregating push")
struct AggregatePushTests {
    static let jobs = """
        # HELP jobs_total Jobs run.
        # TYPE jobs_total counter
        jobs_total{queue="mail"} 3
        jobs_total{queue="sms"} 1

        """

    static let histogram = """
        # HELP req_seconds Request time.
        # TYPE req_seconds histogram
        req_seconds_bucket{le="0.1"} 1
        req_seconds_bucket{le="1"} 3
        req_seconds_bucket{le="+Inf"} 4
        req_seconds_sum 2.5
        req_seconds_count 4

        """

    @Test("counters add across pushes; PUT aggregates like POST; the path's labels are added; HELP is kept")
    func countersAdd() async throws {
        try await withOpsGateway { ops async throws in
            let first = try await ops.api.post("/aggregate/job/batch", Self.jobs)
            #expect(first.status == 200, "\(first)")
            #expect(first.body.isEmpty)
            let second = try await ops.api.put(
                "/aggregate/job/batch", "# TYPE jobs_total counter\njobs_total{queue=\"mail\"} 2\n")
            #expect(second.status == 200, "\(second)")
            let scrape = try await ops.scrape()
            #expect(
                scrape.pushed == """
                    # HELP jobs_total Jobs run.
                    # TYPE jobs_total counter
                    jobs_total{job="batch",queue="mail"} 5
                    jobs_total{job="batch",queue="sms"} 1

                    """)
            #expect(scrape.value("abacus_aggregated_series") == 2)
            #expect(scrape.value(#"abacus_pushes_total{method="aggregate",outcome="accepted"}"#) == 2)
            // No group is created: aggregated series have no push_time_seconds.
            #expect(scrape.groups == [])
        }
    }

    @Test("gauges and untyped samples are replaced, and exposed as gauges")
    func gaugesReplaced() async throws {
        try await withOpsGateway { ops async throws in
            #expect(
                try await ops.api.post("/aggregate/job/g", "# TYPE temp gauge\ntemp{room=\"a\"} 5\nlevel 3\n").status
                    == 200)
            #expect(
                try await ops.api.post("/aggregate/job/g", "# TYPE temp gauge\ntemp{room=\"a\"} 7\nlevel -4\n").status
                    == 200)
            #expect(
                try await ops.scrape().pushed == """
                    # TYPE level gauge
                    level{job="g"} -4
                    # TYPE temp gauge
                    temp{job="g",room="a"} 7

                    """)
        }
    }

    @Test("histogram buckets, sum and count add")
    func histogramsAdd() async throws {
        try await withOpsGateway { ops async throws in
            #expect(try await ops.api.post("/aggregate/job/h", Self.histogram).status == 200)
            #expect(try await ops.api.post("/aggregate/job/h", Self.histogram).status == 200)
            #expect(
                try await ops.scrape().pushed == """
                    # HELP req_seconds Request time.
                    # TYPE req_seconds histogram
                    req_seconds_bucket{job="h",le="0.1"} 2
                    req_seconds_bucket{job="h",le="1"} 6
                    req_seconds_bucket{job="h",le="+Inf"} 8
                    req_seconds_sum{job="h"} 5
                    req_seconds_count{job="h"} 8

                    """)
            // The same series fed by ops observations: into the pushed layout.
            let result = try await ops.postOps(
                #"{"name":"req_seconds","labels":{"job":"h"},"op":"obs","value":0.5,"bucket_custom":[7,8]}"#)
            #expect(result.status == 200, "\(result.answer)")
            let scrape = try await ops.scrape()
            #expect(scrape.value(#"req_seconds_bucket{job="h",le="0.1"}"#) == 2)
            #expect(scrape.value(#"req_seconds_bucket{job="h",le="1"}"#) == 7)
            #expect(scrape.value(#"req_seconds_count{job="h"}"#) == 9)
        }
    }

    @Test("a histogram with other bounds is refused (400, bucket_layout) and nothing in the push is applied")
    func otherBoundsAllOrNothing() async throws {
        try await withOpsGateway { ops async throws in
            #expect(try await ops.api.post("/aggregate/job/h", Self.jobs + Self.histogram).status == 200)
            let before = try await ops.scrape()
            // A counter that would add, a new gauge, then the histogram with other bounds.
            let body = """
                # TYPE jobs_total counter
                jobs_total{queue="mail"} 100
                # TYPE fresh_gauge gauge
                fresh_gauge 1
                # TYPE req_seconds histogram
                req_seconds_bucket{le="0.5"} 1
                req_seconds_bucket{le="+Inf"} 1
                req_seconds_sum 0.2
                req_seconds_count 1

                """
            let response = try await ops.api.post("/aggregate/job/h", body)
            #expect(response.status == 400, "\(response)")
            #expect(response.text.contains("req_seconds"), "\(response)")
            let after = try await ops.scrape()
            #expect(after.state == before.state)
            #expect(after.value(#"abacus_push_rejections_total{reason="bucket_layout"}"#) == 1)
            #expect(after.value(#"abacus_pushes_total{method="aggregate",outcome="rejected"}"#) == 1)
            #expect(after.value("fresh_gauge") == nil)
            #expect(after.value(#"jobs_total{job="h",queue="mail"}"#) == 3)
            // Fewer bounds, more bounds: refused too.
            let more = Self.histogram.replacingOccurrences(
                of: "req_seconds_bucket{le=\"1\"} 3\n",
                with: "req_seconds_bucket{le=\"1\"} 3\nreq_seconds_bucket{le=\"2\"} 3\n")
            #expect(try await ops.api.post("/aggregate/job/h", more).status == 400)
            #expect(try await ops.scrape().state == before.state)
        }
    }

    @Test("summaries keep only _sum and _count, which add; quantiles are dropped")
    func summaries() async throws {
        try await withOpsGateway { ops async throws in
            let body = """
                # HELP rpc_seconds RPC time.
                # TYPE rpc_seconds summary
                rpc_seconds{quantile="0.5"} 0.2
                rpc_seconds{quantile="0.9"} 0.8
                rpc_seconds_sum 10
                rpc_seconds_count 20

                """
            #expect(try await ops.api.post("/aggregate/job/s", body).status == 200)
            #expect(try await ops.api.post("/aggregate/job/s", body).status == 200)
            #expect(
                try await ops.scrape().pushed == """
                    # HELP rpc_seconds RPC time.
                    # TYPE rpc_seconds summary
                    rpc_seconds_sum{job="s"} 20
                    rpc_seconds_count{job="s"} 40

                    """)
        }
    }

    @Test("labels from the path replace body labels of the same name; no path, no labels added")
    func pathLabels() async throws {
        try await withOpsGateway { ops async throws in
            let body = "# TYPE x_total counter\nx_total{job=\"body\",k=\"v\",zone=\"us\"} 1\n"
            #expect(try await ops.api.post("/aggregate/job/path/zone/eu", body).status == 200)
            #expect(try await ops.api.post("/aggregate", "# TYPE plain_total counter\nplain_total 2\n").status == 200)
            #expect(
                try await ops.api.post(
                    "/aggregate/job/b64/zone@base64/ZXUtd2VzdA==", "# TYPE y_total counter\ny_total 1\n"
                ).status == 200)
            #expect(
                try await ops.scrape().pushed == """
                    # TYPE plain_total counter
                    plain_total 2
                    # TYPE x_total counter
                    x_total{job="path",k="v",zone="eu"} 1
                    # TYPE y_total counter
                    y_total{job="b64",zone="eu-west"} 1

                    """)
        }
    }

    @Test("aggregating pushes and ops messages feed the same series")
    func sharedWithOps() async throws {
        try await withOpsGateway { ops async throws in
            #expect(
                try await ops.api.post("/aggregate/job/j", "# TYPE work_total counter\nwork_total{kind=\"a\"} 5\n")
                    .status == 200)
            try await ops.send(
                #"{"name":"work_total","labels":{"kind":"a","job":"j"},"op":"inc","value":2}"#, via: .udp)
            let scrape = try await ops.wait(for: #"work_total{job="j",kind="a"}"#, toBe: 7)
            #expect(scrape.value(#"work_total{job="j",kind="a"}"#) == 7)
            #expect(
                try await ops.api.post("/aggregate/job/j", "# TYPE work_total counter\nwork_total{kind=\"a\"} 1\n")
                    .status == 200)
            #expect(try await ops.scrape().value(#"work_total{job="j",kind="a"}"#) == 8)
        }
    }

    @Test("refused aggregating pushes: conflicts, timestamps, methods; nothing applied")
    func refusals() async throws {
        try await withOpsGateway { ops async throws in
            #expect(
                try await ops.api.put("/metrics/job/p", "# TYPE pushed_gauge gauge\npushed_gauge 1\n").status == 200)
            #expect(
                try await ops.api.post("/aggregate/job/a", "# TYPE lab_total counter\nlab_total{a=\"1\"} 1\n").status
                    == 200)
            let before = try await ops.scrape()
            for (body, reason): (String, String?) in [
                ("# TYPE ok_total counter\nok_total 1\n# TYPE pushed_gauge counter\npushed_gauge 1\n", "type_conflict"),
                (
                    "# TYPE ok_total counter\nok_total 1\n# TYPE lab_total counter\nlab_total{b=\"1\"} 1\n",
                    "label_conflict"
                ),
                ("# TYPE ok_total counter\nok_total 1\nstamped 1 1700000000000\n", "timestamp"),
                ("# TYPE ok_total counter\nok_total 1\n# TYPE neg_total counter\nneg_total -1\n", nil),
            ] {
                let response = try await ops.api.post("/aggregate/job/a", body)
                #expect(response.status == 400, "\(body): \(response)")
                let after = try await ops.scrape()
                #expect(after.state == before.state, "\(body)")
                if let reason {
                    #expect(after.value(#"abacus_push_rejections_total{reason="\#(reason)"}"#) == 1, "\(reason)")
                }
            }
            #expect(try await ops.api.get("/aggregate/job/a").status == 405)
            #expect(try await ops.api.request("PATCH", "/aggregate/job/a").status == 405)
            #expect(try await ops.scrape().state == before.state)
        }
    }

    @Test("an OpenMetrics body: counters keep their _total samples, _created is dropped")
    func openMetricsBody() async throws {
        try await withOpsGateway { ops async throws in
            let body = """
                # TYPE jobs counter
                # HELP jobs Jobs run.
                jobs_total{queue="mail"} 3
                jobs_created{queue="mail"} 1700000000
                # EOF

                """
            let type = [("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")]
            #expect(try await ops.api.post("/aggregate/job/om", body, headers: type).status == 200)
            #expect(try await ops.api.post("/aggregate/job/om", body, headers: type).status == 200)
            #expect(
                try await ops.scrape().pushed == """
                    # HELP jobs_total Jobs run.
                    # TYPE jobs_total counter
                    jobs_total{job="om",queue="mail"} 6

                    """)
        }
    }
}
