import ArgumentParser

/// A load-generating worker that cannot be scraped: it pushes `requests_total`,
/// `requests_error_total` and `requests_duration_seconds`, labelled with job, job_uuid,
/// job_type and agent, every `--interval` seconds, and once more when it stops.
///
///     swift run LoadWorkerExample --export-url http://127.0.0.1:9091 --interval 5 --duration 30
@main
struct LoadWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "LoadWorkerExample",
        abstract: "Generates simulated load and pushes its metrics at an interval.",
        discussion: """
            --export-url is either a full push URL (a Pushgateway group, .../metrics/job/<JOB>...) \
            or a Pushgateway's base URL, to which /metrics/job/<JOB>/job_uuid/<UUID> is added. \
            After --duration seconds (or on SIGTERM/SIGINT) the worker stops, the pusher makes \
            its final push and the totals are printed.
            """)

    @Option(help: "Where to push: a Pushgateway base URL or a full group URL.")
    var exportURL: String

    @Option(help: "Seconds between pushes.")
    var interval = 5.0

    @Option(help: "Seconds to run before shutting down gracefully.")
    var duration = 30.0

    @Option(help: "The job label.")
    var job = "workload 1"

    @Option(help: "The job_type label.")
    var jobType = "write"

    @Option(help: "The agent label (default: the host name).")
    var agent: String?

    @Option(help: "The job_uuid label (default: a new UUID).")
    var jobUUID: String?

    @Option(help: "Simulated requests per second.")
    var rate = 200.0

    @Option(help: "Fraction of simulated requests that fail.")
    var errorRate = 0.1

    @Option(help: "PUT (replace the group) or POST.")
    var method = "PUT"

    func validate() throws {
        guard interval > 0, duration >= 0, rate > 0, (0...1).contains(errorRate) else {
            throw ValidationError("--interval and --rate must be positive, --error-rate within 0...1")
        }
        guard method == "PUT" || method == "POST" else { throw ValidationError("--method is PUT or POST") }
    }

    func run() async throws {
        let worker = try LoadWorker(
            exportURL: exportURL, interval: interval, duration: duration, job: job, jobType: jobType, agent: agent,
            jobUUID: jobUUID, rate: rate, errorRate: errorRate, method: method == "POST" ? .post : .put)
        try await worker.run()
    }
}
