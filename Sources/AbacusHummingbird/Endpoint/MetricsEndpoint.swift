public import Abacus
public import AbacusExposition
import Hummingbird
public import Logging
public import ServiceLifecycle
import Synchronization

/// A small HTTP server that serves a registry's exposition and nothing else, for programs that
/// have no web server of their own: a worker, a consumer, a command line tool that runs for a
/// long time. It is a swift-service-lifecycle `Service`, run in the program's `ServiceGroup`:
///
/// ```swift
/// let metrics = MetricsEndpoint(registry: .shared, host: "0.0.0.0", port: 9464)
/// let group = ServiceGroup(
///     services: [worker, metrics], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
///
/// `GET` and `HEAD` on `path` answer as ``ScrapeResponse/make(for:registry:extraLabels:)``
/// does; any other path is `404`. Hummingbird serves it (HTTP/1.1, keep-alive), on its shared
/// event loop group.
///
/// With port 0 the system picks a free port; ``listeningPort()`` tells which.
public final class MetricsEndpoint: Service, Sendable {
    /// The registry exposed.
    public let registry: Registry
    /// The address listened on (`0.0.0.0`: every IPv4 interface).
    public let host: String
    /// The port asked for; 0 lets the system pick one (see ``listeningPort()``).
    public let port: Int
    /// The path of the exposition, `/metrics` by default.
    public let path: String
    /// Labels added to every series (a series' own label of the same name wins).
    public let extraLabels: [Label]
    private let logger: Logger
    private let state = Mutex(ListeningState())

    /// An endpoint serving `registry` at `http://host:port/path`.
    public init(
        registry: Registry = .shared, host: String = "0.0.0.0", port: Int, path: String = "/metrics",
        extraLabels: [Label] = [], logger: Logger = Logger(label: "abacus.metrics-endpoint")
    ) {
        self.registry = registry
        self.host = host
        self.port = port
        self.path = path
        self.extraLabels = extraLabels
        self.logger = logger
    }

    /// Serves until the task is cancelled or the service group shuts down gracefully. Throws
    /// when the address cannot be bound. Run it once.
    public func run() async throws {
        let router = Router()
        router.addMetricsRoute(registry: registry, path: RouterPath(path), extraLabels: extraLabels)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { [self] channel in listening(on: channel.localAddress?.port ?? port) },
            logger: logger)
        do {
            try await app.run()
            stopped(MetricsEndpointError(code: .stopped))
        } catch {
            stopped(MetricsEndpointError(code: .failed(String(describing: error))))
            throw error
        }
    }

    /// The port the endpoint listens on, once it does: waits until ``run()`` has bound its
    /// socket. Throws ``MetricsEndpointError`` when the endpoint stopped or failed before it
    /// listened, and `CancellationError` when the waiting task is cancelled.
    public func listeningPort() async throws -> Int {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let outcome = state.withLock { state -> Result<Int, any Error>? in
                    if let port = state.port { return .success(port) }
                    if let error = state.error { return .failure(error) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    private func listening(on port: Int) {
        logger.info("metrics endpoint listening", metadata: ["address": "\(host):\(port)", "path": "\(path)"])
        let waiters = state.withLock { state in
            state.port = port
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume(returning: port) }
    }

    private func stopped(_ error: MetricsEndpointError) {
        let waiters = state.withLock { state in
            if state.port == nil { state.error = error }
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume(throwing: error) }
    }
}

/// Why ``MetricsEndpoint/listeningPort()`` has no port to give.
public struct MetricsEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Equatable {
        case stopped
        case failed(String)
    }

    let code: Code

    /// The endpoint stopped before it listened.
    public static let stopped = MetricsEndpointError(code: .stopped)

    public var description: String {
        switch code {
        case .stopped: "the metrics endpoint stopped before it listened"
        case .failed(let reason): "the metrics endpoint failed to start: \(reason)"
        }
    }
}

/// What ``MetricsEndpoint`` knows of its socket, and who waits to know it.
private struct ListeningState: ~Copyable {
    var port: Int?
    var error: MetricsEndpointError?
    var waiters: [Int: CheckedContinuation<Int, any Error>] = [:]
    var nextWaiter = 0
}
