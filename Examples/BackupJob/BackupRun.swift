import Abacus
import AbacusExposition
import AbacusPush

/// A simulated backup: it "copies" records in chunks, yielding between them, and fails halfway
/// when told to.
struct BackupRun {
    enum Result {
        case success
        case failure(String)
    }

    struct Outcome {
        var processed: Int
        var seconds: Double
        var result: Result

        var formattedDuration: String {
            let milliseconds = (seconds * 1000).rounded()
            return "\(milliseconds / 1000)"
        }
    }

    var records: Int
    var failing: Bool

    func perform() async -> Outcome {
        let start = ContinuousClock.now
        let stop = failing ? records / 2 : records
        var processed = 0
        while processed < stop {
            processed = min(stop, processed + 100)
            try? await Task.sleep(for: .milliseconds(1))
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let result: Result = failing ? .failure("simulated failure (--fail)") : .success
        return Outcome(processed: processed, seconds: seconds, result: result)
    }
}

/// The metrics of one run in a registry of their own, as the Pushgateway documentation
/// recommends for batch jobs.
struct BackupReport {
    let registry = Registry(processMetrics: false)
    var families: [String] = []

    init(outcome: BackupRun.Outcome) throws {
        try registry.gauge("backup_duration_seconds", help: "Duration of the last backup run.").set(outcome.seconds)
        try registry.gauge("backup_records_processed", help: "Records processed by the last backup run.")
            .set(Double(outcome.processed))
        try registry.gauge(
            "backup_last_completion_timestamp_seconds", help: "When the last backup run ended, successful or not."
        ).setToCurrentTime()
        let failed = try registry.gauge("backup_failed", help: "1 when the last backup run failed, else 0.")
        // Registered only when they happen: with POST, a family left out keeps its pushed value.
        switch outcome.result {
        case .success:
            failed.set(0)
            try registry.gauge("backup_last_success_timestamp_seconds", help: "When a backup last succeeded.")
                .setToCurrentTime()
        case .failure:
            failed.set(1)
            try registry.gauge("backup_last_failure_timestamp_seconds", help: "When a backup last failed.")
                .setToCurrentTime()
        }
        families = registry.collect().map(\.name)
    }

    /// Pushes the report with POST to the group `job` (and `instance`); the URL and families.
    func push(to pushgateway: String, job: String, instance: String?, timeout: Double) async throws
        -> (url: String, families: [String])
    {
        let key = try GroupingKey(job: job, labels: instance.map { [Label("instance", $0)] } ?? [])
        let configuration = PushConfiguration(timeout: .milliseconds(Int64(timeout * 1000)))
        return try await PushgatewayClient.withClient(url: pushgateway, configuration: configuration) { client in
            try await client.add(registry, to: key)
            return (client.url(for: key), families)
        }
    }
}
