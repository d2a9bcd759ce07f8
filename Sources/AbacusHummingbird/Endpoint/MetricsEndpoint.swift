public import Abacus
public import AbacusExposition
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOSSL
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
///
/// Secured, as Antrea-style components expose their metrics: HTTPS with a certificate and key
/// (``TLS``, optionally requiring client certificates), and a bearer token or a user and
/// password the scraper must present (``ScrapeAuthorization``):
///
/// ```swift
/// let metrics = MetricsEndpoint(
///     port: 9464, tls: .init(certificateFile: "/etc/tls/tls.crt", keyFile: "/etc/tls/tls.key"),
///     authorization: [.bearerTokenFile("/etc/metrics/token")])
/// ```
public final class MetricsEndpoint: Service, Sendable {
    /// HTTPS for the endpoint: PEM files read when ``MetricsEndpoint/run()`` starts.
    public struct TLS: Sendable {
        /// The certificate chain (PEM).
        public var certificateFile: String
        /// Its private key (PEM).
        public var keyFile: String
        /// When set, a client certificate signed by one of these CAs (PEM) is required.
        public var clientCAFile: String?

        public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
        }

        func configuration() throws -> TLSConfiguration {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
            configuration.minimumTLSVersion = .tlsv12
            if let clientCAFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCAFile))
                configuration.certificateVerification = .noHostnameVerification
            }
            return configuration
        }
    }

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
    /// HTTPS, when given.
    public let tls: TLS?
    /// The credentials a scraper must present (one of them); empty: none needed.
    public let authorization: [ScrapeAuthorization]
    private let logger: Logger
    private let state = Mutex(ListeningState())

    /// An endpoint serving `registry` at `http://host:port/path` (`https` with `tls`), to
    /// scrapers presenting one of `authorization` when it is not empty.
    public init(
        registry: Registry = .shared, host: String = "0.0.0.0", port: Int, path: String = "/metrics",
        extraLabels: [Label] = [], tls: TLS? = nil, authorization: [ScrapeAuthorization] = [],
        logger: Logger = Logger(label: "abacus.metrics-endpoint")
    ) {
        self.registry = registry
        self.host = host
        self.port = port
        self.path = path
        self.extraLabels = extraLabels
        self.tls = tls
        self.authorization = authorization
        self.logger = logger
    }

    /// Serves until the task is cancelled or the service group shuts down gracefully. Throws
    /// when the address cannot be bound. Run it once.
    public func run() async throws {
        let router = Router()
        router.addMetricsRoute(
            registry: registry, path: RouterPath(path), extraLabels: extraLabels, authorization: authorization)
        let server: HTTPServerBuilder
        do {
            server = try tls.map { try .tls(.http1(), tlsConfiguration: $0.configuration()) } ?? .http1()
        } catch {
            stopped(MetricsEndpointError(code: .failed("TLS: \(error)")))
            throw error
        }
        let app = Application(
            router: router,
            server: server,
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
        logger.info(
            "metrics endpoint listening",
            metadata: [
                "address": "\(host):\(port)", "path": "\(path)", "tls": "\(tls != nil)",
                "authorization": "\(!authorization.isEmpty)",
            ])
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
