import AbacusTesting
import Foundation
import Testing

extension DurabilityTests {
    /// A group's deadline is stored, not its TTL: after a quick restart the group is still
    /// there and goes within a second of its original deadline; a group whose deadline passed
    /// while the gateway was down is not restored (and its row is deleted).
    @Test(.timeLimit(.minutes(1)))
    func ttlDeadlineSurvivesRestart() async throws {
        let clock = ContinuousClock.now
        let gateway = try GatewayProcess()
        defer { gateway.remove() }
        try await gateway.start()

        // 1. Deadline 3 s after the push; stop and start at once.
        let sentMs = nowMs()
        try await expectStatus(200, Client.push(gateway, "job/ttl/instance/short", "ttl_value 1\n", query: "?ttl=3s"))
        let answeredMs = nowMs()
        try await expectStatus(200, Client.push(gateway, "job/ttl/instance/forever", "ttl_value 2\n"))
        let restart = ContinuousClock.now
        #expect(await gateway.stop() == 0)
        try await gateway.start()
        let restartTook = ContinuousClock.now - restart
        print("ttl: stop and start took \(seconds(since: restart))")
        let shortSeries = #"ttl_value{instance="short",job="ttl"} 1"#
        let present = try await Client.metrics(gateway).contains(shortSeries)
        // The gateway sets the deadline between sending and answering; it is 3 s after that.
        if nowMs() < sentMs + 3000 {
            #expect(present, "the group must be restored before its deadline")
        } else {
            Issue.record("the restart took \(restartTook): too slow to check the group before its deadline")
        }
        var goneMs: Int64?
        let gone = try await Wait.until(timeout: 6, interval: 0.05) {
            let text = try await Client.metrics(gateway)
            if !text.contains(shortSeries) {
                goneMs = nowMs()
                return true
            }
            return false
        }
        #expect(gone, "the group must expire after its deadline")
        if let goneMs {
            print("ttl: gone \(goneMs - sentMs) ms after the push was sent (deadline 3000 ms)")
            #expect(goneMs >= sentMs + 3000 - 50, "expired before its deadline")
            #expect(goneMs <= answeredMs + 3000 + 1000, "expired more than 1 s after its deadline")
        }
        #expect(try await Client.metrics(gateway).contains(#"ttl_value{instance="forever",job="ttl"} 2"#))

        // 2. Deadline 1 s after the push; the gateway is down when it passes.
        try await expectStatus(200, Client.push(gateway, "job/ttl/instance/down", "ttl_value 3\n", query: "?ttl=1s"))
        let pushedMs = nowMs()
        #expect(await gateway.stop() == 0)
        let wait = max(0, pushedMs + 1300 - nowMs())
        try await Task.sleep(nanoseconds: UInt64(wait) * 1_000_000)
        try await gateway.start()
        let text = try await Client.metrics(gateway)
        #expect(!text.contains(#"instance="down""#), "a group past its deadline must not be restored")
        #expect(text.contains(#"ttl_value{instance="forever",job="ttl"} 2"#))
        #expect(await gateway.stop() == 0)
        if let rows = try await SQLiteCheck.run(gateway.databasePath, "SELECT path FROM groups ORDER BY path") {
            #expect(rows == "job/ttl/instance/forever", "only the group without TTL is left in the database")
        }
        print("ttlDeadlineSurvivesRestart: \(seconds(since: clock))")
    }
}
