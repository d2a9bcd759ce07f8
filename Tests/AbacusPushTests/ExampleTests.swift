import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The examples as users run them: the built executables in child processes, against the real
/// Pushgateway and against `abacus gateway`.
@Suite("Examples: BackupJob and LoadWorker run as processes")
struct ExampleTests {
    // MARK: BackupJob

    /// A success, then a failure: the failure replaces what it pushes and keeps the last success.
    func backupJob(_ baseURL: String) async throws {
        guard let binary = ExampleBinary.require("BackupJobExample") else { return }
        let group = ["job": "backup-test", "instance": "db1"]
        let t0 = Date().timeIntervalSince1970.rounded(.down)
        let success = try await ProcessRunner.run(
            binary, ["--pushgateway", baseURL, "--job", "backup-test", "--instance", "db1", "--records", "1200"])
        let t1 = Date().timeIntervalSince1970.rounded(.up)
        #expect(success.status == 0, "\(success.stdoutText)\(success.stderrText)")
        #expect(success.stdoutText.contains("backup succeeded: 1200 records in "), "\(success.stdoutText)")
        #expect(
            success.stdoutText.contains(
                "pushed backup_duration_seconds, backup_failed, backup_last_completion_timestamp_seconds, "
                    + "backup_last_success_timestamp_seconds, backup_records_processed to "
                    + "\(baseURL)/metrics/job/backup-test/instance/db1 (POST)"), "\(success.stdoutText)")
        var scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("backup_records_processed", group) == 1200, "\(scrape.text)")
        #expect(scrape.value("backup_failed", group) == 0)
        let lastSuccess = try #require(scrape.value("backup_last_success_timestamp_seconds", group))
        #expect(lastSuccess >= t0 && lastSuccess <= t1)
        let duration = try #require(scrape.value("backup_duration_seconds", group))
        #expect(duration > 0 && duration < 3600)
        #expect(scrape.value("backup_last_failure_timestamp_seconds", group) == nil)

        let failure = try await ProcessRunner.run(
            binary,
            ["--pushgateway", baseURL, "--job", "backup-test", "--instance", "db1", "--records", "1200", "--fail"])
        let t2 = Date().timeIntervalSince1970.rounded(.up)
        #expect(failure.status == 1, "\(failure.stdoutText)\(failure.stderrText)")
        #expect(failure.stdoutText.contains("backup failed after 600 records in "), "\(failure.stdoutText)")
        #expect(failure.stdoutText.contains("backup_last_failure_timestamp_seconds"))
        scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("backup_records_processed", group) == 600, "\(scrape.text)")
        #expect(scrape.value("backup_failed", group) == 1)
        #expect(
            scrape.value("backup_last_success_timestamp_seconds", group) == lastSuccess, "POST keeps the last success")
        let lastFailure = try #require(scrape.value("backup_last_failure_timestamp_seconds", group))
        #expect(lastFailure >= lastSuccess && lastFailure <= t2)
        let completion = try #require(scrape.value("backup_last_completion_timestamp_seconds", group))
        // Both set at the end of the failed run, completion first.
        #expect(completion >= lastSuccess && completion <= lastFailure && lastFailure <= t2)
    }

    @Test("BackupJob against the Pushgateway 1.5.1: success, then failure (exit 1) keeping the last success")
    func backupJobPushgateway() async throws {
        _ = try await RealPushgateway.with { server in try await backupJob(server.baseURL) }
    }

    @Test("BackupJob against abacus gateway")
    func backupJobGateway() async throws {
        try await InProcessGateway.with { baseURL, _ in try await backupJob(baseURL) }
    }

    @Test("BackupJob with nothing listening: exit 2 and the reason on stdout")
    func backupJobUnreachable() async throws {
        guard let binary = ExampleBinary.require("BackupJobExample") else { return }
        // Held until the test ends: no gateway of a test running meanwhile can take it.
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        let result = try await ProcessRunner.run(
            binary, ["--pushgateway", "http://127.0.0.1:\(port)", "--timeout", "1"])
        #expect(result.status == 2, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stdoutText.contains("push failed: POST http://127.0.0.1:\(port)/metrics/job/backup: transport"))
    }

    // MARK: LoadWorker

    struct WorkerTotals: Equatable {
        var requests: Double
        var errors: Double
        var count: Double

        /// `requests_total=N requests_error_total=M requests_duration_seconds_count=K` in the output.
        init?(_ output: String) {
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("requests_total=") }) else {
                return nil
            }
            var values: [String: Double] = [:]
            for field in line.split(separator: " ") {
                let parts = field.split(separator: "=")
                if parts.count == 2 { values[String(parts[0])] = Double(parts[1]) }
            }
            guard let requests = values["requests_total"], let errors = values["requests_error_total"],
                let count = values["requests_duration_seconds_count"]
            else { return nil }
            self.requests = requests
            self.errors = errors
            self.count = count
        }
    }

    static let workerSeries = [
        "job": "workload 1", "job_uuid": "uuid-test", "job_type": "write", "agent": "agent-test", "instance": "",
    ]

    /// Runs the worker for 2 s with 0.3 s pushes; the final values on the server must be the
    /// totals it printed.
    func loadWorker(_ baseURL: String) async throws {
        guard let binary = ExampleBinary.require("LoadWorkerExample") else { return }
        let result = try await ProcessRunner.run(
            binary,
            [
                "--export-url", baseURL, "--interval", "0.3", "--duration", "2", "--job-uuid", "uuid-test", "--agent",
                "agent-test", "--rate", "300",
            ])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        let output = result.stdoutText
        #expect(output.contains("load worker: job=workload 1 job_uuid=uuid-test job_type=write agent=agent-test"))
        #expect(
            output.contains("pushing to \(baseURL)/metrics/job@base64/d29ya2xvYWQgMQ==/job_uuid/uuid-test every 0.3 s"))
        let totals = try #require(WorkerTotals(output), "\(output)")
        #expect(totals.requests > 100)
        #expect(totals.count == totals.requests)
        #expect(totals.errors < totals.requests)
        #expect(output.contains("final=ok"), "\(output)")
        let pushes = output.split(separator: "\n").first { $0.hasPrefix("pushes ") }.map(String.init) ?? ""
        let succeeded = Int(pushes.split(separator: " ").first { $0.hasPrefix("succeeded=") }?.dropFirst(10) ?? "") ?? 0
        #expect(succeeded >= 2, "at least one interval push and the final one: \(pushes)")
        #expect(pushes.contains("failed=0"))

        let scrape = try await Scraped.fetch(baseURL)
        let series = Self.workerSeries
        #expect(scrape.value("requests_total", series) == totals.requests, "\(scrape.text)")
        #expect(scrape.value("requests_error_total", series) == totals.errors)
        #expect(scrape.value("requests_duration_seconds_count", series) == totals.count)
        #expect(scrape.value("requests_duration_seconds_bucket", series.merging(["le": "+Inf"]) { $1 }) == totals.count)
        #expect(
            scrape.headers("requests_duration_seconds") == [
                "# HELP requests_duration_seconds Request durations.", "# TYPE requests_duration_seconds histogram",
            ])
    }

    @Test("LoadWorker against abacus gateway: interval pushes, then the final one with the printed totals")
    func loadWorkerGateway() async throws {
        try await InProcessGateway.with { baseURL, _ in try await loadWorker(baseURL) }
    }

    @Test("LoadWorker against the Pushgateway 1.5.1")
    func loadWorkerPushgateway() async throws {
        _ = try await RealPushgateway.with { server in try await loadWorker(server.baseURL) }
    }

    @Test("LoadWorker stopped by SIGTERM: graceful shutdown, final push, exit 0")
    func loadWorkerSigterm() async throws {
        guard let binary = ExampleBinary.require("LoadWorkerExample") else { return }
        try await InProcessGateway.with { baseURL, _ in
            let child = try CapturedChild(
                binary,
                [
                    "--export-url", baseURL, "--interval", "0.2", "--duration", "600", "--job-uuid", "uuid-test",
                    "--agent", "agent-test",
                ])
            defer { child.remove() }
            let pushed = try await eventually {
                try await Scraped.fetch(baseURL).value("requests_total", Self.workerSeries) != nil
            }
            #expect(pushed, "no push arrived: \(child.stdout)\(child.stderr)")
            child.signal(SIGTERM)
            let status = await child.wait()
            #expect(status == 0, "\(child.stdout)\(child.stderr)")
            let totals = try #require(WorkerTotals(child.stdout), "\(child.stdout)")
            let scrape = try await Scraped.fetch(baseURL)
            #expect(scrape.value("requests_total", Self.workerSeries) == totals.requests, "\(scrape.text)")
            #expect(scrape.value("requests_error_total", Self.workerSeries) == totals.errors)
            #expect(child.stdout.contains("final=ok"))
        }
    }
}
