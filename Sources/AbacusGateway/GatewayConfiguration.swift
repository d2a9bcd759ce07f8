public import AbacusExposition
public import Logging

/// Everything `abacus gateway` can be told, with the defaults a single machine needs: loopback
/// listen address, a SQLite file under the working directory. Flag names (in ``GatewayCommand``)
/// follow the Pushgateway's where the feature is the same.
public struct GatewayConfiguration: Sendable {
    /// `--web.listen-address`: host and port of the HTTP server. Port 0 picks a free port.
    public var host: String = "127.0.0.1"
    public var port: Int = 9091
    /// `--web.telemetry-path`: where the gateway serves its metrics.
    public var telemetryPath: String = "/metrics"
    /// `--web.route-prefix`: prefix of every endpoint (e.g. `/pushgateway`).
    public var routePrefix: String = ""
    /// `--web.config.file`: the exporter-toolkit web configuration (TLS, client certificates,
    /// basic auth users, headers, rate limit); `nil`: plain HTTP, no credentials.
    public var webConfigFile: String?
    /// `--web.auth.file`: users and bearer tokens with roles and jobs (docs/security.md).
    public var authFile: String?
    /// How often the two files (and the certificates they name) are checked for changes.
    public var securityReloadIntervalMs: Int64 = 1000
    /// `--web.enable-admin-api`: `PUT /api/v1/admin/wipe`.
    public var enableAdminAPI = false
    /// `--web.enable-lifecycle`: `PUT|POST /-/quit`.
    public var enableLifecycle = false
    /// `--push.disable-consistency-check`: skip the cross-group checks (one type per name,
    /// derived names, duplicate series). The exposition can then become invalid, as with the
    /// Pushgateway's flag of the same name.
    public var disableConsistencyCheck = false
    /// `--push.enable-utf8-names`: accept any UTF-8 metric and label names in pushes (quoted
    /// names in text, `U__`-escaped label names in the URL path), as Pushgateway 1.11 with the
    /// flag of the same name. Off: the legacy name rules.
    public var utf8Names = false
    /// The name rules pushes are checked against (``utf8Names``).
    public var pushNames: NameValidation { utf8Names ? .utf8 : .legacy }
    /// `--push.default-ttl`: time to live of a pushed group, in milliseconds; `nil` for none.
    /// A push overrides it with `?ttl=` or the `Abacus-TTL` header.
    public var defaultTTLMs: Int64?
    /// `--storage.path`: the SQLite database; `:memory:` keeps everything in memory only.
    public var storagePath: String = "abacus-data/gateway.sqlite"
    /// `--storage.sync`: how hard a commit waits for the disk (`normal`: survives a crash of the
    /// gateway; `full`: also power loss, slower).
    public var synchronous: SQLiteStorage.Synchronous = .normal
    /// The limits, each with its own flag.
    public var limits = StoreLimits()
    /// `--log.level`.
    public var logLevel: Logger.Level = .info
    /// Shown by `abacus_build_info` and `/api/v1/status`.
    public var build: BuildInformation = .current
    /// The version of ``build``.
    public var version: String {
        get { build.version }
        set { build.version = newValue }
    }
    /// Every flag as given, for `/api/v1/status`.
    public var flags: [String: String] = [:]

    /// The JSON-lines ops listeners and aggregation (`--ops.*`, `--metric-ttl`).
    public var ops = OpsConfiguration()
    /// `--shutdown-delay`: on SIGTERM or a `shutdown` op, how long `/metrics` keeps being served
    /// (with `/-/ready` at 503) before the gateway stops, so Prometheus can scrape a last time.
    /// A second SIGTERM or SIGINT during the delay ends it at once.
    public var shutdownDelayMs: Int64 = 0
    /// Where the gateway reads the time of day (``GatewayClock/system`` unless a test moves
    /// time itself with a ``ManualGatewayClock``).
    public var clock: GatewayClock = .system
    /// `--extra-labels`, `--extra-labels-file`, `--extra-labels.source-app`: labels added to
    /// every series the gateway exposes or forwards that does not have them, sorted by name.
    public var extraLabels: [Label] = []

    /// In memory only: `storagePath` is `:memory:`.
    public var inMemory: Bool { storagePath == ":memory:" }

    public init() {}
}

/// A host and port to listen on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
    /// `host:port`, `[::1]:port`; an empty host means every interface.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        self.host =
            host.isEmpty
            ? "0.0.0.0" : (host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host)
        self.port = port
    }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The JSON-lines ops listeners (docs/ops.md) and how aggregated series are kept.
public struct OpsConfiguration: Sendable {
    /// `--ops.udp-listen-address` (or `--ops.udp` for 127.0.0.1:9999): UDP, off when `nil`.
    public var udpAddress: ListenAddress?
    /// `--ops.udp-receive-buffer`: the UDP socket's receive buffer (the kernel may cap it).
    public var udpReceiveBufferBytes = 8 << 20
    /// `--ops.unix-socket`: the main Unix stream socket, off when `nil`.
    public var unixSocket: String?
    /// `--ops.unix-socket-pool`: further sockets beside the main one, `<stem>-1<ext>` … `<stem>-N<ext>`.
    public var unixSocketPool = 0
    /// `--ops.extra-unix-sockets`: further Unix sockets by path (the original's `-uds-pool`).
    public var extraUnixSockets: [String] = []
    /// `--ops.unix-socket-mode`: permissions of the socket files (default 0660: not world-writable).
    public var unixSocketMode: UInt32 = 0o660
    /// `--ops.unix-socket-allow-uids`, `--ops.unix-socket-allow-gids`: when either is set, a
    /// Unix socket connection is taken only from a process whose user id or (primary) group id
    /// is listed (read with `SO_PEERCRED`); the others are closed at once and counted.
    public var unixSocketAllowedUIDs: Set<UInt32>?
    public var unixSocketAllowedGIDs: Set<UInt32>?
    /// Connections on the Unix sockets are checked against an allow-list.
    public var checksUnixPeers: Bool { unixSocketAllowedUIDs != nil || unixSocketAllowedGIDs != nil }
    /// `--ops.tcp-listen-address`: TCP stream, off when `nil`.
    public var tcpAddress: ListenAddress?
    /// `--ops.enable-shutdown`: honour the `shutdown` op (over UDP only from loopback).
    public var enableShutdown = false
    /// `--ops.commit-interval`: how often socket ops are committed to storage.
    public var commitIntervalMs: Int64 = 500
    /// `--ops.max-message-size`: the longest message, in bytes.
    public var maxMessageBytes = 64 * 1024
    /// `--metric-ttl`: aggregated series not updated for this long are deleted; `nil`: never.
    public var metricTTLMs: Int64?
    /// Limits of one message.
    public var limits = OpsLimits.default

    public init() {}

    /// Every Unix socket path: the main one, then the pool, then the extra ones.
    public var unixSocketPaths: [String] {
        guard let main = unixSocket else { return extraUnixSockets }
        guard unixSocketPool > 0 else { return [main] + extraUnixSockets }
        let slash = main.lastIndex(of: "/").map { main.index(after: $0) } ?? main.startIndex
        let dot = main[slash...].lastIndex(of: ".") ?? main.endIndex
        let stem = main[..<dot]
        let ext = main[dot...]
        return [main] + (1...unixSocketPool).map { "\(stem)-\($0)\(ext)" } + extraUnixSockets
    }
}
