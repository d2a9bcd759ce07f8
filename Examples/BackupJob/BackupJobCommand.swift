import ArgumentParser

/// The classic Pushgateway example: a backup job that records how its run went and pushes it
/// when it ends. Prometheus then alerts when `backup_last_success_timestamp_seconds` is too old.
///
///     swift run BackupJobExample --pushgateway http://127.0.0.1:9091 --job backup
///     swift run BackupJobExample --pushgateway http://127.0.0.1:9091 --job backup --fail
@main
struct BackupJobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "BackupJobExample",
        abstract: "Runs a simulated backup and pushes its outcome to a Pushgateway.",
        discussion: """
            The metrics are pushed with POST (add), so a failed run replaces the duration, the \
            record count and the failure flag but keeps the time of the last success. Exits 1 \
            when the backup fails and 2 when the push fails.
            """)

    @Option(help: "The Pushgateway's base URL.")
    var pushgateway = "http://127.0.0.1:9091"

    @Option(help: "The job name (the grouping key's job label).")
    var job = "backup"

    @Option(help: "An instance label for the grouping key (none by default).")
    var instance: String?

    @Option(help: "The number of records the simulated backup processes.")
    var records = 1000

    @Flag(help: "Make the simulated backup fail halfway.")
    var fail = false

    @Option(help: "Seconds the push may take.")
    var timeout = 10.0

    func run() async throws {
        let backup = BackupRun(records: records, failing: fail)
        let outcome = await backup.perform()
        let report = try BackupReport(outcome: outcome)
        switch outcome.result {
        case .success:
            print("backup succeeded: \(outcome.processed) records in \(outcome.formattedDuration) s")
        case .failure(let reason):
            print("backup failed after \(outcome.processed) records in \(outcome.formattedDuration) s: \(reason)")
        }
        do {
            let pushed = try await report.push(to: pushgateway, job: job, instance: instance, timeout: timeout)
            print("pushed \(pushed.families.joined(separator: ", ")) to \(pushed.url) (POST)")
        } catch {
            print("push failed: \(error)")
            throw ExitCode(2)
        }
        if case .failure = outcome.result { throw ExitCode(1) }
    }
}
