import AbacusExposition
import AbacusTesting
import Foundation
import Synchronization
import Testing

extension DurabilityTests {
    /// `kill -9` under load loses no acknowledged push: 8 pushers PUT to 24 groups as fast as
    /// they can; the gateway is killed after a random delay; after the restart every group
    /// holds, byte for byte, its last acknowledged body or a body sent after it (in flight at
    /// the kill, maybe committed). Three kill/restart cycles; the database passes
    /// `PRAGMA integrity_check` after each kill.
    @Test(.timeLimit(.minutes(5)))
    func killNineLosesNoAcknowledgedPush() async throws {
        let clock = ContinuousClock.now
        var random = SeededGenerator.fromEnvironment("killNineLosesNoAcknowledgedPush")
        let gateway = try GatewayProcess()
        defer { gateway.remove() }

        let pushers = 8
        let groupsPerPusher = 3
        let groups = pushers * groupsPerPusher
        // Per group: the body known to be stored (acknowledged, or found after a restart) and
        // the bodies sent since, which a crash may or may not have kept.
        let ledger = Shared(CrashLedger(groups: groups))
        var sequence = 0

        try await gateway.start()
        for cycle in 1...3 {
            let delay = Double.random(in: 0.5...3, using: &random)
            let stop = Shared(false)
            let first = sequence
            let base = gateway.baseURL
            let counts = await withTaskGroup(of: (acked: Int, sent: Int).self) { tasks in
                for pusher in 0..<pushers {
                    tasks.addTask {
                        await CrashLedger.push(
                            pusher: pusher, groupsPerPusher: groupsPerPusher, firstSequence: first, baseURL: base,
                            ledger: ledger, stop: stop)
                    }
                }
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                await gateway.kill9()
                stop.with { $0 = true }
                var total = (acked: 0, sent: 0)
                for await count in tasks {
                    total.acked += count.acked
                    total.sent += count.sent
                }
                return total
            }
            sequence += 1_000_000
            print(
                "crash cycle \(cycle): killed after \(String(format: "%.2f", delay)) s; "
                    + "\(counts.sent) pushes sent, \(counts.acked) acknowledged")
            let unexpected = ledger.with { $0.unexpected }
            #expect(unexpected.isEmpty, "answers other than 200: \(unexpected.prefix(5))")
            #expect(counts.acked > 0, "no push was acknowledged before the kill: the cycle checks nothing")

            if let integrity = try await SQLiteCheck.integrityOfCopy(gateway.databasePath) {
                #expect(integrity == "ok", "PRAGMA integrity_check after kill -9: \(integrity)")
            }

            try await gateway.start()
            let text = try await Client.metrics(gateway)
            let problems = ledger.with { $0.settle(against: text) }
            print(
                "crash cycle \(cycle): \(ledger.value.committedInFlight) pushes in flight at the kill were kept so far")
            if !problems.isEmpty {
                let shown = problems.prefix(3).joined(separator: "\n")
                Issue.record("cycle \(cycle): \(problems.count) of \(groups) groups lost pushes (first 3):\n\(shown)")
            }
        }
        #expect(await gateway.stop() == 0)
        if let integrity = try await SQLiteCheck.run(gateway.databasePath, "PRAGMA integrity_check") {
            #expect(integrity == "ok")
        }
        print("killNineLosesNoAcknowledgedPush: \(seconds(since: clock))")
    }
}

/// What the crash test knows about each group `job/crash/instance/<n>`.
struct CrashLedger: Sendable {
    struct Group: Sendable {
        /// The body known to be stored: acknowledged, or found after a restart.
        var stored: String?
        /// Bodies sent after `stored` and not acknowledged (in flight when the gateway died).
        var unacknowledged: [String] = []
    }

    var groups: [Group]
    var unexpected: [String] = []
    /// Groups found holding a body that was in flight at the kill (committed, not answered).
    var committedInFlight = 0

    init(groups: Int) {
        self.groups = Array(repeating: Group(), count: groups)
    }

    /// The body of push `sequence` to group `n`: the values encode both, and the number of
    /// series varies, so a mix of two pushes or a truncated one cannot pass for either.
    static func body(group n: Int, sequence: Int) -> String {
        var text =
            "# HELP crash_group Which group.\n# TYPE crash_group gauge\ncrash_group \(NumberFormatting.string(Double(n)))\n"
        text += "# TYPE crash_sample counter\n"
        for slot in 0...(sequence % 5) {
            let value = Double(n) * 1000 + Double(sequence % 1000) + Double(slot) / 8
            text += "crash_sample{slot=\"\(slot)\"} \(NumberFormatting.string(value))\n"
        }
        text +=
            "# HELP crash_sequence Which push.\n# TYPE crash_sequence gauge\ncrash_sequence \(NumberFormatting.string(Double(sequence)))\n"
        return text
    }

    /// The sample lines the gateway serves for `body` in group `n`, in order.
    static func expectedLines(group n: Int, body: String) -> [Substring] {
        body.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let labels = "instance=\"\(n)\",job=\"crash\""
            if let brace = line.firstIndex(of: "{") {
                return line[..<brace] + "{" + labels + "," + line[line.index(after: brace)...]
            }
            let space = line.firstIndex(of: " ")!
            return line[..<space] + "{" + labels + "}" + line[space...]
        }
    }

    /// One pusher: PUTs to its groups in turn until told to stop or a request fails (the
    /// gateway was killed). Returns how many pushes were acknowledged and sent.
    static func push(
        pusher: Int, groupsPerPusher: Int, firstSequence: Int, baseURL: String, ledger: Shared<CrashLedger>,
        stop: Shared<Bool>
    ) async -> (acked: Int, sent: Int) {
        var acked = 0
        var sent = 0
        var sequence = firstSequence + pusher
        while !stop.value {
            let n = pusher * groupsPerPusher + sequence % groupsPerPusher
            let body = body(group: n, sequence: sequence)
            sequence += 1
            ledger.with { $0.groups[n].unacknowledged.append(body) }
            sent += 1
            do {
                let reply = try await Client.request(
                    "PUT", baseURL + "/metrics/job/crash/instance/\(n)", body: Array(body.utf8), timeout: 10)
                if reply.status == 200 {
                    acked += 1
                    ledger.with {
                        $0.groups[n].stored = body
                        $0.groups[n].unacknowledged = []
                    }
                } else {
                    ledger.with { $0.unexpected.append("\(reply.status) \(reply.text)") }
                }
            } catch {
                return (acked, sent)
            }
        }
        return (acked, sent)
    }

    /// Checks every group in `/metrics` after a restart and takes what is there as stored.
    /// Returns the problems found.
    mutating func settle(against text: String) -> [String] {
        var problems: [String] = []
        for n in groups.indices {
            let found = Exposed.lines(ofGroup: "instance=\"\(n)\",job=\"crash\"", prefix: "crash_", in: text)
            var candidates = groups[n].unacknowledged
            if let stored = groups[n].stored { candidates.insert(stored, at: 0) }
            let match = candidates.first { Self.expectedLines(group: n, body: $0) == found }
            if let match {
                if match != groups[n].stored { committedInFlight += 1 }
                groups[n].stored = match
            } else if found.isEmpty && groups[n].stored == nil {
                // Never acknowledged and not there: allowed.
            } else {
                let last = groups[n].stored.map { Self.expectedLines(group: n, body: $0) } ?? []
                problems.append(
                    "group \(n): found \(found)\n  last acknowledged \(last)\n  "
                        + "\(groups[n].unacknowledged.count) unacknowledged bodies do not match either")
            }
            groups[n].unacknowledged = []
            let pushTime = Exposed.value("push_time_seconds{instance=\"\(n)\",job=\"crash\"}", in: text)
            if groups[n].stored != nil, (pushTime ?? 0) <= 0 {
                problems.append("group \(n): no push_time_seconds")
            }
        }
        return problems
    }
}
