import Foundation
import Testing

@testable import AbacusGateway

/// Time to live: `?ttl=`, the `Abacus-TTL` header and `--push.default-ttl`. Groups expire with
/// no traffic (the expiry runs four times a second); the tests poll, bounded at 5 s.
@Suite("HTTP API: time to live")
struct TTLTests {
    static let a = #"instance="",job="a""#
    static let b = #"instance="",job="b""#

    /// Polls until group `labels` is gone (at most 5 s); the seconds it took, `nil` if it stayed.
    /// It watches the store, not scrapes: on a loaded machine (CI runs the suites in parallel
    /// on 2 cores) a scrape can take seconds, and the 5 s went by in two or three of them.
    static func waitGone(_ labels: String, _ api: GatewayAPI) async throws -> Double? {
        let start = Date()
        let store = api.server.core.store
        func present() -> Bool {
            store.snapshot().groups.contains { String(decoding: $0.labelBytes, as: UTF8.self) == labels }
        }
        // 5 s and at least 100 polls: when the machine stalls this task, it must not give up
        // on its first wake-up before the expiry loop, stalled as long, had its turn.
        var polls = 0
        while present(), Date().timeIntervalSince(start) < 5 || polls < 100 {
            try await Task.sleep(for: .milliseconds(20))
            polls += 1
        }
        return present() ? nil : Date().timeIntervalSince(start)
    }

    @Test(arguments: [
        ("/metrics/job/a?ttl=1s", [(String, String)]()),
        ("/metrics/job/a", [("Abacus-TTL", "1s")]),
        ("/metrics/job/a?ttl=1000ms", []),
        ("/metrics/job/a?ttl=1", []),
    ])
    func aGroupExpires(path: String, headers: [(String, String)]) async throws {
        try await withGateway { api async throws in
            let store = api.server.core.store
            let start = Date()
            #expect(try await api.put(path, "x 1\n", headers: headers).status == 200)
            let answered = Date()
            // Stored (looked up in the store: on a loaded machine a scrape can take long).
            if answered.timeIntervalSince(start) < 0.8 { #expect(store.counts.groups == 1) }
            // Gone with no traffic at all: only the store is watched.
            while store.counts.groups > 0, Date().timeIntervalSince(start) < 5 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(store.counts.groups == 0, "still there after 5 s")
            #expect(Date().timeIntervalSince(start) >= 0.95)
            // "Within one second of its deadline", with room for a loaded machine.
            #expect(Date().timeIntervalSince(answered) < 2.5)
            let scrape = try await api.scrape()
            #expect(scrape.pushed == "")
            #expect(scrape.value("abacus_expired_groups_total") == 1)
            #expect(scrape.value("abacus_groups") == 0)
            #expect(scrape.value("abacus_series") == 0)
            // The name is free again.
            #expect(try await api.put("/metrics/job/b", "# TYPE x counter\nx 1\n").status == 200)
        }
    }

    @Test func ttlZeroMeansNeverEvenWithADefault() async throws {
        try await withGateway(Configure { $0.defaultTTLMs = 500 }) { api async throws in
            #expect(try await api.put("/metrics/job/a?ttl=0", "x 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "y 1\n").status == 200)
            #expect(try await Self.waitGone(Self.b, api) != nil)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await api.scrape().groups == [Self.a])
        }
    }

    @Test func aLaterPushWithoutTTLGetsTheDefault() async throws {
        try await withGateway(Configure { $0.defaultTTLMs = 500 }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "x 1\n", headers: [("Abacus-TTL", "0")]).status == 200)
            #expect(try await api.post("/metrics/job/a", "y 1\n").status == 200)
            #expect(try await Self.waitGone(Self.a, api) != nil)
        }
    }

    @Test func aLaterPushReplacesTheDeadline() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a?ttl=2s", "x 1\n").status == 200)
            #expect(try await api.put("/metrics/job/a?ttl=1h", "x 2\n").status == 200)
            #expect(try await api.put("/metrics/job/b?ttl=2s", "y 1\n").status == 200)
            #expect(try await Self.waitGone(Self.b, api) != nil)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await api.scrape().groups == [Self.a])
            // And a push without a TTL (no default) keeps the group for good.
            #expect(try await api.put("/metrics/job/b?ttl=2s", "y 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "y 2\n").status == 200)
            try await Task.sleep(for: .milliseconds(2500))
            #expect(try await api.scrape().groups == [Self.a, Self.b])
        }
    }

    @Test func aRefusedPushKeepsTheDeadline() async throws {
        try await withGateway { api async throws in
            let start = Date()
            #expect(try await api.put("/metrics/job/a?ttl=2s", "x 1\n").status == 200)
            #expect(try await api.put("/metrics/job/a?ttl=1h", "x 1 1000\n").status == 400)
            let scrape = try await api.scrape()
            // Still there, unless a stalled machine took the 2 s to get here.
            if Date().timeIntervalSince(start) < 1.8 {
                #expect((scrape.pushTime(Self.a) ?? 0) > 0)
                #expect((scrape.failureTime(Self.a) ?? 0) > 0)
            }
            #expect(try await Self.waitGone(Self.a, api) != nil)
        }
    }

    /// A refused push that creates its group (as the Pushgateway does) gives it the push's TTL:
    /// else failing clients would leave groups behind for good despite `--push.default-ttl`.
    @Test func aGroupCreatedByARefusedPushExpiresToo() async throws {
        try await withGateway(Configure { $0.defaultTTLMs = 2000 }) { api async throws in
            let c = #"instance="",job="c""#
            for (path, body, group) in [
                ("/metrics/job/a", "x 1 1000\n", Self.a),
                ("/metrics/job/b?ttl=2s", "x{ 1\n", Self.b),
                // An invalid TTL: the default applies.
                ("/metrics/job/c?ttl=soon", "x 1\n", c),
            ] {
                let start = Date()
                #expect(try await api.put(path, body).status == 400)
                let pushTime = try await api.scrape().pushTime(group)
                // Created (push time 0), unless a stalled machine took the 2 s TTL to get here.
                if Date().timeIntervalSince(start) < 1.8 { #expect(pushTime == 0, "\(path)") }
            }
            for group in [Self.a, Self.b, c] {
                let gone = try await Self.waitGone(group, api)
                let left = api.server.core.store.snapshot().groups.first {
                    String(decoding: $0.labelBytes, as: UTF8.self) == group
                }
                #expect(
                    gone != nil,
                    "\(group): deadline \(String(describing: left?.deadlineMs)), now \(Int64(Date().timeIntervalSince1970 * 1000)), push time \(left?.pushTime ?? -1), failure time \(left?.failureTime ?? -1)"
                )
            }
        }
    }

    @Test func theQueryWinsOverTheHeader() async throws {
        try await withGateway { api async throws in
            #expect(try await api.put("/metrics/job/a?ttl=1s", "x 1\n", headers: [("Abacus-TTL", "1h")]).status == 200)
            #expect(try await Self.waitGone(Self.a, api) != nil)
        }
    }

    @Test func batchesTakeATTL() async throws {
        try await withGateway { api async throws in
            let response = try await api.put("/api/v1/batch?ttl=2s", "# GROUP job/a\nx 1\n# GROUP job/b\ny 1\n")
            #expect(response.status == 200, "\(response)")
            #expect(try await api.scrape().groups == [Self.a, Self.b])
            #expect(try await Self.waitGone(Self.b, api) != nil)
            #expect(try await api.scrape().groups == [])
        }
    }

    @Test(arguments: [
        ("?ttl=abc", [(String, String)](), "abc"),
        ("?ttl=-1s", [], "-1s"),
        ("?ttl=30m1h", [], "30m1h"),
        ("?ttl=1.5s", [], "1.5s"),
        ("?ttl=", [], ""),
        ("", [("Abacus-TTL", "5x")], "5x"),
    ])
    func anInvalidTTL(query: String, headers: [(String, String)], shown: String) async throws {
        try await withGateway { api async throws in
            let response = try await api.put("/metrics/job/a" + query, "x 1\n", headers: headers)
            #expect(response.status == 400)
            #expect(
                response.text
                    == "invalid TTL \(shown); write a duration such as 90s, 15m, 1h30m or 0 for none\n")
            let scrape = try await api.scrape()
            #expect(scrape.masked == PushAPITests.times(Self.a, pushed: false, failed: true))
            #expect(scrape.value(#"abacus_push_rejections_total{reason="ttl"}"#) == 1)
        }
    }
}
