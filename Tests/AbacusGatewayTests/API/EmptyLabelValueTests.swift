import AbacusExposition
import Foundation
import Testing

@testable import AbacusGateway

/// A label with an empty value is the same as no label, as in Prometheus: in grouping keys, in
/// pushed bodies (text and protobuf), on the aggregating endpoint, in JSON ops and in stored
/// state written before this rule. The Pushgateway keeps such labels (and makes
/// `job/x/a@base64/=` a group of its own), so two of its series can be one series to Prometheus.
@Suite("HTTP API: a label with an empty value is no label")
struct EmptyLabelValueTests {
    @Test func anEmptyGroupingLabelNamesTheSameGroupAsNoLabel() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a/b@base64/=", "m 1\n").status == 200)
            #expect(try await api.put("/metrics/job/a", "m 2\n").status == 200)
            var scrape = try await api.scrape()
            #expect(scrape.groups == [#"instance="",job="a""#])
            #expect(scrape.value(#"m{instance="",job="a"}"#) == 2)
            // POST and DELETE through either spelling reach it too.
            #expect(try await api.post("/metrics/job/a/b@base64/=/c@base64/=", "n 3\n").status == 200)
            scrape = try await api.scrape()
            #expect(scrape.value(#"m{instance="",job="a"}"#) == 2)
            #expect(scrape.value(#"n{instance="",job="a"}"#) == 3)
            let groups = try await api.get("/api/v1/metrics").text
            #expect(!groups.contains(#""b""#), "\(groups)")
            #expect(try await api.delete("/metrics/job/a/b@base64/=").status == 202)
            #expect(try await api.scrape().pushed == "")
        }
    }

    @Test func anEmptyGroupingLabelRemovesTheBodyLabel() async throws {
        try await withGateway { api async throws in
            // As a grouping label replaces a body label of the same name.
            let body = "m{b=\"from-body\",c=\"kept\"} 1\nm{b=\"other\",c=\"second\"} 2\n"
            #expect(try await api.put("/metrics/job/a/b@base64/=", body).status == 200)
            let scrape = try await api.scrape()
            #expect(scrape.value(#"m{c="kept",instance="",job="a"}"#) == 1)
            #expect(scrape.value(#"m{c="second",instance="",job="a"}"#) == 2)
            // The only way to say "no instance label", as with the Pushgateway: instance="".
            #expect(try await api.put("/metrics/job/i/instance@base64/=", "m{instance=\"h1\"} 4\n").status == 200)
            #expect(try await api.scrape().value(#"m{instance="",job="i"}"#) == 4)
        }
    }

    @Test func emptyLabelsInBodiesAreDropped() async throws {
        try await withGateway { api async throws in
            let text = "# TYPE t counter\nt{a=\"\",b=\"x\"} 1\nt{a=\"1\",b=\"\"} 2\n"
            #expect(try await api.put("/metrics/job/text", text).status == 200)
            let protobuf = ProtobufEncoder.encode([
                MetricFamily(
                    name: "p", type: .gauge,
                    metrics: [Metric(labels: [Label("z", ""), Label("y", "1")], value: .gauge(-2))])
            ])
            let pushed = try await api.request(
                "PUT", "/metrics/job/proto", headers: [("Content-Type", GatewayAPI.protobufType)], body: protobuf)
            #expect(pushed.status == 200, "\(pushed)")
            let scrape = try await api.scrape()
            #expect(scrape.value(#"t{b="x",instance="",job="text"}"#) == 1)
            #expect(scrape.value(#"t{a="1",instance="",job="text"}"#) == 2)
            #expect(scrape.value(#"p{instance="",job="proto",y="1"}"#) == -2)
            for line in scrape.pushed.split(separator: "\n") where !line.hasPrefix("#") {
                // instance="" is the one empty label the gateway writes (no instance at all).
                #expect(!line.replacingOccurrences(of: #"instance="""#, with: "").contains(#"="""#), "\(line)")
            }
        }
    }

    @Test func twoSeriesThatDifferOnlyByAnEmptyLabelAreOneSeries() async throws {
        try await withGateway { api async throws in
            for (path, body) in [
                ("/metrics/job/dup", "m{a=\"\"} 1\nm 2\n"),
                ("/metrics/job/dup", "m{a=\"\"} 1\nm{b=\"\"} 2\n"),
                ("/metrics/job/dup/a@base64/=", "m{a=\"1\"} 1\nm 2\n"),
            ] {
                let response = try await api.put(path, body)
                #expect(response.status == 400, "\(path) \(body)")
                #expect(
                    response.text
                        == "invalid metric family m: two series have the labels {instance=\"\",job=\"dup\"} once the "
                        + "grouping labels are applied (a label with an empty value is the same as no label)\n")
            }
            #expect(try await api.scrape().value(#"m{instance="",job="dup"}"#) == nil)
        }
    }

    @Test func anEmptyLeCannotClearAHistogramsBuckets() async throws {
        try await withGateway { api async throws in
            let histogram = "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"
            let response = try await api.put("/metrics/job/h/le@base64/=", histogram)
            #expect(response.status == 400)
            #expect(response.text == "the grouping label le cannot be applied to histogram h\n")
        }
    }

    @Test func aPartialDeleteWithAnEmptyLabelMatchesTheGroupsWithoutIt() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/p", "m 1\n").status == 200)
            #expect(try await api.put("/metrics/job/p/b/1", "m 2\n").status == 200)
            #expect(try await api.put("/metrics/job/p/c/1", "m 3\n").status == 200)
            #expect(try await api.delete("/metrics/job/p/b@base64/=?partial").status == 202)
            #expect(try await api.scrape().groups == [#"b="1",instance="",job="p""#])
        }
    }

    @Test func aggregatedSeriesDropEmptyLabels() async throws {
        try await withGateway { api async throws in
            let ops =
                #"{"name":"ops_total","labels":{"a":"","b":"x"},"op":"inc","value":1}"# + "\n"
                + #"{"name":"ops_total","labels":{"b":"x"},"op":"inc","value":2}"# + "\n"
            let sent = try await api.request(
                "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: Array(ops.utf8))
            #expect(sent.status == 200, "\(sent)")
            #expect(
                try await api.post(
                    "/aggregate/job/agg/c@base64/=", "# TYPE agg_total counter\nagg_total{c=\"z\",d=\"\"} 5\n"
                )
                .status == 200)
            var scrape = try await api.scrape()
            #expect(scrape.value(#"ops_total{b="x"}"#) == 3)
            #expect(scrape.value(#"agg_total{job="agg"}"#) == 5)
            // Deleting with an empty label matches the series without it.
            #expect(try await api.delete("/aggregate/job/agg/c@base64/=").status == 202)
            scrape = try await api.scrape()
            #expect(scrape.value(#"agg_total{job="agg"}"#) == nil)
            #expect(try await api.delete("/aggregate/job/agg/b@base64/=").status == 202)
            #expect(try await api.scrape().value(#"ops_total{b="x"}"#) == 3)
        }
    }

    /// A group stored before the rule, under `job/old/b@base64/=` with a series `x{a=""}`
    /// beside `x`, comes back as the group `job/old` and is stored again under that path;
    /// the newer of two stored groups that are now one is kept, in memory and on disk, whichever
    /// of the two rows is read first. A legacy label name starting with `U__`, which earlier
    /// versions stored as is, stays that name. Aggregated series stored with an empty label
    /// come back without it, under their new key, and their family still takes `""`.
    @Test func storedStateFromBeforeTheRuleComesBackUnderTheGroupsPath() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("abacus-empty-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gateway.sqlite").path
        func row(_ path: String, _ text: String, pushTime: Double) -> Journal.Row {
            Journal.Row(path: path, exposition: Array(text.utf8), pushTime: pushTime, failureTime: 0, deadlineMs: nil)
        }
        do {
            let storage = try SQLiteStorage(path: path)
            // Rows are read back in the order they were written: one pair each way round.
            var first = Journal.Batch()
            first.changes["job/old"] = row("job/old", "x{instance=\"\",job=\"old\"} 9\n", pushTime: 10)
            first.changes["job/older/c@base64/="] = row(
                "job/older/c@base64/=", "y{c=\"\",instance=\"\",job=\"older\"} 1\n", pushTime: 5)
            first.changes["job/u/U__shard/1"] = row(
                "job/u/U__shard/1", "z{U__shard=\"1\",instance=\"\",job=\"u\"} 3\n", pushTime: 1)
            first.series["q_total{job=\"j\",queue=\"\"}"] = Journal.SeriesRow(
                key: "q_total{job=\"j\",queue=\"\"}",
                exposition: Array("# TYPE q_total counter\nq_total{job=\"j\",queue=\"\"} 2\n".utf8), updatedMs: 1)
            first.series["q_total{job=\"j\",queue=\"a\"}"] = Journal.SeriesRow(
                key: "q_total{job=\"j\",queue=\"a\"}",
                exposition: Array("# TYPE q_total counter\nq_total{job=\"j\",queue=\"a\"} 5\n".utf8), updatedMs: 1)
            try await storage.write(first)
            var second = Journal.Batch()
            second.changes["job/old/b@base64/="] = row(
                "job/old/b@base64/=",
                "# TYPE x gauge\nx{a=\"\",b=\"\",instance=\"\",job=\"old\"} 1\nx{b=\"\",instance=\"\",job=\"old\"} 2\n",
                pushTime: 20)
            second.changes["job/older"] = row("job/older", "y{instance=\"\",job=\"older\"} 7\n", pushTime: 50)
            try await storage.write(second)
        }
        for restart in 1...2 {
            try await withGateway(Configure { $0.storagePath = path }) { api async throws in
                let scrape = try await api.scrape()
                #expect(
                    scrape.groups == [
                        #"U__shard="1",instance="",job="u""#, #"instance="",job="old""#, #"instance="",job="older""#,
                    ],
                    "restart \(restart)")
                #expect(scrape.value(#"x{instance="",job="old"}"#) == 1)
                #expect(scrape.value(#"y{instance="",job="older"}"#) == 7)
                #expect(scrape.pushTime(#"instance="",job="old""#) == 20)
                #expect(scrape.pushTime(#"instance="",job="older""#) == 50)
                #expect(scrape.value(#"z{U__shard="1",instance="",job="u"}"#) == 3)
                // Counted once each, restart after restart.
                #expect(scrape.value(#"q_total{job="j"}"#) == 2, "restart \(restart)")
                #expect(scrape.value(#"q_total{job="j",queue="a"}"#) == 5)
            }
        }
        let storage = try SQLiteStorage(path: path)
        let rows = try storage.rows()
        #expect(rows.map(\.path).sorted() == ["job/old", "job/older", "job/u/U__U____shard/1"])
        #expect(rows.first { $0.path == "job/old" }?.pushTime == 20)
        #expect(rows.first { $0.path == "job/older" }?.pushTime == 50)
        #expect(try storage.seriesRows().map(\.key).sorted() == [#"q_total{job="j",queue="a"}"#, #"q_total{job="j"}"#])
        // The family still has its label queue: a message with queue="" is its series without it.
        try await withGateway(Configure { $0.storagePath = path }) { api async throws in
            let ops = #"{"name":"q_total","labels":{"job":"j","queue":""},"op":"inc","value":1}"# + "\n"
            let sent = try await api.request(
                "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: Array(ops.utf8))
            #expect(sent.status == 200, "\(sent)")
            #expect(try await api.scrape().value(#"q_total{job="j"}"#) == 3)
        }
    }

    /// Extra labels fill in the labels a series does not have, and a label with an empty value
    /// is one it does not have; an extra label with an empty value adds nothing.
    @Test func extraLabelsFillInEmptyLabels() async throws {
        let extra = Configure { $0.extraLabels = [Label("env", "prod"), Label("zone", "")] }
        try await withGateway(extra) { api async throws in
            #expect(try await api.put("/metrics/job/a", "m{env=\"\",zone=\"\"} 1\nn{env=\"dev\"} 2\n").status == 200)
            let ops =
                #"{"name":"o_total","labels":{"env":""},"op":"inc","value":1}"# + "\n"
                + #"{"name":"p_total","labels":{"env":"dev"},"op":"inc","value":1}"# + "\n"
            let sent = try await api.request(
                "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: Array(ops.utf8))
            #expect(sent.status == 200, "\(sent)")
            let scrape = try await api.scrape()
            #expect(scrape.value(#"m{env="prod",instance="",job="a"}"#) == 1)
            #expect(scrape.value(#"n{env="dev",instance="",job="a"}"#) == 2)
            #expect(scrape.value(#"o_total{env="prod"}"#) == 1)
            #expect(scrape.value(#"p_total{env="dev"}"#) == 1)
        }
    }
}
