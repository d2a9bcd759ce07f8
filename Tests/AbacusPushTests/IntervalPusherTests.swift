import Abacus
import AbacusExposition
import AbacusPush
import AbacusTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("IntervalPusher: a Service that pushes at an interval and once more on graceful shutdown")
struct IntervalPusherTests {
    static let job = JobLabels(job: "workload 1", jobType: "write", agent: "test-agent", jobUUID: "run-1")
    static var series: [String: String] {
        ["job": "workload 1", "job_uuid": "run-1", "job_type": "write", "agent": "test-agent", "instance": ""]
    }

    static func logger() -> Logger {
        var logger = Logger(label: "test.interval")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `pusher` in a service group while `body` runs, then shuts the group down gracefully
    /// and waits for it.
    static func running(_ pusher: IntervalPusher, body: () async throws -> Void) async throws {
        let group = ServiceGroup(services: [pusher], logger: logger())
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("pushes every interval to abacus gateway with the job labels on every series, gzip-compressed")
    func pushesAtTheInterval() async throws {
        try await InProcessGateway.with { baseURL, _ in
            let registry = Registry(processMetrics: false)
            let requests = try registry.counter("requests_total", help: "Requests.")
            let key = try GroupingKey(job: Self.job.job, labels: [Label("job_uuid", Self.job.jobUUID)])
            let pusher = IntervalPusher(
                registry: registry,
                configuration: .init(
                    exportURL: PushgatewayClient.groupURL(base: baseURL, key: key), exportInterval: .milliseconds(100),
                    extraLabels: Self.job.labels),
                logger: Self.logger())
            #expect(pusher.configuration.push.compression == .gzip)
            try await Self.running(pusher) {
                requests.increment(by: 3)
                var scrape = try await Scraped.poll(baseURL) { $0.value("requests_total", Self.series) == 3 }
                #expect(scrape.value("requests_total", Self.series) == 3, "\(scrape.text)")
                requests.increment(by: 2)
                scrape = try await Scraped.poll(baseURL) { $0.value("requests_total", Self.series) == 5 }
                #expect(scrape.value("requests_total", Self.series) == 5, "\(scrape.text)")
            }
            #expect(pusher.statistics.succeeded >= 3)
            #expect(pusher.statistics.failed == 0)
            #expect(pusher.statistics.finalPushSucceeded)
        }
    }

    @Test("graceful shutdown makes a final push with the last values (an hour-long interval never ticks)")
    func finalPushOnGracefulShutdown() async throws {
        try await InProcessGateway.with { baseURL, _ in
            let registry = Registry(processMetrics: false)
            let requests = try registry.counter("requests_total", help: "Requests.")
            let errors = try registry.counter("requests_error", help: "Failed requests.")
            let durations = try registry.histogram(
                "requests_duration_seconds", help: "Durations.", buckets: [0.01, 0.1])
            let key = try GroupingKey(job: Self.job.job, labels: [Label("job_uuid", Self.job.jobUUID)])
            let pusher = IntervalPusher(
                registry: registry,
                configuration: .init(
                    exportURL: PushgatewayClient.groupURL(base: baseURL, key: key), exportInterval: .seconds(3600),
                    extraLabels: Self.job.labels),
                logger: Self.logger())
            try await Self.running(pusher) {
                requests.increment(by: 7)
                errors.increment(by: 2)
                for value in [0.005, 0.05, 0.5] { durations.observe(value) }
                let before = try await Scraped.fetch(baseURL)
                #expect(before.value("requests_total", Self.series) == nil)
            }
            #expect(pusher.statistics.succeeded == 1)
            #expect(pusher.statistics.finalPushSucceeded)
            let scrape = try await Scraped.fetch(baseURL)
            #expect(scrape.value("requests_total", Self.series) == 7, "\(scrape.text)")
            #expect(scrape.value("requests_error_total", Self.series) == 2)
            #expect(scrape.value("requests_duration_seconds_bucket", Self.series.merging(["le": "0.01"]) { $1 }) == 1)
            #expect(scrape.value("requests_duration_seconds_bucket", Self.series.merging(["le": "0.1"]) { $1 }) == 2)
            #expect(scrape.value("requests_duration_seconds_bucket", Self.series.merging(["le": "+Inf"]) { $1 }) == 3)
            #expect(scrape.value("requests_duration_seconds_count", Self.series) == 3)
            #expect(scrape.value("requests_duration_seconds_sum", Self.series) == 0.555)
        }
    }

    @Test("a failed push is counted and retried at the next tick; the service keeps running")
    func retriesAfterFailure() async throws {
        let server = try RecordingServer(replies: [.status(500, "boom"), .status(500, "boom again")])
        let registry = Registry(processMetrics: false)
        try registry.gauge("retry_gauge", help: "A gauge.").set(1)
        let pusher = IntervalPusher(
            registry: registry,
            configuration: .init(
                exportURL: server.baseURL + "/metrics/job/retry", exportInterval: .milliseconds(50), method: .post,
                extraLabels: [Label("run", "r")]),
            logger: Self.logger())
        try await Self.running(pusher) {
            let seen = try await server.waitForRequests(3)
            #expect(seen.count >= 3)
            let succeeded = try await eventually { pusher.statistics.succeeded >= 1 }
            #expect(succeeded)
        }
        await server.stop()
        let statistics = pusher.statistics
        #expect(statistics.failed == 2)
        #expect(statistics.succeeded >= 2)  // at least one tick after the failures, and the final push
        #expect(statistics.lastError?.status == 500)
        #expect(statistics.lastError?.body == "boom again")
        let requests = server.requests
        #expect(requests.allSatisfy { $0.method == "POST" && $0.path == "/metrics/job/retry" })
        #expect(requests.allSatisfy { $0.headers["content-encoding"] == "gzip" })
        let body = try await Gzip.decompress(requests[0].body)
        #expect(
            String(decoding: body, as: UTF8.self)
                == "# HELP retry_gauge A gauge.\n# TYPE retry_gauge gauge\nretry_gauge{run=\"r\"} 1\n")
    }

    @Test("cancellation without graceful shutdown returns at once, without a final push")
    func cancellationSkipsTheFinalPush() async throws {
        let server = try RecordingServer()
        let pusher = IntervalPusher(
            registry: Registry(processMetrics: false),
            configuration: .init(exportURL: server.baseURL + "/metrics/job/cancel", exportInterval: .seconds(3600)),
            logger: Self.logger())
        let task = Task { try await pusher.run() }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        try await task.value
        await server.stop()
        #expect(server.requests.isEmpty)
        #expect(pusher.statistics.succeeded == 0)
        #expect(pusher.statistics.failed == 0)
    }

    @Test("nothing listening: every push fails, the shutdown still completes and says so")
    func unreachableTarget() async throws {
        // Held until the test ends: no gateway of a test running meanwhile can take it.
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        let pusher = IntervalPusher(
            registry: Registry(processMetrics: false),
            configuration: .init(
                exportURL: "http://127.0.0.1:\(port)/metrics/job/none", exportInterval: .milliseconds(50),
                push: PushConfiguration(timeout: .milliseconds(500))),
            logger: Self.logger())
        try await Self.running(pusher) {
            let failed = try await eventually { pusher.statistics.failed >= 2 }
            #expect(failed)
        }
        #expect(pusher.statistics.succeeded == 0)
        #expect(!pusher.statistics.finalPushSucceeded)
        #expect(pusher.statistics.lastError?.code == .transport)
    }
}
