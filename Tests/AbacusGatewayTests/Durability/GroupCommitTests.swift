import AbacusTesting
import Foundation
import Testing

extension DurabilityTests {
    /// 200 concurrent pushes share transactions: `abacus_journal_commit_duration_seconds_count`
    /// grows by less than 200, and every push is stored after a restart.
    @Test(.timeLimit(.minutes(5)))
    func concurrentPushesShareCommits() async throws {
        let clock = ContinuousClock.now
        let gateway = try GatewayProcess()
        defer { gateway.remove() }
        try await gateway.start()
        let commitCount = "abacus_journal_commit_duration_seconds_count"
        let before = Exposed.value(commitCount, in: try await Client.metrics(gateway)) ?? -1
        #expect(before == 0, "no commit before the first push")

        let pushes = 200
        let base = gateway.baseURL
        let started = ContinuousClock.now
        let statuses = await withTaskGroup(of: Int.self) { tasks in
            for n in 0..<pushes {
                tasks.addTask {
                    let body = Array("batched_value{slot=\"a\"} \(n)\nbatched_other \(n)\n".utf8)
                    let reply = try? await Client.request(
                        "PUT", base + "/metrics/job/batched/instance/\(n)", body: body, timeout: Patience.seconds)
                    return reply?.status ?? -1
                }
            }
            var statuses: [Int] = []
            for await status in tasks { statuses.append(status) }
            return statuses
        }
        let took = seconds(since: started)
        #expect(
            statuses.allSatisfy { $0 == 200 }, "statuses: \(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")

        let text = try await Client.metrics(gateway)
        let commits = (Exposed.value(commitCount, in: text) ?? -1) - before
        print("group commit: \(pushes) concurrent pushes in \(took), \(Int(commits)) commits")
        #expect(commits >= 1)
        #expect(commits < Double(pushes), "concurrent pushes must share commits")
        #expect(Exposed.value(#"abacus_groups"#, in: text) == Double(pushes))

        #expect(await gateway.stop() == 0)
        try await gateway.start()
        let after = try await Client.metrics(gateway)
        for n in 0..<pushes {
            #expect(after.contains("batched_value{instance=\"\(n)\",job=\"batched\",slot=\"a\"} \(n)\n"))
        }
        #expect(await gateway.stop() == 0)
        print("concurrentPushesShareCommits: \(seconds(since: clock))")
    }
}
