import Foundation
import Testing

/// PUT, POST and DELETE on `/metrics/job/<JOB>{/<LABEL>/<VALUE>}`: what each does to the
/// group, and what `/metrics` serves after it, byte for byte (the gateway's own families aside).
@Suite("HTTP API: push, add, delete")
struct PushAPITests {
    static let groupA = #"instance="",job="a""#

    /// The time families of one group, masked.
    static func times(_ labels: String, pushed: Bool = true, failed: Bool = false) -> String {
        """
        # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
        # TYPE push_failure_time_seconds gauge
        push_failure_time_seconds{\(labels)} \(failed ? "T" : "0")
        # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
        # TYPE push_time_seconds gauge
        push_time_seconds{\(labels)} \(pushed ? "T" : "0")

        """
    }

    @Test func putStoresTheGroupWithGroupingLabelsInstanceAndSortedFamilies() async throws {
        try await withGateway { api async throws in
            let body = """
                # HELP zeta Last family.
                # TYPE zeta gauge
                zeta{x="1",job="body",instance="body"} 2
                alpha{b="2",a="1"} 1

                """
            let response = try await api.put("/metrics/job/a", body)
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            let scrape = try await api.scrape()
            #expect(
                scrape.masked == """
                    # TYPE alpha untyped
                    alpha{a="1",b="2",instance="",job="a"} 1
                    \(Self.times(Self.groupA).dropLast())
                    # HELP zeta Last family.
                    # TYPE zeta gauge
                    zeta{instance="body",job="a",x="1"} 2

                    """)
            #expect((scrape.pushTime(Self.groupA) ?? 0) > 0)
            #expect(scrape.failureTime(Self.groupA) == 0)
        }
    }

    @Test func groupingLabelsReplaceBodyLabelsOfTheSameName() async throws {
        try await withGateway { api async throws in
            #expect(
                try await api.put("/metrics/job/a/instance/i1/zone/eu", #"m{zone="us",job="x",k="v"} 1"# + "\n").status
                    == 200)
            let scrape = try await api.scrape()
            #expect(
                scrape.masked == """
                    # TYPE m untyped
                    m{instance="i1",job="a",k="v",zone="eu"} 1
                    \(Self.times(#"instance="i1",job="a",zone="eu""#))
                    """)
        }
    }

    @Test func putReplacesTheWholeGroup() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\nb 2\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "c 3\n").status == 200)
            #expect(try await api.put("/metrics/job/a", "b 20\n").status == 200)
            let scrape = try await api.scrape()
            #expect(
                scrape.masked == """
                    # TYPE b untyped
                    b{instance="",job="a"} 20
                    # TYPE c untyped
                    c{instance="",job="b"} 3
                    # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
                    # TYPE push_failure_time_seconds gauge
                    push_failure_time_seconds{instance="",job="a"} 0
                    push_failure_time_seconds{instance="",job="b"} 0
                    # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
                    # TYPE push_time_seconds gauge
                    push_time_seconds{instance="",job="a"} T
                    push_time_seconds{instance="",job="b"} T

                    """)
        }
    }

    @Test func postReplacesOnlyTheFamiliesOfTheSameName() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\nb{k=\"1\"} 2\nb{k=\"2\"} 3\nc 4\n").status == 200)
            #expect(try await api.post("/metrics/job/a", "b{k=\"3\"} 30\nd 5\n").status == 200)
            let scrape = try await api.scrape()
            #expect(
                scrape.masked == """
                    # TYPE a untyped
                    a{instance="",job="a"} 1
                    # TYPE b untyped
                    b{instance="",job="a",k="3"} 30
                    # TYPE c untyped
                    c{instance="",job="a"} 4
                    # TYPE d untyped
                    d{instance="",job="a"} 5
                    \(Self.times(Self.groupA))
                    """)
        }
    }

    @Test func postCreatesAGroupThatDoesNotExist() async throws {
        try await withGateway { api async throws in
            #expect(try await api.post("/metrics/job/a", "a 1\n").status == 200)
            let scrape = try await api.scrape()
            #expect(scrape.masked == "# TYPE a untyped\na{instance=\"\",job=\"a\"} 1\n" + Self.times(Self.groupA))
        }
    }

    @Test func deleteRemovesTheGroupOnly() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\n").status == 200)
            #expect(try await api.put("/metrics/job/a/instance/i", "a 2\n").status == 200)
            let deleted = try await api.delete("/metrics/job/a")
            #expect(deleted.status == 202)
            #expect(deleted.body.isEmpty)
            let scrape = try await api.scrape()
            #expect(
                scrape.masked == "# TYPE a untyped\na{instance=\"i\",job=\"a\"} 2\n"
                    + Self.times(#"instance="i",job="a""#))
        }
    }

    @Test func deleteOfAGroupThatDoesNotExistIsAccepted() async throws {
        try await withGateway { api async throws in
            #expect(try await api.delete("/metrics/job/nothing/instance/here").status == 202)
            #expect(try await api.scrape().pushed == "")
        }
    }

    @Test func emptyPutKeepsTheGroupWithItsTimesOnly() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\n").status == 200)
            #expect(try await api.request("PUT", "/metrics/job/a").status == 200)
            let scrape = try await api.scrape()
            #expect(scrape.masked == Self.times(Self.groupA))
            #expect((scrape.pushTime(Self.groupA) ?? 0) > 0)
        }
    }

    @Test func emptyPostChangesNothingButThePushTime() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "# HELP a Help.\n# TYPE a counter\na 1\n").status == 200)
            let before = try await api.scrape()
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await api.request("POST", "/metrics/job/a", body: []).status == 200)
            let after = try await api.scrape()
            let time = "push_time_seconds{\(Self.groupA)}"
            #expect(after.pushed(excluding: [time]) == before.pushed(excluding: [time]))
            #expect(after.masked == before.masked)
            #expect(try #require(after.pushTime(Self.groupA)) > #require(before.pushTime(Self.groupA)))
        }
    }

    @Test func aRefusedPushSetsTheFailureTimeAndKeepsThePushTime() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1\n").status == 200)
            let before = try await api.scrape()
            let refused = try await api.put("/metrics/job/a", "a 1 1000\n")
            #expect(refused.status == 400)
            let after = try await api.scrape()
            #expect(after.pushTime(Self.groupA) == before.pushTime(Self.groupA))
            #expect(try #require(after.failureTime(Self.groupA)) >= #require(before.pushTime(Self.groupA)))
            #expect(
                after.masked == "# TYPE a untyped\na{instance=\"\",job=\"a\"} 1\n"
                    + Self.times(Self.groupA, failed: true))
        }
    }

    /// As the Pushgateway 1.5.1 does: the group exists, with `push_time_seconds` 0.
    @Test func aRefusedPushToANewGroupCreatesItEmptyWithPushTimeZero() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/new", "a{x=\"1\"} 1 1000\n").status == 400)
            let scrape = try await api.scrape()
            #expect(scrape.masked == Self.times(#"instance="",job="new""#, pushed: false, failed: true))
            #expect(scrape.pushTime(#"instance="",job="new""#) == 0)
            #expect((scrape.failureTime(#"instance="",job="new""#) ?? 0) > 0)
        }
    }

    @Test func aSuccessfulPushAfterARefusedOneKeepsTheFailureTime() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a", "a 1 1000\n").status == 400)
            let failed = try #require(try await api.scrape().failureTime(Self.groupA))
            #expect(try await api.put("/metrics/job/a", "a 1\n").status == 200)
            let scrape = try await api.scrape()
            #expect(scrape.failureTime(Self.groupA) == failed)
            #expect(try #require(scrape.pushTime(Self.groupA)) >= failed)
        }
    }

    @Test func thePushAPIAllowsPutPostAndDeleteOnly() async throws {
        try await withGateway { api async throws in
            for method in ["GET", "PATCH", "HEAD"] {
                let response = try await api.request(method, "/metrics/job/a")
                #expect(response.status == 405, "\(method)")
                #expect(response.header("Allow") == "PUT, POST, DELETE", "\(method)")
                if method != "HEAD" { #expect(response.text == "method not allowed; use PUT, POST, DELETE\n") }
            }
        }
    }
}
