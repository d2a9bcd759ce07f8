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
    /// the newer of two stored groups that are now one is kept.
    @Test func storedStateFromBeforeTheRuleComesBackUnderTheGroupsPath() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("abacus-empty-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gateway.sqlite").path
        do {
            let storage = try SQLiteStorage(path: path)
            var batch = Journal.Batch()
            func row(_ path: String, _ text: String, pushTime: Double) -> Journal.Row {
                Journal.Row(
                    path: path, exposition: Array(text.utf8), pushTime: pushTime, failureTime: 0, deadlineMs: nil)
            }
            batch.changes["job/old/b@base64/="] = row(
                "job/old/b@base64/=",
                "# TYPE x gauge\nx{a=\"\",b=\"\",instance=\"\",job=\"old\"} 1\nx{b=\"\",instance=\"\",job=\"old\"} 2\n",
                pushTime: 20)
            batch.changes["job/old"] = row("job/old", "x{instance=\"\",job=\"old\"} 9\n", pushTime: 10)
            batch.changes["job/older/c@base64/="] = row(
                "job/older/c@base64/=", "y{c=\"\",instance=\"\",job=\"older\"} 1\n", pushTime: 5)
            batch.changes["job/older"] = row("job/older", "y{instance=\"\",job=\"older\"} 7\n", pushTime: 50)
            try await storage.write(batch)
        }
        try await withGateway(Configure { $0.storagePath = path }) { api async throws in
            let scrape = try await api.scrape()
            #expect(scrape.groups == [#"instance="",job="old""#, #"instance="",job="older""#])
            #expect(scrape.value(#"x{instance="",job="old"}"#) == 1)
            #expect(scrape.value(#"y{instance="",job="older"}"#) == 7)
            #expect(scrape.pushTime(#"instance="",job="old""#) == 20)
        }
        let rows = try SQLiteStorage(path: path).rows()
        #expect(rows.map(\.path).sorted() == ["job/old", "job/older"])
        #expect(rows.first { $0.path == "job/old" }?.pushTime == 20)
    }
}
