import AbacusExposition
import Foundation
import Testing

/// Pushes the gateway refuses: each with its status and message, counted by reason, and
/// changing nothing but the refused group's `push_failure_time_seconds`.
@Suite("HTTP API: refused pushes")
struct RejectionTests {
    /// Sends the push, expects `status` and `message`, and checks that the scrape is the same as
    /// before except for the failure time of group `labels` (and its creation with
    /// `push_time_seconds` 0 when it did not exist).
    static func expectRefused(
        _ api: GatewayAPI, _ path: String, _ body: String, method: String = "PUT", status: Int = 400,
        message: String, reason: String, group labels: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try await api.scrape()
        let response = try await api.push(method, path, body)
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.text == message + "\n", sourceLocation: sourceLocation)
        let after = try await api.scrape()
        var excluded: Set<String> = ["push_failure_time_seconds{\(labels)}"]
        if before.pushTime(labels) == nil { excluded.insert("push_time_seconds{\(labels)}") }
        #expect(after.pushed(excluding: excluded) == before.pushed(excluding: excluded), sourceLocation: sourceLocation)
        #expect(after.pushTime(labels) == before.pushTime(labels) ?? 0, sourceLocation: sourceLocation)
        #expect((after.failureTime(labels) ?? 0) > 0, sourceLocation: sourceLocation)
        let rejections = "abacus_push_rejections_total{reason=\"\(reason)\"}"
        #expect(after.value(rejections) == (before.value(rejections) ?? 0) + 1, sourceLocation: sourceLocation)
    }

    static let a = #"instance="",job="a""#
    static let b = #"instance="",job="b""#

    @Test func aTimestamp() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "x 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/a", "x 1\ny{k=\"v\"} 2 1700000000000\n",
                message: "pushed metrics must not have timestamps (metric y has one); the gateway records the push "
                    + "time in push_time_seconds", reason: "timestamp", group: Self.a)
            try await Self.expectRefused(
                api, "/metrics/job/a", "x 1 -5\n", method: "POST",
                message: "pushed metrics must not have timestamps (metric x has one); the gateway records the push "
                    + "time in push_time_seconds", reason: "timestamp", group: Self.a)
        }
    }

    @Test func aTypeConflictAcrossGroups() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "# TYPE x counter\nx 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/b", "# TYPE x gauge\nx 2\n",
                message: "metric x is pushed as gauge but is a counter stored by other groups; a name has one type "
                    + "in the gateway", reason: "type_conflict", group: Self.b)
            // Untyped is a type of its own, as in the Pushgateway.
            try await Self.expectRefused(
                api, "/metrics/job/b", "x 2\n", method: "POST",
                message: "metric x is pushed as untyped but is a counter stored by other groups; a name has one "
                    + "type in the gateway", reason: "type_conflict", group: Self.b)
            // The same type is fine.
            #expect(try await api.put("/metrics/job/b", "# TYPE x counter\nx 2\n").status == 200)
        }
    }

    @Test func aTypeConflictWithTheGatewaysOwnMetrics() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "y 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/a", "# TYPE abacus_groups counter\nabacus_groups 1\n",
                message: "metric abacus_groups is pushed as counter but is a gauge, the gateway's own metric; a "
                    + "name has one type in the gateway", reason: "type_conflict", group: Self.a)
            try await Self.expectRefused(
                api, "/metrics/job/a", "# TYPE process_cpu_seconds_total gauge\nprocess_cpu_seconds_total 1\n",
                message: "metric process_cpu_seconds_total is pushed as gauge but is a counter, the gateway's own "
                    + "metric; a name has one type in the gateway", reason: "type_conflict", group: Self.a)
        }
    }

    /// A pushed `push_time_seconds` or `push_failure_time_seconds` (of any type) is dropped and
    /// the gateway writes its own, as the Pushgateway's README promises; the rest of the push is
    /// stored.
    @Test(arguments: ["push_time_seconds", "push_failure_time_seconds"], ["gauge", "counter", "untyped"])
    func theGatewaysTimeFamiliesAreReplacedByItsOwn(name: String, type: String) async throws {
        try await withGateway { api async throws in
            for method in ["PUT", "POST"] {
                let response = try await api.push(method, "/metrics/job/a", "# TYPE \(name) \(type)\n\(name) 7\ny 1\n")
                #expect(response.status == 200, "\(method): \(response)")
                let scrape = try await api.scrape()
                #expect(scrape.value(#"y{instance="",job="a"}"#) == 1)
                #expect((scrape.pushTime(Self.a) ?? 0) > 1_000_000_000, "the gateway's own push time")
                #expect(scrape.failureTime(Self.a) == 0)
                #expect(scrape.samples(of: name).count == 1)
            }
        }
    }

    @Test func aHistogramThenItsBucketName() async throws {
        try await withGateway { api async throws in
            let histogram = "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n"
            #expect(try await api.put("/metrics/job/a", histogram).status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/b", "# TYPE h_bucket gauge\nh_bucket 1\n",
                message: "metric h_bucket collides with the series of histogram h", reason: "name_conflict",
                group: Self.b)
            try await Self.expectRefused(
                api, "/metrics/job/b", "h_count 1\n", message: "metric h_count collides with the series of histogram h",
                reason: "name_conflict", group: Self.b)
        }
    }

    @Test func aBucketNameThenTheHistogram() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "# TYPE h_bucket gauge\nh_bucket 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/b", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n",
                message: "histogram h would write series named h_bucket, which is already a gauge in the gateway",
                reason: "name_conflict", group: Self.b)
        }
    }

    @Test func aSummaryThenItsSumName() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "# TYPE s summary\ns_sum 2\ns_count 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/b", "# TYPE s_sum counter\ns_sum 1\n",
                message: "metric s_sum collides with the series of summary s", reason: "name_conflict", group: Self.b)
        }
    }

    /// A body label makes group `job/a`'s series the same as group `job/a/x/1`'s.
    @Test func aSeriesAlreadyPushedToAnotherGroup() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a/x/1", "m 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/a", "m{x=\"1\"} 2\nn 1\n",
                message:
                    #"series m{instance="",job="a",x="1"} is already pushed to group {instance="",job="a",x="1"}; "#
                    + "a series can belong to one group only", reason: "duplicate_series", group: Self.a)
            // Another label value is another series.
            #expect(try await api.put("/metrics/job/a", "m{x=\"2\"} 2\n").status == 200)
        }
    }

    @Test func aNonCumulativeHistogram() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "y 1\n").status == 200)
            let before = try await api.scrape()
            let response = try await api.put(
                "/metrics/job/a",
                "# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n")
            #expect(response.status == 400)
            #expect(
                response.text.hasPrefix("could not parse the text body: line ")
                    && response.text.contains("histogram h bucket counts must be cumulative"), "\(response)")
            let excluded: Set<String> = ["push_failure_time_seconds{\(Self.a)}"]
            #expect(try await api.scrape().pushed(excluding: excluded) == before.pushed(excluding: excluded))
        }
    }

    /// Histograms and summaries must be valid (the Pushgateway does not check this).
    @Test(arguments: [
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
            "histogram h _count is 3 but its +Inf bucket counts 2"
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 1\n",
            "histogram h bucket counts must be cumulative: le=\"+Inf\" has 1, less than the 2 of le=\"1\""
        ),
        ("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\n", "histogram h has no +Inf bucket"),
        ("# TYPE s summary\ns{quantile=\"1.5\"} 1\ns_sum 1\ns_count 1\n", "summary s has quantile 1.5, outside [0, 1]"),
        ("a 1\na 2\n", "duplicate series a"),
    ])
    func invalidFamilies(body: String, problem: String) async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "y 1\n").status == 200)
            let before = try await api.scrape()
            let response = try await api.put("/metrics/job/a", body)
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("could not parse the text body: line "), "\(response)")
            #expect(response.text.hasSuffix(": \(problem)\n"), "\(response)")
            let excluded: Set<String> = ["push_failure_time_seconds{\(Self.a)}"]
            #expect(try await api.scrape().pushed(excluding: excluded) == before.pushed(excluding: excluded))
        }
    }

    /// Grouping labels replace body labels: two body series can become one.
    @Test func seriesMadeEqualByTheGroupingLabels() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "y 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/a", "m{job=\"x\"} 1\nm{job=\"y\"} 2\n",
                message: #"invalid metric family m: two series have the labels {instance="",job="a"} once the "#
                    + "grouping labels are applied (a label with an empty value is the same as no label)",
                reason: "invalid", group: Self.a)
        }
    }

    @Test func anUnparseableBodyNamesTheLine() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "y 1\n").status == 200)
            let before = try await api.scrape()
            let response = try await api.put("/metrics/job/a", "y 2\nz{ 2\n")
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("could not parse the text body: line 2: "), "\(response)")
            let after = try await api.scrape()
            let excluded: Set<String> = ["push_failure_time_seconds{\(Self.a)}"]
            #expect(after.pushed(excluding: excluded) == before.pushed(excluding: excluded))
            #expect((after.failureTime(Self.a) ?? 0) > 0)
            #expect(after.value(#"abacus_push_rejections_total{reason="parse"}"#) == 1)
        }
    }

    @Test func twoFamiliesOfTheSameNameInOnePush() async throws {
        try await withGateway { api async throws in
            let response = try await api.request(
                "PUT", "/metrics/job/a", headers: [("Content-Type", GatewayAPI.protobufType)],
                body: ProtobufEncoder.encode([
                    MetricFamily(
                        name: "x", type: .gauge, metrics: [Metric(labels: [Label("k", "1")], value: .gauge(1))]),
                    MetricFamily(
                        name: "x", type: .gauge, metrics: [Metric(labels: [Label("k", "2")], value: .gauge(2))]),
                ]))
            #expect(response.status == 400)
            #expect(
                response.text == "metric family x appears twice in the push\n"
                    || response.text.hasPrefix("could not parse the protobuf body: "), "\(response)")
        }
    }

    /// A PUT may change the type of a family no other group holds: nothing else depends on it.
    @Test func aPutChangingTheTypeOfAFamilyOnlyThisGroupHolds() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "# TYPE x counter\nx 1\n").status == 200)
            #expect(try await api.put("/metrics/job/a", "# TYPE x gauge\nx 2\n").status == 200)
            #expect(try await api.post("/metrics/job/a", "# TYPE x summary\nx_sum 2\nx_count 1\n").status == 200)
            #expect(
                try await api.scrape().masked == """
                    \(PushAPITests.times(Self.a))# TYPE x summary
                    x_sum{instance="",job="a"} 2
                    x_count{instance="",job="a"} 1

                    """)
            // Held by a second group, the type is fixed again.
            #expect(try await api.put("/metrics/job/b", "# TYPE x summary\nx_sum 1\nx_count 1\n").status == 200)
            try await Self.expectRefused(
                api, "/metrics/job/a", "# TYPE x gauge\nx 3\n",
                message: "metric x is pushed as gauge but is a summary stored by other groups; a name has one type "
                    + "in the gateway", reason: "type_conflict", group: Self.a)
        }
    }

    @Test func theConsistencyCheckCanBeDisabled() async throws {
        try await withGateway(Configure { $0.disableConsistencyCheck = true }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "# TYPE x counter\nx 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "# TYPE x gauge\nx 2\n").status == 200)
            // The per-push rules stay.
            #expect(try await api.put("/metrics/job/b", "x 2 1000\n").status == 400)
            // A pushed push time is still the gateway's to write: dropped, the gateway's own stands.
            #expect(try await api.put("/metrics/job/b", "push_time_seconds 2\n").status == 200)
            #expect((try await api.scrape().pushTime(#"instance="",job="b""#) ?? 0) > 2)
        }
    }
}
