import Foundation
import Testing

@testable import AbacusGateway

/// `DELETE /aggregate{/job/<JOB>{/<LABEL>/<VALUE>}}[?name=]`: deletes aggregated series by
/// labels and name, and frees their names.
@Suite("HTTP API: deleting aggregated series")
struct AggregateDeleteTests {
    static let ops = """
        {"name":"jobs_total","labels":{"job":"a","queue":"mail"},"op":"inc","value":1}
        {"name":"jobs_total","labels":{"job":"a","queue":"sms"},"op":"inc","value":2}
        {"name":"jobs_total","labels":{"job":"b","queue":"mail"},"op":"inc","value":3}
        {"name":"depth","labels":{"job":"a","queue":"mail"},"op":"set","value":4}
        {"name":"odd","labels":{"job":"a,queue=\\"mail\\""},"op":"set","value":5}

        """

    @Test func deletesByLabelsThenByNameThenAll() async throws {
        try await withGateway { api async throws in
            #expect(try await api.post("/api/v1/ops", Self.ops).status == 200)
            #expect(try await api.scrape().value("abacus_aggregated_series") == 5)

            // job=a and queue=mail: two series (not the one whose value merely contains the text).
            #expect(try await api.delete("/aggregate/job/a/queue/mail").status == 202)
            var scrape = try await api.scrape()
            #expect(scrape.value(#"jobs_total{job="a",queue="mail"}"#) == nil)
            #expect(scrape.value(#"depth{job="a",queue="mail"}"#) == nil)
            #expect(scrape.value(#"jobs_total{job="a",queue="sms"}"#) == 2)
            #expect(scrape.value(#"jobs_total{job="b",queue="mail"}"#) == 3)
            #expect(scrape.value(#"odd{job="a,queue=\"mail\""}"#) == 5)
            // `depth` has no series left: the name is free for another type.
            #expect(try await api.put("/metrics/job/x", "# TYPE depth counter\ndepth 1\n").status == 200)

            // By name only.
            #expect(try await api.delete("/aggregate?name=jobs_total").status == 202)
            scrape = try await api.scrape()
            #expect(scrape.value(#"jobs_total{job="a",queue="sms"}"#) == nil)
            #expect(scrape.value(#"jobs_total{job="b",queue="mail"}"#) == nil)
            #expect(scrape.value("abacus_aggregated_series") == 1)

            // Everything; a series that comes back starts from zero.
            #expect(try await api.delete("/aggregate").status == 202)
            #expect(try await api.scrape().value("abacus_aggregated_series") == 0)
            #expect(try await api.post("/api/v1/ops", #"{"name":"jobs_total","op":"inc","value":7}"#).status == 200)
            #expect(try await api.scrape().value("jobs_total") == 7)
            // A bad label path is a 400.
            #expect(try await api.delete("/aggregate/job").status == 400)
        }
    }

    @Test(arguments: [
        (#"a="x",b="y""#, #"b="y""#, true),
        (#"a="x",b="y""#, #"a="x""#, true),
        (#"a="x,b=\"y\"""#, #"b="y""#, false),
        (#"a="x""#, #"a="x2""#, false),
        ("", #"a="x""#, false),
    ])
    func labelTextMatching(text: String, token: String, expected: Bool) {
        #expect(GroupStore.labelText(Array(text.utf8), contains: Array(token.utf8)) == expected)
    }
}
