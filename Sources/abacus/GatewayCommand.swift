import AbacusGateway
import ArgumentParser
import Logging

/// `abacus gateway`: the Pushgateway-compatible server. Flag names follow the Pushgateway's
/// where the feature is the same, so the binaries can be swapped.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the gateway: the Pushgateway HTTP API, durable, with TTLs and limits.",
        discussion: """
            Defaults need nothing else on the machine: HTTP on 127.0.0.1:9091 and a SQLite \
            database under ./abacus-data. Every push is answered only after it is committed. \
            SIGTERM or SIGINT (and /-/quit with --web.enable-lifecycle) finish the requests in \
            flight, commit, and exit 0. See docs/gateway.md.
            """
    )

    @Option(name: .customLong("web.listen-address"), help: "Address to listen on (host:port; port 0 picks one).")
    var listenAddress = "127.0.0.1:9091"

    @Option(name: .customLong("web.telemetry-path"), help: "Path of the metrics endpoint.")
    var telemetryPath = "/metrics"

    @Option(name: .customLong("web.route-prefix"), help: "Prefix of every endpoint, e.g. /pushgateway.")
    var routePrefix = ""

    @Flag(name: .customLong("web.enable-admin-api"), help: "Enable PUT /api/v1/admin/wipe.")
    var enableAdminAPI = false

    @Flag(name: .customLong("web.enable-lifecycle"), help: "Enable PUT|POST /-/quit.")
    var enableLifecycle = false

    @Flag(
        name: .customLong("push.disable-consistency-check"),
        help: "Skip the cross-group checks (one type per name, duplicate series); /metrics can become invalid.")
    var disableConsistencyCheck = false

    @Option(
        name: .customLong("push.default-ttl"),
        help:
            "Time to live of a pushed group (e.g. 15m, 1h30m; 0: never). A push overrides it with ?ttl= or Abacus-TTL.")
    var defaultTTL = "0"

    @Option(name: .customLong("push.max-body-size"), help: "Largest request body (e.g. 16MiB): 413 above.")
    var maxBodySize = "16MiB"

    @Option(
        name: .customLong("push.max-decompressed-size"), help: "Largest body once gunzipped or unsnappied: 413 above.")
    var maxDecompressedSize = "64MiB"

    @Option(name: .customLong("push.max-series-per-push"), help: "Most sample lines in one push: 413 above.")
    var maxSeriesPerPush = 100_000

    @Option(
        name: .customLong("push.max-labels-per-series"),
        help: "Most labels on a series, grouping labels included: 400 above.")
    var maxLabelsPerSeries = 64

    @Option(name: .customLong("push.max-label-value-length"), help: "Longest label value in bytes: 400 above.")
    var maxLabelValueLength = 4096

    @Option(name: .customLong("store.max-groups"), help: "Most groups stored: 429 for a push that would add one more.")
    var maxGroups = 1_000_000

    @Option(
        name: .customLong("store.max-series"), help: "Most sample lines stored: 429 for a push that would exceed it.")
    var maxSeries = 10_000_000

    @Option(name: .customLong("storage.path"), help: "SQLite database file; :memory: keeps everything in memory only.")
    var storagePath = "abacus-data/gateway.sqlite"

    @Option(
        name: .customLong("storage.sync"),
        help:
            "normal: a commit survives a crash of the gateway (kill -9); full: also power loss (fsync per commit, slower)."
    )
    var storageSync = "normal"

    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.")
    var logLevel = "info"

    @Option(name: .customLong("log.format"), help: "logfmt or json.")
    var logFormat = "logfmt"

    func validate() throws {
        _ = try configuration()
    }

    func configuration() throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        guard let colon = listenAddress.lastIndex(of: ":"),
            let port = Int(listenAddress[listenAddress.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("--web.listen-address must be host:port, e.g. 127.0.0.1:9091")
        }
        let host = String(listenAddress[..<colon])
        configuration.host = host.isEmpty ? "0.0.0.0" : host.trimmingBrackets()
        configuration.port = port
        guard telemetryPath.hasPrefix("/") else { throw ValidationError("--web.telemetry-path must start with /") }
        configuration.telemetryPath = telemetryPath
        var prefix = routePrefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if !prefix.isEmpty && !prefix.hasPrefix("/") { prefix = "/" + prefix }
        configuration.routePrefix = prefix
        configuration.enableAdminAPI = enableAdminAPI
        configuration.enableLifecycle = enableLifecycle
        configuration.disableConsistencyCheck = disableConsistencyCheck
        guard let ttl = PrometheusDuration.milliseconds(defaultTTL) else {
            throw ValidationError("--push.default-ttl must be a duration such as 90s, 15m, 1h30m, or 0")
        }
        configuration.defaultTTLMs = ttl == 0 ? nil : ttl
        guard let body = ByteSize.parse(maxBodySize), let decompressed = ByteSize.parse(maxDecompressedSize) else {
            throw ValidationError("sizes are bytes with an optional unit: 1048576, 512KiB, 16MiB, 1GB")
        }
        for (name, value) in [
            ("push.max-series-per-push", maxSeriesPerPush), ("push.max-labels-per-series", maxLabelsPerSeries),
            ("push.max-label-value-length", maxLabelValueLength), ("store.max-groups", maxGroups),
            ("store.max-series", maxSeries), ("push.max-body-size", body),
            ("push.max-decompressed-size", decompressed),
        ] where value <= 0 {
            throw ValidationError("--\(name) must be positive")
        }
        configuration.limits = StoreLimits(
            maxBodyBytes: body, maxDecompressedBytes: decompressed, maxSeriesPerPush: maxSeriesPerPush,
            maxLabelsPerSeries: maxLabelsPerSeries, maxLabelValueBytes: maxLabelValueLength, maxGroups: maxGroups,
            maxSeries: maxSeries)
        configuration.storagePath = storagePath
        guard let sync = SQLiteStorage.Synchronous(rawValue: storageSync) else {
            throw ValidationError("--storage.sync must be full or normal")
        }
        configuration.synchronous = sync
        guard let level = Logger.Level(rawValue: logLevel == "warn" ? "warning" : logLevel) else {
            throw ValidationError("--log.level must be debug, info, warn or error")
        }
        configuration.logLevel = level
        guard GatewayLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log.format must be logfmt or json")
        }
        configuration.flags = [
            "web.listen-address": listenAddress, "web.telemetry-path": telemetryPath, "web.route-prefix": routePrefix,
            "web.enable-admin-api": "\(enableAdminAPI)", "web.enable-lifecycle": "\(enableLifecycle)",
            "push.disable-consistency-check": "\(disableConsistencyCheck)", "push.default-ttl": defaultTTL,
            "push.max-body-size": maxBodySize, "push.max-decompressed-size": maxDecompressedSize,
            "push.max-series-per-push": "\(maxSeriesPerPush)", "push.max-labels-per-series": "\(maxLabelsPerSeries)",
            "push.max-label-value-length": "\(maxLabelValueLength)", "store.max-groups": "\(maxGroups)",
            "store.max-series": "\(maxSeries)", "storage.path": storagePath, "storage.sync": storageSync,
            "log.level": logLevel, "log.format": logFormat,
        ]
        return configuration
    }

    func run() async throws {
        let configuration = try configuration()
        let format = GatewayLogHandler.Format(rawValue: logFormat) ?? .logfmt
        let level = configuration.logLevel
        LoggingSystem.bootstrap { GatewayLogHandler(label: $0, level: level, format: format) }
        let logger = Logger(label: "abacus.gateway")
        let server: GatewayServer
        do {
            server = try GatewayServer(configuration: configuration, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        try await server.run()
    }
}

/// Byte sizes as flags take them: `1048576`, `512KiB`, `16MiB`, `1GB`.
enum ByteSize {
    static func parse(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
            ("GB", 1_000_000_000),
            ("B", 1),
        ]
        for (unit, factor) in units where text.hasSuffix(unit) {
            guard let number = Int(text.dropLast(unit.count)), number >= 0 else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        return Int(text)
    }
}

extension String {
    /// `[::1]` → `::1`.
    func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
