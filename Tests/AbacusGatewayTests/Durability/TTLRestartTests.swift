import AbacusTesting
import Foundation
import Testing

extension DurabilityTests {
    /// A group's deadline is stored, not its TTL: it is restored as it was pushed, a group
    /// restored before its deadline goes at that deadline (not sooner), and a group whose
    /// deadline passed while the gateway was down is not restored (its row is deleted).
    ///
    /// The real executable runs on the real clock, so nothing here says "within N ms": what
    /// must still be there has an hour left, what must go is waited for with ``Patience``, and
    /// "not sooner" is a lower bound, which no slow machine can break.
    @Test(.timeLimit(.minutes(5)))
    func ttlDeadlineSurvivesRestart() async throws {
        let gateway = try GatewayProcess()
        defer { gateway.remove() }
        try await gateway.start()
        let hourSeries = #"ttl_value{instance="hour",job="ttl"} 1"#
        let foreverSeries = #"ttl_value{instance="forever",job="ttl"} 2"#

        // 1. A deadline an hour away survives a restart as it was stored.
        let sentMs = nowMs()
        try await expectStatus(200, Client.push(gateway, "job/ttl/instance/hour", "ttl_value 1\n", query: "?ttl=1h"))
        let answeredMs = nowMs()
        try await expectStatus(200, Client.push(gateway, "job/ttl/instance/forever", "ttl_value 2\n"))
        let query = "SELECT deadline_ms FROM groups WHERE path = 'job/ttl/instance/hour'"
        let stored = try await SQLiteCheck.run(gateway.databasePath, query).flatMap { Int64($0) }
        if let stored {
            #expect((sentMs + 3_600_000)...(answeredMs + 3_600_000) ~= stored, "stored deadline \(stored)")
        }
        #expect(await gateway.stop() == 0)
        try await gateway.start()
        var text = try await Client.metrics(gateway)
        #expect(text.contains(hourSeries), "the group must be restored before its deadline")
        #expect(text.contains(foreverSeries))

        // 2. A deadline 3 s away, a restart in between: the group goes, and not before 3 s.
        let shortSeries = #"ttl_value{instance="short",job="ttl"} 3"#
        let shortSentMs = nowMs()
        try await expectStatus(200, Client.push(gateway, "job/ttl/instance/short", "ttl_value 3\n", query: "?ttl=3s"))
        #expect(await gateway.stop() == 0)
        try await gateway.start()
        var goneMs: Int64?
        let gone = try await Wait.until(timeout: 3 + Patience.seconds, interval: 0.05) {
            if try await !Client.metrics(gateway).contains(shortSeries) {
                goneMs = nowMs()
                return true
            }
            return false
        }
        #expect(gone, "the group must expire after its deadline")
        if let goneMs {
            #expect(
                goneMs >= shortSentMs + 3000, "expired \(goneMs - shortSentMs) ms after the push: before its deadline")
        }
        text = try await Client.metrics(gateway)
        #expect(text.contains(hourSeries) && text.contains(foreverSeries))

        // 3. A deadline 1 s away that passes while the gateway is down.
        try await expectStatus(200, Client.push(gateway, "job/ttl/instance/down", "ttl_value 4\n", query: "?ttl=1s"))
        let pushedMs = nowMs()
        #expect(await gateway.stop() == 0)
        let wait = max(0, pushedMs + 1300 - nowMs())
        try await Task.sleep(nanoseconds: UInt64(wait) * 1_000_000)
        try await gateway.start()
        text = try await Client.metrics(gateway)
        #expect(!text.contains(#"instance="down""#), "a group past its deadline must not be restored")
        #expect(text.contains(hourSeries) && text.contains(foreverSeries))
        #expect(await gateway.stop() == 0)
        if let rows = try await SQLiteCheck.run(gateway.databasePath, "SELECT path FROM groups ORDER BY path") {
            #expect(
                rows == "job/ttl/instance/forever\njob/ttl/instance/hour",
                "only the groups whose deadline has not passed are left in the database")
        }
    }
}
