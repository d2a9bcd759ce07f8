import AbacusExposition
import Foundation
import Testing

/// `PUT|POST /api/v1/batch` (several groups, all or nothing) and `DELETE …?partial`.
@Suite("HTTP API: batches and partial deletes")
struct BatchAndPartialDeleteTests {
    static let a = #"instance="",job="a""#
    static let bi = #"instance="i",job="b""#

    @Test func aBatchCreatesEveryGroup() async throws {
        try await withGateway { api async throws in
            let body = """
                # GROUP job/a
                # TYPE x counter
                x 1

                # GROUP job/b/instance/i
                # HELP y Why.
                y{k="v"} 2

                """
            let response = try await api.put("/api/v1/batch", body)
            #expect(response.status == 200, "\(response)")
            #expect(response.text == "")
            let scrape = try await api.scrape()
            #expect(
                scrape.masked == """
                    # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
                    # TYPE push_failure_time_seconds gauge
                    push_failure_time_seconds{instance="",job="a"} 0
                    push_failure_time_seconds{instance="i",job="b"} 0
                    # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
                    # TYPE push_time_seconds gauge
                    push_time_seconds{instance="",job="a"} T
                    push_time_seconds{instance="i",job="b"} T
                    # TYPE x counter
                    x{instance="",job="a"} 1
                    # HELP y Why.
                    # TYPE y untyped
                    y{instance="i",job="b",k="v"} 2

                    """)
            #expect(scrape.pushTime(Self.a) == scrape.pushTime(Self.bi))
        }
    }

    @Test func putAndPostBatchesReplaceAsPutAndPostDo() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "x 1\ny 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b/instance/i", "z 1\n").status == 200)
            #expect(
                try await api.post("/api/v1/batch", "# GROUP job/a\nx 2\n# GROUP job/b/instance/i\nw 2\n").status == 200
            )
            var scrape = try await api.scrape()
            #expect(scrape.value(#"x{instance="",job="a"}"#) == 2)
            #expect(scrape.value(#"y{instance="",job="a"}"#) == 1)
            #expect(scrape.value(#"z{instance="i",job="b"}"#) == 1)
            #expect(scrape.value(#"w{instance="i",job="b"}"#) == 2)
            #expect(try await api.put("/api/v1/batch", "# GROUP job/a\nx 3\n").status == 200)
            scrape = try await api.scrape()
            #expect(scrape.value(#"x{instance="",job="a"}"#) == 3)
            #expect(scrape.value(#"y{instance="",job="a"}"#) == nil)
            #expect(scrape.value(#"z{instance="i",job="b"}"#) == 1)
        }
    }

    /// A refused group refuses the batch: the groups before it are not stored either, and the
    /// message names the group.
    @Test(arguments: [
        ("x 1\n", "y 1 1000\n", "pushed metrics must not have timestamps (metric y has one)"),
        ("# TYPE x counter\nx 1\n", "# TYPE x gauge\nx 1\n", "metric x is pushed as gauge but is a counter"),
        ("x 1\n", "m{job=\"x\"} 1\nm{job=\"y\"} 2\n", "invalid metric family m: two series have the labels"),
        ("x 1\n", "y 1\ny{ 2\n", "could not parse the text body: line 5: "),
    ])
    func aBatchWithAnInvalidGroupChangesNothing(first: String, second: String, message: String) async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/c", "c 1\n").status == 200)
            let before = try await api.scrape()
            let response = try await api.put(
                "/api/v1/batch", "# GROUP job/a\n\(first)# GROUP job/b/instance/i\n\(second)")
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("group job/b/instance/i: "), "\(response)")
            #expect(response.text.contains(message), "\(response)")
            let after = try await api.scrape()
            #expect(after.pushTime(Self.a) == nil)
            #expect(after.value(#"x{instance="",job="a"}"#) == nil)
            let excluded: Set<String> = [
                "push_failure_time_seconds{\(Self.bi)}", "push_time_seconds{\(Self.bi)}",
            ]
            #expect(after.pushed(excluding: excluded) == before.pushed(excluding: excluded))
        }
    }

    @Test func aBatchOfOneRefusedGroupNamesIt() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/c", "# TYPE x counter\nx 1\n").status == 200)
            for (body, message) in [
                (
                    "# GROUP job/a\nx 1 1000\n",
                    "group job/a: pushed metrics must not have timestamps (metric x has one)"
                ),
                ("# GROUP job/a\n# TYPE x gauge\nx 1\n", "group job/a: metric x is pushed as gauge but is a counter"),
            ] {
                let response = try await api.put("/api/v1/batch", body)
                #expect(response.status == 400)
                #expect(response.text.hasPrefix(message), "\(response)")
            }
        }
    }

    @Test func aGroupTwiceInOneBatch() async throws {
        try await withGateway { api async throws in
            for (body, line, path) in [
                ("# GROUP job/a\nx 1\n# GROUP job/a\ny 1\n", 3, "job/a"),
                ("# GROUP job/a/i/1\nx 1\n\n# GROUP job@base64/YQ/i/1\ny 1\n", 4, "job/a/i/1"),
                ("# GROUP job/a\nx 1\n# GROUP job/a/i@base64/=\ny 1\n", 3, "job/a"),
            ] {
                let response = try await api.put("/api/v1/batch", body)
                #expect(response.status == 400)
                #expect(
                    response.text
                        == "line \(line): group \(path) appears twice in the batch (a label with an empty value is the "
                        + "same as no label)\n")
            }
            #expect(try await api.scrape().pushed == "")
        }
    }

    @Test(arguments: [
        ("x 1\n# GROUP job/a\ny 1\n", "line 1: a batch starts with a # GROUP <grouping key path> line"),
        ("", "the batch holds no # GROUP line"),
        ("\n\n", "the batch holds no # GROUP line"),
        (
            "# GROUP job/a/\nx 1\n",
            "line 1: invalid grouping key: the grouping key ends with /; write an empty label value as <LABEL>@base64/="
        ),
        (
            "# GROUP job/a\nx 1\n# GROUP instance/i\n",
            "line 3: invalid grouping key: the grouping key must start with job/<JOB NAME>, not instance"
        ),
    ])
    func malformedBatches(body: String, message: String) async throws {
        try await withGateway { api async throws in
            let response = try await api.put("/api/v1/batch", body)
            #expect(response.status == 400)
            #expect(response.text == message + "\n")
            #expect(try await api.scrape().pushed == "")
        }
    }

    @Test func aBatchIsText() async throws {
        try await withGateway { api async throws in
            let response = try await api.request(
                "PUT", "/api/v1/batch", headers: [("Content-Type", GatewayAPI.protobufType)],
                body: ProtobufEncoder.encode([
                    MetricFamily(name: "x", type: .gauge, metrics: [Metric(value: .gauge(1))])
                ]))
            #expect(response.status == 415)
            #expect(response.text == "a batch body is text 0.0.4 with # GROUP lines\n")
        }
    }

    @Test func aGzippedBatch() async throws {
        try await withGateway { api async throws in
            let body = try await Gzip.compress(Array("# GROUP job/a\nx 1\n# GROUP job/b/instance/i\ny 2\n".utf8))
            let response = try await api.request(
                "PUT", "/api/v1/batch", headers: [("Content-Encoding", "gzip")], body: body)
            #expect(response.status == 200, "\(response)")
            #expect(try await api.scrape().groups == [Self.a, Self.bi])
        }
    }

    static let partialGroups = [
        "/metrics/job/x", "/metrics/job/x/instance/i", "/metrics/job/x/instance/i/zone/z", "/metrics/job/x/instance/j",
        "/metrics/job/y", "/metrics/job/y/instance/i", "/metrics/job/xx",
    ]

    static func pushPartialGroups(_ api: GatewayAPI) async throws {
        for (index, path) in partialGroups.enumerated() {
            #expect(try await api.put(path, "m\(index) 1\n").status == 200, "\(path)")
        }
    }

    @Test(arguments: ["?partial=true", "?partial", "?partial=1"])
    func deleteEveryGroupOfAJob(query: String) async throws {
        try await withGateway { api async throws in
            try await Self.pushPartialGroups(api)
            #expect(try await api.delete("/metrics/job/x" + query).status == 202)
            #expect(
                try await api.scrape().groups == [
                    #"instance="",job="xx""#, #"instance="",job="y""#, #"instance="i",job="y""#,
                ])
        }
    }

    @Test func deleteByMoreLabels() async throws {
        try await withGateway { api async throws in
            try await Self.pushPartialGroups(api)
            #expect(try await api.delete("/metrics/job/x/instance/i?partial=true").status == 202)
            #expect(
                try await api.scrape().groups == [
                    #"instance="",job="x""#, #"instance="",job="xx""#, #"instance="",job="y""#,
                    #"instance="i",job="y""#, #"instance="j",job="x""#,
                ])
            // Nothing matches: still 202.
            #expect(try await api.delete("/metrics/job/x/zone/nowhere?partial=true").status == 202)
            #expect(try await api.scrape().groups.count == 5)
        }
    }

    @Test(arguments: ["", "?partial=false", "?partial=0"])
    func withoutPartialOnlyTheExactGroupGoes(query: String) async throws {
        try await withGateway { api async throws in
            try await Self.pushPartialGroups(api)
            #expect(try await api.delete("/metrics/job/x/instance/i" + query).status == 202)
            let groups = try await api.scrape().groups
            #expect(groups.count == 6)
            #expect(!groups.contains(#"instance="i",job="x""#))
            #expect(groups.contains(#"instance="i",job="x",zone="z""#))
        }
    }
}
