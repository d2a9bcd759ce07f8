import AbacusTesting
import Foundation
import Testing

@testable import AbacusGateway

/// Time to live: `?ttl=`, the `Abacus-TTL` header and `--push.default-ttl`. The gateway runs on
/// a manual clock: a test moves time itself, so what must still be there is checked exactly,
/// however slow the machine. The expiry itself is the gateway's own background scan (four
/// times a second, with no traffic); the tests wait for it with ``Patience``.
@Suite("HTTP API: time to live")
struct TTLTests {
    static let a = #"instance="",job="a""#
    static let b = #"instance="",job="b""#

    /// A gateway on a manual clock.
    static func withClockedGateway(
        _ configure: Configure = .defaults, body: (GatewayAPI, ManualGatewayClock) async throws -> Void
    ) async throws {
        let clock = ManualGatewayClock()
        try await withGateway(
            Configure {
                $0.clock = .manual(clock)
                configure.change(&$0)
            }
        ) { api async throws in try await body(api, clock) }
    }

    static func present(_ labels: String, _ api: GatewayAPI) -> Bool {
        api.server.core.store.snapshot().groups.contains { String(decoding: $0.labelBytes, as: UTF8.self) == labels }
    }

    /// Waits until group `labels` is gone (the background scan removed it); whether it went.
    /// It watches the store, not scrapes.
    static func waitGone(_ labels: String, _ api: GatewayAPI) async throws -> Bool {
        let deadline = Date().addingTimeInterval(Patience.seconds)
        while present(labels, api), Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return !present(labels, api)
    }

    /// What the scan would remove now, asked directly: 0 means nothing is due.
    static func dueNow(_ api: GatewayAPI, _ clock: ManualGatewayClock) -> Int {
        api.server.core.store.expire(nowMs: clock.nowMs)
    }

    @Test(arguments: [
        ("/metrics/job/a?ttl=1s", [(String, String)]()),
        ("/metrics/job/a", [("Abacus-TTL", "1s")]),
        ("/metrics/job/a?ttl=1000ms", []),
        ("/metrics/job/a?ttl=1", []),
    ])
    func aGroupExpires(path: String, headers: [(String, String)]) async throws {
        try await Self.withClockedGateway { api, clock async throws in
            let store = api.server.core.store
            #expect(try await api.put(path, "x 1\n", headers: headers).status == 200)
            #expect(store.counts.groups == 1)
            // One millisecond before the deadline: nothing is due.
            clock.advance(byMs: 999)
            #expect(Self.dueNow(api, clock) == 0)
            #expect(store.counts.groups == 1)
            // At the deadline: gone with no traffic at all (the background scan).
            clock.advance(byMs: 1)
            #expect(try await Self.waitGone(Self.a, api), "still there at its deadline")
            // The scan removes the group, then counts it: wait for the count too.
            let scrape = try await api.waitScrape(upTo: Patience.seconds) {
                $0.value("abacus_expired_groups_total") == 1
            }
            #expect(scrape.pushed == "")
            #expect(scrape.value("abacus_expired_groups_total") == 1)
            #expect(scrape.value("abacus_groups") == 0)
            #expect(scrape.value("abacus_series") == 0)
            // The name is free again.
            #expect(try await api.put("/metrics/job/b", "# TYPE x counter\nx 1\n").status == 200)
        }
    }

    @Test func ttlZeroMeansNeverEvenWithADefault() async throws {
        try await Self.withClockedGateway(Configure { $0.defaultTTLMs = 500 }) { api, clock async throws in
            #expect(try await api.put("/metrics/job/a?ttl=0", "x 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "y 1\n").status == 200)
            clock.advance(byMs: 500)
            #expect(try await Self.waitGone(Self.b, api))
            clock.advance(byMs: 3_600_000)
            #expect(Self.dueNow(api, clock) == 0)
            #expect(try await api.scrape().groups == [Self.a])
        }
    }

    @Test func aLaterPushWithoutTTLGetsTheDefault() async throws {
        try await Self.withClockedGateway(Configure { $0.defaultTTLMs = 500 }) { api, clock async throws in
            #expect(try await api.put("/metrics/job/a", "x 1\n", headers: [("Abacus-TTL", "0")]).status == 200)
            clock.advance(byMs: 1000)
            #expect(Self.dueNow(api, clock) == 0)
            #expect(try await api.post("/metrics/job/a", "y 1\n").status == 200)
            clock.advance(byMs: 499)
            #expect(Self.dueNow(api, clock) == 0)
            clock.advance(byMs: 1)
            #expect(try await Self.waitGone(Self.a, api))
        }
    }

    @Test func aLaterPushReplacesTheDeadline() async throws {
        try await Self.withClockedGateway { api, clock async throws in
            #expect(try await api.put("/metrics/job/a?ttl=2s", "x 1\n").status == 200)
            #expect(try await api.put("/metrics/job/a?ttl=1h", "x 2\n").status == 200)
            #expect(try await api.put("/metrics/job/b?ttl=2s", "y 1\n").status == 200)
            clock.advance(byMs: 2000)
            #expect(try await Self.waitGone(Self.b, api))
            #expect(Self.dueNow(api, clock) == 0)
            #expect(try await api.scrape().groups == [Self.a])
            // And a push without a TTL (no default) keeps the group for good.
            #expect(try await api.put("/metrics/job/b?ttl=2s", "y 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "y 2\n").status == 200)
            clock.advance(byMs: 3_000_000)
            #expect(Self.dueNow(api, clock) == 0)
            #expect(try await api.scrape().groups == [Self.a, Self.b])
            // a's hour is up.
            clock.advance(byMs: 600_000)
            #expect(try await Self.waitGone(Self.a, api))
            #expect(try await api.scrape().groups == [Self.b])
        }
    }

    @Test func aRefusedPushKeepsTheDeadline() async throws {
        try await Self.withClockedGateway { api, clock async throws in
            #expect(try await api.put("/metrics/job/a?ttl=2s", "x 1\n").status == 200)
            clock.advance(byMs: 1000)
            #expect(try await api.put("/metrics/job/a?ttl=1h", "x 1 1000\n").status == 400)
            let scrape = try await api.scrape()
            #expect((scrape.pushTime(Self.a) ?? 0) > 0)
            #expect((scrape.failureTime(Self.a) ?? 0) > (scrape.pushTime(Self.a) ?? 0))
            // The first push's deadline holds: 2 s after it, not an hour after the refusal.
            clock.advance(byMs: 999)
            #expect(Self.dueNow(api, clock) == 0)
            clock.advance(byMs: 1)
            #expect(try await Self.waitGone(Self.a, api))
        }
    }

    /// A refused push that creates its group (as the Pushgateway does) gives it the push's TTL:
    /// else failing clients would leave groups behind for good despite `--push.default-ttl`.
    @Test func aGroupCreatedByARefusedPushExpiresToo() async throws {
        try await Self.withClockedGateway(Configure { $0.defaultTTLMs = 2000 }) { api, clock async throws in
            let c = #"instance="",job="c""#
            for (path, body, group) in [
                ("/metrics/job/a", "x 1 1000\n", Self.a),
                ("/metrics/job/b?ttl=2s", "x{ 1\n", Self.b),
                // An invalid TTL: the default applies.
                ("/metrics/job/c?ttl=soon", "x 1\n", c),
            ] {
                #expect(try await api.put(path, body).status == 400)
                let scrape = try await api.scrape()
                // Created: no push time, a failure time.
                #expect(scrape.pushTime(group) == 0, "\(path)")
                #expect((scrape.failureTime(group) ?? 0) > 0, "\(path)")
            }
            clock.advance(byMs: 1999)
            #expect(Self.dueNow(api, clock) == 0)
            clock.advance(byMs: 1)
            for group in [Self.a, Self.b, c] {
                #expect(try await Self.waitGone(group, api), "\(group)")
            }
        }
    }

    @Test func theQueryWinsOverTheHeader() async throws {
        try await Self.withClockedGateway { api, clock async throws in
            #expect(try await api.put("/metrics/job/a?ttl=1s", "x 1\n", headers: [("Abacus-TTL", "1h")]).status == 200)
            clock.advance(byMs: 1000)
            #expect(try await Self.waitGone(Self.a, api))
        }
    }

    @Test func batchesTakeATTL() async throws {
        try await Self.withClockedGateway { api, clock async throws in
            let response = try await api.put("/api/v1/batch?ttl=2s", "# GROUP job/a\nx 1\n# GROUP job/b\ny 1\n")
            #expect(response.status == 200, "\(response)")
            #expect(try await api.scrape().groups == [Self.a, Self.b])
            clock.advance(byMs: 1999)
            #expect(Self.dueNow(api, clock) == 0)
            clock.advance(byMs: 1)
            #expect(try await Self.waitGone(Self.a, api))
            #expect(try await Self.waitGone(Self.b, api))
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
