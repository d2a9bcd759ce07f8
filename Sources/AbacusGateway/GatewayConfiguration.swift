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
    /// `--web.enable-admin-api`: `PUT /api/v1/admin/wipe`.
    public var enableAdminAPI = false
    /// `--web.enable-lifecycle`: `PUT|POST /-/quit`.
    public var enableLifecycle = false
    /// `--push.disable-consistency-check`: skip the cross-group checks (one type per name,
    /// derived names, duplicate series). The exposition can then become invalid, as with the
    /// Pushgateway's flag of the same name.
    public var disableConsistencyCheck = false
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
    public var version: String = "0.1.0"
    /// Every flag as given, for `/api/v1/status`.
    public var flags: [String: String] = [:]

    /// In memory only: `storagePath` is `:memory:`.
    public var inMemory: Bool { storagePath == ":memory:" }

    public init() {}
}
