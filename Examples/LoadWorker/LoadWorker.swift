import Abacus
import AbacusExposition
import AbacusPush
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The worker: a load generator and an ``IntervalPusher`` in one service group. When the load
/// generator finishes, the group shuts down gracefully, and the pusher makes its final push.
struct LoadWorker {
    let labels: JobLabels
    let exportURL: String
    let interval: Double
    let duration: Double
    let rate: Double
    let errorRate: Double
    let method: PushMethod
    let registry = Registry(processMetrics: false)

    init(
        exportURL: String, interval: Double, duration: Double, job: String, jobType: String, agent: String?,
        jobUUID: String?, rate: Double, errorRate: Double, method: PushMethod
    ) throws {
        labels = JobLabels(
            job: job, jobType: jobType, agent: agent ?? JobLabels.hostName, jobUUID: jobUUID ?? JobLabels.makeUUID())
        self.exportURL = try Self.pushURL(exportURL, labels: labels)
        self.interval = interval
        self.duration = duration
        self.rate = rate
        self.errorRate = errorRate
        self.method = method
    }

    /// `url` as is when it names a push path; otherwise the group job/<job>/job_uuid/<uuid>
    /// under it.
    static func pushURL(_ url: String, labels: JobLabels) throws -> String {
        if url.contains("/metrics/") { return url }
        let key = try GroupingKey(job: labels.job, labels: [Label("job_uuid", labels.jobUUID)])
        return PushgatewayClient.groupURL(base: url, key: key)
    }

    func run() async throws {
        var logger = Logger(label: "load-worker")
        logger.logLevel = .warning
        let load = LoadGenerator(
            registry: try LoadMetrics(registry: registry), duration: duration, rate: rate, errorRate: errorRate)
        let pusher = IntervalPusher(
            registry: registry,
            configuration: .init(
                exportURL: exportURL, exportInterval: .milliseconds(Int64(interval * 1000)), method: method,
                extraLabels: labels.labels),
            logger: logger)
        print(
            "load worker: job=\(labels.job) job_uuid=\(labels.jobUUID) job_type=\(labels.jobType) "
                + "agent=\(labels.agent)")
        print("pushing to \(exportURL) every \(interval) s (\(method.rawValue), gzip) for \(duration) s")
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // A group shuts its services down in reverse order: the load stops first, then the
                // pusher makes its final push with the last values.
                services: [
                    .init(service: pusher),
                    .init(service: load, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        let statistics = pusher.statistics
        let totals = load.metrics
        print(
            "requests_total=\(Self.integer(totals.requests.value)) "
                + "requests_error_total=\(Self.integer(totals.errors.value)) "
                + "requests_duration_seconds_count=\(totals.durations.count)")
        print(
            "pushes succeeded=\(statistics.succeeded) failed=\(statistics.failed) "
                + "final=\(statistics.finalPushSucceeded ? "ok" : "failed")")
        if let error = statistics.lastError { print("last push error: \(error)") }
    }

    static func integer(_ value: Double) -> String { String(Int64(value)) }
}

/// The workload's instruments.
struct LoadMetrics: Sendable {
    let requests: AbacusCounter
    let errors: AbacusCounter
    let durations: AbacusHistogram

    init(registry: Registry) throws {
        requests = try registry.counter("requests_total", help: "Requests made.")
        errors = try registry.counter("requests_error", help: "Requests that failed.")
        durations = try registry.histogram(
            "requests_duration_seconds", help: "Request durations.",
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1])
    }
}

/// Makes simulated requests at `rate` per second for `duration` seconds, or until graceful
/// shutdown.
struct LoadGenerator: Service {
    let metrics: LoadMetrics
    let duration: Double
    let rate: Double
    let errorRate: Double

    init(registry metrics: LoadMetrics, duration: Double, rate: Double, errorRate: Double) {
        self.metrics = metrics
        self.duration = duration
        self.rate = rate
        self.errorRate = errorRate
    }

    func run() async throws {
        let metrics = metrics
        let (rate, errorRate) = (rate, errorRate)
        let end = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
        try? await cancelWhenGracefulShutdown {
            let tick = Duration.milliseconds(20)
            var owed = 0.0
            var next = ContinuousClock.now
            while next < end {
                owed += rate * 0.02
                while owed >= 1 {
                    owed -= 1
                    metrics.requests.increment()
                    // Exponentially distributed latency, mean 8 ms.
                    let latency = -0.008 * log(1 - Double.random(in: 0..<1))
                    metrics.durations.observe(latency)
                    if Double.random(in: 0..<1) < errorRate { metrics.errors.increment() }
                }
                next += tick
                try await Task.sleep(until: min(next, end), clock: .continuous)
            }
        }
    }
}
