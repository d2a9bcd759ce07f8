public import Abacus
public import AbacusExposition
public import AsyncHTTPClient
public import Logging
import NIOHTTP1
public import ServiceLifecycle
import Synchronization

/// Pushes the whole registry to a URL every ``Configuration/exportInterval``, and once more on
/// graceful shutdown: push export for programs that cannot be scraped, as a swift-service-lifecycle
/// `Service`.
///
/// ```swift
/// let job = JobLabels(job: "workload 1", jobType: "write")
/// let pusher = IntervalPusher(
///     registry: registry,
///     configuration: .init(
///         exportURL: "http://pushgateway:9091/metrics/job/workload/job_uuid/\(job.jobUUID)",
///         exportInterval: .seconds(10), extraLabels: job.labels))
/// // A group shuts its services down in reverse order: list the pusher before the services
/// // whose metrics it pushes, so they stop first and the final push has their last values.
/// let group = ServiceGroup(
///     configuration: .init(services: [pusher, app], gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
///
/// - Every push sends the whole registry with ``Configuration/extraLabels`` on every series, in
///   the configured format, gzip-compressed by default.
/// - A failed push is logged (warning) and counted in ``statistics``; the next tick pushes the
///   registry again. Nothing a server answers stops the service.
/// - On graceful shutdown the wait is cut short and one final push sends the last values; then
///   ``run()`` returns. On cancellation (no graceful shutdown) it returns at once, without it.
/// - Ticks are on a fixed schedule (interval after interval from the start); a push slower than
///   the interval skips the ticks it overran.
public final class IntervalPusher: Service, Sendable {
    /// What, where and how often to push.
    public struct Configuration: Sendable {
        /// The URL every push goes to, e.g. a Pushgateway group
        /// (`http://host:9091/metrics/job/<JOB>{/<LABEL>/<VALUE>}`; see
        /// ``PushgatewayClient/groupURL(base:key:)``) or `abacus gateway`'s.
        public var exportURL: String
        /// Time between pushes (default 15 s).
        public var exportInterval: Duration
        /// `PUT` (default: the group holds exactly the registry) or `POST`.
        public var method: PushMethod
        /// Labels added to every series (a series' own label of the same name wins), e.g.
        /// ``JobLabels/labels``.
        public var extraLabels: [Label]
        /// Whether graceful shutdown makes one last push (default `true`).
        public var pushOnShutdown: Bool
        /// The HTTP side: timeout, credentials, format, compression (default gzip), TLS.
        public var push: PushConfiguration

        /// Creates a configuration; every argument but `exportURL` has the documented default.
        public init(
            exportURL: String, exportInterval: Duration = .seconds(15), method: PushMethod = .put,
            extraLabels: [Label] = [], pushOnShutdown: Bool = true,
            push: PushConfiguration = PushConfiguration(compression: .gzip)
        ) {
            self.exportURL = exportURL
            self.exportInterval = exportInterval
            self.method = method
            self.extraLabels = extraLabels
            self.pushOnShutdown = pushOnShutdown
            self.push = push
        }
    }

    /// The configuration.
    public let configuration: Configuration
    /// The registry pushed.
    public let registry: Registry
    private let httpClient: HTTPClient?
    private let logger: Logger
    private let counts = Mutex(PushStatistics())

    /// A pusher of `registry`. Without `httpClient` it makes one when ``run()`` starts and shuts
    /// it down when ``run()`` ends; a client passed in is used as is and never shut down here.
    /// `exportInterval` must be positive (a programmer error otherwise).
    public init(
        registry: Registry = .shared, configuration: Configuration, httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "abacus.push.interval")
    ) {
        precondition(configuration.exportInterval > .zero, "IntervalPusher: exportInterval must be positive")
        self.registry = registry
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Pushes and failures so far.
    public var statistics: PushStatistics { counts.withLock { $0 } }

    /// Pushes every interval until graceful shutdown (then pushes once more) or cancellation.
    /// Never throws for a failed push.
    public func run() async throws {
        let transport = PushTransport(configuration: configuration.push, httpClient: httpClient, logger: logger)
        logger.info(
            "interval push started",
            metadata: [
                "url": "\(configuration.exportURL)", "interval": "\(configuration.exportInterval)",
                "method": "\(configuration.method.rawValue)",
            ])
        let interval = configuration.exportInterval
        var next = ContinuousClock.now + interval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let deadline = next
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(until: deadline, clock: .continuous)
                }
            } catch {
                break  // graceful shutdown or cancellation
            }
            await pushOnce(transport, final: false)
            let now = ContinuousClock.now
            next += interval
            if next <= now {
                let missed = (now - next) / interval
                next += interval * (Int(missed) + 1)
            }
        }
        if !Task.isCancelled && configuration.pushOnShutdown {
            await pushOnce(transport, final: true)
        }
        do {
            try await transport.shutdown()
        } catch {
            logger.debug("HTTP client shutdown failed", metadata: ["error": "\(error)"])
        }
        logger.info("interval push stopped", metadata: ["url": "\(configuration.exportURL)"])
    }

    /// One push of the registry; the outcome is logged and counted, never thrown.
    private func pushOnce(_ transport: PushTransport, final: Bool) async {
        let format: ExpositionFormat = configuration.push.format == .protobuf ? .protobuf : .text
        let body = registry.exposition(format: format, extraLabels: configuration.extraLabels)
        do {
            try await transport.send(HTTPMethod(configuration.method), url: configuration.exportURL, body: body)
            counts.withLock { counts in
                counts.succeeded += 1
                if final { counts.finalPushSucceeded = true }
            }
            logger.debug("pushed", metadata: ["url": "\(configuration.exportURL)", "final": "\(final)"])
        } catch {
            counts.withLock { counts in
                counts.failed += 1
                counts.lastError = error
            }
            logger.warning(
                final ? "final push failed" : "push failed; retrying at the next interval",
                metadata: ["url": "\(configuration.exportURL)", "error": "\(error)"])
        }
    }
}

/// What an ``IntervalPusher`` has done so far.
public struct PushStatistics: Sendable {
    /// Pushes the server accepted (2xx).
    public var succeeded = 0
    /// Pushes that failed (an answer outside 2xx, a timeout, a connection error).
    public var failed = 0
    /// Whether the push made on graceful shutdown was accepted.
    public var finalPushSucceeded = false
    /// The last failure, if any.
    public var lastError: PushError?

    /// No pushes yet.
    public init() {}
}
