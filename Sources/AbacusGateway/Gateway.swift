import AbacusExposition
import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals

/// What every handler shares: configuration, store, journal, metrics, logger, readiness.
public final class GatewayCore: Sendable {
    public let configuration: GatewayConfiguration
    public let store: GroupStore
    let journal: Journal?
    let metrics: GatewayMetrics
    let logger: Logger
    /// `--web.config.file` and `--web.auth.file`, when given.
    public let security: GatewaySecurity?
    /// Set when shutdown begins: `/-/ready` answers 503.
    let draining = Atomic<Bool>(false)
    /// Set once the ops listeners are bound: `/-/ready` answers 503 before.
    let listenersReady = Atomic<Bool>(false)
    /// Set when the restored state holds UTF-8 names (stored while `--push.enable-utf8-names`
    /// was on): scrapes then escape them for scrapers that do not read them, flag or not.
    let restoredUTF8NamesFlag = Atomic<Bool>(false)
    var restoredUTF8Names: Bool { restoredUTF8NamesFlag.load(ordering: .relaxed) }
    let startMs: Int64
    /// The time of day (``GatewayConfiguration/clock``).
    var clock: GatewayClock { configuration.clock }
    let shutdown = Mutex<(@Sendable () -> Void)?>(nil)
    /// Fired by a second SIGTERM/SIGINT: the `--shutdown-delay` ends at once.
    let delayCut = OneShotEvent()

    init(configuration: GatewayConfiguration, journal: Journal?, security: GatewaySecurity?, logger: Logger) {
        self.configuration = configuration
        self.journal = journal
        self.security = security
        self.logger = logger
        startMs = configuration.clock.nowMs()
        metrics = GatewayMetrics(version: configuration.version)
        if let security { metrics.securityCounts.withLock { $0 = { security.counts.withLock { $0 } } } }
        store = GroupStore(
            limits: configuration.limits, journal: journal, ownFamilies: GatewayMetrics.names,
            checksConsistency: !configuration.disableConsistencyCheck)
    }

    /// Set by the first ``requestShutdown()``.
    let shutdownRequested = Atomic<Bool>(false)

    /// `/-/quit`, a `shutdown` op, SIGTERM: starts the graceful shutdown.
    func requestShutdown() {
        shutdownRequested.store(true, ordering: .relaxed)
        let trigger = shutdown.withLock { $0 }
        trigger?()
    }

    /// Ends a `--shutdown-delay` that is running (or the next one) at once: what a second
    /// SIGTERM or SIGINT does.
    public func endShutdownDelay() {
        delayCut.fire()
    }

    /// Waits for the commit of `ticket`; a 500 response if it failed, `nil` when committed (or
    /// in memory mode).
    func waitCommitted(_ ticket: Journal.Ticket?) async -> Response? {
        guard let ticket, let journal else { return nil }
        do {
            try await journal.waitCommitted(ticket)
            return nil
        } catch {
            return Response(
                status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "\(error); the push is served but not durable\n")))
        }
    }
}

/// The gateway as a library: builds the store (restoring it from storage), the HTTP server and
/// the background services, and runs them until SIGTERM/SIGINT, `/-/quit` or cancellation.
///
/// Shutdown order: `/-/ready` turns 503; the HTTP server stops accepting and finishes the
/// requests in flight; expiry stops; the journal commits what is left. Then ``run()`` returns.
public final class GatewayServer: Sendable {
    public let core: GatewayCore
    let storage: SQLiteStorage?
    let listening = Mutex<(port: Int?, waiters: [CheckedContinuation<Int, Never>])>((nil, []))
    let opsPorts = Mutex<(ports: OpsPorts?, waiters: [CheckedContinuation<OpsPorts, Never>])>((nil, []))
    let stoppedEvent = OneShotEvent()

    /// Returns once ``run(handleSignals:)`` has returned (at once if it already has): the
    /// gateway stopped, by a signal, `/-/quit`, a `shutdown` op or cancellation. Returns early
    /// if the waiting task is cancelled.
    public func stopped() async {
        await stoppedEvent.wait()
    }

    /// The ports the ops listeners bound (useful with port 0), once they are.
    public struct OpsPorts: Sendable {
        public var udp: Int?
        public var tcp: Int?
    }

    /// The ops listeners' ports, once they listen.
    public func opsListening() async -> OpsPorts {
        await withCheckedContinuation { continuation in
            let ports = opsPorts.withLock { state -> OpsPorts? in
                if let ports = state.ports { return ports }
                state.waiters.append(continuation)
                return nil
            }
            if let ports { continuation.resume(returning: ports) }
        }
    }

    func opsBound(_ ports: OpsPorts) {
        let waiters = opsPorts.withLock { state in
            state.ports = ports
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: ports) }
    }

    /// Opens storage (unless `:memory:`) and restores every stored group. Throws when the
    /// database cannot be opened or read.
    public init(configuration: GatewayConfiguration, logger: Logger) throws {
        var security: GatewaySecurity?
        if configuration.webConfigFile != nil || configuration.authFile != nil {
            security = try GatewaySecurity(
                webConfigPath: configuration.webConfigFile, authFilePath: configuration.authFile, logger: logger)
        }
        if configuration.inMemory {
            storage = nil
            core = GatewayCore(configuration: configuration, journal: nil, security: security, logger: logger)
        } else {
            let storage = try SQLiteStorage(path: configuration.storagePath, synchronous: configuration.synchronous)
            self.storage = storage
            core = GatewayCore(configuration: configuration, journal: Journal(), security: security, logger: logger)
            try restore(from: storage)
        }
    }

    func restore(from storage: SQLiteStorage) throws {
        let start = ContinuousClock.now
        let nowMs = core.clock.nowMs()
        var restored = 0
        var skipped = 0
        var expired = 0
        for row in try storage.rows() {
            // Expired while the gateway was down: not restored, and its row is deleted (the
            // journal writer commits the deletion when it starts).
            if let deadlineMs = row.deadlineMs, deadlineMs <= nowMs {
                _ = core.journal?.enqueue(.delete(row.path))
                expired += 1
                continue
            }
            do {
                let key = try Self.storedKey(row.path)
                let families = try TextParser.parse(row.exposition, names: .utf8)
                if !core.configuration.utf8Names, !core.restoredUTF8Names,
                    key.labels.contains(where: { !NameRules.isValidLabelName($0.name) })
                        || ScrapeRenderer.hasQuotedNames(row.exposition)
                {
                    core.restoredUTF8NamesFlag.store(true, ordering: .relaxed)
                }
                // A row stored under another path than its group's (written before labels with
                // empty values were dropped) moves to the group's path.
                let moved = key.groupPath != row.path
                let kept = try core.store.restore(
                    key: key, families: families, pushTime: row.pushTime, failureTime: row.failureTime,
                    deadlineMs: row.deadlineMs, nowMs: nowMs, rewrite: moved)
                if moved {
                    _ = core.journal?.enqueue(.delete(row.path))
                    core.logger.notice(
                        "stored group moved to the path of its key (a label with an empty value is no label)",
                        metadata: ["from": "\(row.path)", "to": "\(key.groupPath)", "kept": "\(kept)"])
                }
                restored += 1
            } catch {
                skipped += 1
                core.logger.error(
                    "stored group cannot be read; skipped", metadata: ["path": "\(row.path)", "error": "\(error)"])
            }
        }
        var seriesRestored = 0
        var seriesExpired: [String] = []
        let ttl = core.configuration.ops.metricTTLMs
        for row in try storage.seriesRows() {
            if let ttl, row.updatedMs <= nowMs - ttl {
                seriesExpired.append(row.key)
                continue
            }
            if let problem = core.store.restoreSeries(row) {
                skipped += 1
                core.logger.error(
                    "stored series cannot be read; skipped", metadata: ["key": "\(row.key)", "error": "\(problem)"])
            } else {
                seriesRestored += 1
                if !core.configuration.utf8Names, ScrapeRenderer.hasQuotedNames(row.exposition) {
                    core.restoredUTF8NamesFlag.store(true, ordering: .relaxed)
                }
            }
        }
        core.store.clearDirty()
        if !seriesExpired.isEmpty { _ = core.journal?.enqueue(series: [], deleting: seriesExpired) }
        let counts = core.store.counts
        core.logger.info(
            "storage restored",
            metadata: [
                "path": "\(storage.path)", "groups": "\(counts.groups)", "series": "\(counts.lines)",
                "skipped": "\(skipped)", "expired": "\(expired + seriesExpired.count)",
                "rows": "\(restored + skipped + expired)", "aggregated": "\(seriesRestored)",
                "seconds": "\((ContinuousClock.now - start).seconds)",
            ])
    }

    /// The grouping key of a stored row. A row is stored under its key's `groupPath`, which
    /// writes UTF-8 label names (and legacy ones starting with `U__`) in the `U__` escaping:
    /// read with UTF-8 names, it gives back that path. A row that does not (stored by an
    /// earlier version: a legacy `U__x` name written as is, an empty label value) is read with
    /// the legacy rules those versions had, when they take it.
    static func storedKey(_ path: String) throws -> GroupingKey {
        let wide = try? GroupingKey.parse(path: path, names: .utf8)
        if let wide, wide.groupPath == path { return wide }
        if let legacy = try? GroupingKey.parse(path: path) { return legacy }
        if let wide { return wide }
        return try GroupingKey.parse(path: path, names: .utf8)
    }

    /// The port the HTTP server listens on, once it does.
    public func port() async -> Int {
        await withCheckedContinuation { continuation in
            let port = listening.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let port { continuation.resume(returning: port) }
        }
    }

    /// Runs until SIGTERM/SIGINT (when `handleSignals`), `/-/quit`, or cancellation of the task.
    public func run(handleSignals: Bool = true) async throws {
        defer { stoppedEvent.fire() }
        let core = core
        let configuration = core.configuration
        let ingest = OpsIngest(core: core)
        var server = HTTPServerBuilder.http1()
        if let security = core.security, security.servesTLS {
            let logger = core.logger
            server = HTTPServerBuilder { responder in
                ReloadableTLSChannel(
                    base: HTTP1Channel(responder: responder), current: { security.currentTLS },
                    refused: { reason in
                        security.counts.withLock { $0.tlsRefusals += 1 }
                        logger.notice("TLS client refused", metadata: ["reason": "\(reason)"])
                    })
            }
        }
        let app = Application(
            router: GatewayRouter.make(core: core, ops: ingest),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? configuration.port
                core.logger.info(
                    "listening",
                    metadata: [
                        "address": "\(configuration.host):\(port)", "storage": "\(configuration.storagePath)",
                        "tls": "\(core.security?.servesTLS ?? false)",
                        "auth": "\(core.security?.current.authEnabled ?? false)",
                    ])
                let waiters = self.listening.withLock { state in
                    state.port = port
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume(returning: port) }
            },
            logger: core.logger)
        var services: [any Service] = []
        if let storage, let journal = core.journal {
            services.append(
                JournalWriter(journal: journal, storage: storage, logger: core.logger, metrics: core.metrics))
        }
        services.append(AggregateFlushService(core: core))
        services.append(ExpiryService(core: core))
        if let security = core.security {
            services.append(
                SecurityReloadService(security: security, intervalMs: configuration.securityReloadIntervalMs))
        }
        services.append(OpsListenerService(server: self, ingest: ingest))
        services.append(app)
        if configuration.shutdownDelayMs > 0 { services.append(ShutdownDelayService(core: core)) }
        services.append(ReadinessService(core: core))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map {
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: $0,
                        successTerminationBehavior: $0 is ReadinessService || $0 is ShutdownDelayService
                            ? .ignore : .cancelGroup)
                },
                logger: core.logger))
        core.shutdown.withLock { $0 = { Task { await group.triggerGracefulShutdown() } } }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if handleSignals {
                let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
                tasks.addTask { await Self.handle(signals, core: core) }
            }
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            // The service group ends first; the signal task only ends by cancellation.
            try await tasks.next()
        }
        core.logger.info("stopped")
    }

    /// SIGTERM or SIGINT starts the graceful shutdown; one that comes while the gateway is
    /// already shutting down (after a signal, a `shutdown` op or `/-/quit`) ends
    /// `--shutdown-delay` at once: the operator does not want to wait for a last scrape.
    static func handle(_ signals: UnixSignalsSequence, core: GatewayCore) async {
        for await signal in signals {
            if core.shutdownRequested.load(ordering: .relaxed) {
                core.logger.info(
                    "signal received while shutting down: ending the shutdown delay", metadata: ["signal": "\(signal)"])
                core.endShutdownDelay()
            } else {
                core.logger.info("signal received: shutting down", metadata: ["signal": "\(signal)"])
                core.requestShutdown()
            }
        }
    }
}

/// Re-reads `--web.config.file` and `--web.auth.file` (and the certificates they name) when
/// they change, checked every second, and at once on SIGHUP.
struct SecurityReloadService: Service {
    let security: GatewaySecurity
    let intervalMs: Int64

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await _ in signals { security.reloadIfChanged(force: true) }
                }
                tasks.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(intervalMs))
                        security.reloadIfChanged()
                    }
                }
                await tasks.next()
                tasks.cancelAll()
            }
        }
    }
}

/// Deletes expired groups, and aggregated series past `--metric-ttl`, four times a second,
/// with or without traffic.
struct ExpiryService: Service {
    let core: GatewayCore

    func run() async throws {
        let ttl = core.configuration.ops.metricTTLMs
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                let now = core.clock.nowMs()
                core.metrics.countExpired(core.store.expire(nowMs: now))
                if let ttl { core.metrics.countExpiredSeries(core.store.expireAggregate(nowMs: now, ttlMs: ttl)) }
            }
        }
    }
}

/// Hands the aggregated series changed by socket ops to the journal every
/// `--ops.commit-interval` (the durability window of one-way transports), and once more at
/// shutdown, after the listeners stopped and before the journal writer drains.
struct AggregateFlushService: Service {
    let core: GatewayCore

    func run() async throws {
        let interval = core.configuration.ops.commitIntervalMs
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(interval))
                core.store.flushAggregate()
            }
        }
        core.store.flushAggregate()
    }
}

/// `--shutdown-delay`: told of the shutdown after `/-/ready` turned 503 and before the HTTP
/// server stops, it waits the delay on the gateway's clock, so `/metrics` (and the ops
/// listeners) keep serving for a last scrape. A second signal
/// (``GatewayCore/endShutdownDelay()``) ends the wait at once.
struct ShutdownDelayService: Service {
    let core: GatewayCore

    func run() async throws {
        try? await gracefulShutdown()
        let delay = core.configuration.shutdownDelayMs
        core.logger.info("shutting down after the delay", metadata: ["delay_ms": "\(delay)"])
        let clock = core.clock
        let cut = core.delayCut
        await withTaskGroup(of: Void.self) { wait in
            wait.addTask { await clock.sleep(milliseconds: delay) }
            wait.addTask { await cut.wait() }
            await wait.next()
            wait.cancelAll()
        }
    }
}

/// Fires once; ``wait()`` returns when it has fired (at once if it already had) or when the
/// waiting task is cancelled.
final class OneShotEvent: Sendable {
    private let state = Mutex<(fired: Bool, nextID: Int, waiters: [Int: CheckedContinuation<Void, Never>])>(
        (false, 0, [:]))

    func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

/// Runs the ops listeners (UDP, Unix sockets, TCP) until shutdown; stops them after the HTTP
/// server, so the last messages sent during `--shutdown-delay` are still taken.
struct OpsListenerService: Service {
    let server: GatewayServer
    let ingest: OpsIngest

    func run() async throws {
        let core = server.core
        let ops = core.configuration.ops
        var udp: UDPListener?
        let streams: StreamListeners
        do {
            if let address = ops.udpAddress {
                let listener = try UDPListener(
                    address: address, receiveBuffer: ops.udpReceiveBufferBytes, ingest: ingest)
                listener.start()
                udp = listener
                core.metrics.udpDrops.withLock { $0 = { listener.drops() } }
                core.logger.info(
                    "ops listening",
                    metadata: [
                        "transport": "udp", "address": "\(ListenAddress(host: address.host, port: listener.port))",
                        "receive_buffer": "\(listener.receiveBufferBytes)",
                    ])
            }
            streams = try await StreamListeners.start(ingest: ingest, group: MultiThreadedEventLoopGroup.singleton)
        } catch {
            await udp?.stop()
            core.logger.critical("cannot start the ops listeners", metadata: ["error": "\(error)"])
            throw error
        }
        for path in streams.unixPaths {
            core.logger.info("ops listening", metadata: ["transport": "unix", "path": "\(path)"])
        }
        if let port = streams.tcpPort, let address = ops.tcpAddress {
            core.logger.info(
                "ops listening",
                metadata: ["transport": "tcp", "address": "\(ListenAddress(host: address.host, port: port))"])
        }
        server.opsBound(GatewayServer.OpsPorts(udp: udp?.port, tcp: streams.tcpPort))
        core.listenersReady.store(true, ordering: .relaxed)
        try? await gracefulShutdown()
        await streams.stop()
        await udp?.stop()
    }
}

/// Turns `/-/ready` to 503 as soon as shutdown begins (it is the first service told).
struct ReadinessService: Service {
    let core: GatewayCore

    func run() async throws {
        try? await gracefulShutdown()
        core.draining.store(true, ordering: .relaxed)
    }
}
