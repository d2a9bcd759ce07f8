import AbacusExposition
import AbacusGateway
import ArgumentParser
import Foundation
import Logging

/// `abacus gateway`: the Pushgateway-compatible server. Flag names follow the Pushgateway's
/// where the feature is the same, so the binaries can be swapped.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract:
            "Run the gateway: the Pushgateway HTTP API and JSON-lines ops (UDP, Unix sockets, TCP, HTTP), durable.",
        discussion: """
            Defaults need nothing else on the machine: HTTP on 127.0.0.1:9091 and a SQLite \
            database under ./abacus-data. Every push is answered only after it is committed. \
            SIGTERM or SIGINT (and /-/quit with --web.enable-lifecycle) finish the requests in \
            flight, commit, and exit 0. JSON-lines ops listeners are off until a flag turns \
            them on (--ops.udp, --ops.unix-socket, --ops.tcp-listen-address; POST /api/v1/ops \
            is always there). See docs/gateway.md and docs/ops.md.
            """
    )

    @Option(name: .customLong("web.listen-address"), help: "Address to listen on (host:port; port 0 picks one).")
    var listenAddress = "127.0.0.1:9091"

    @Option(name: .customLong("web.telemetry-path"), help: "Path of the metrics endpoint.")
    var telemetryPath = "/metrics"

    @Option(name: .customLong("web.route-prefix"), help: "Prefix of every endpoint, e.g. /pushgateway.")
    var routePrefix = ""

    @Option(
        name: .customLong("web.config.file"),
        help:
            "exporter-toolkit web configuration (TLS, client certificates, basic auth, headers, rate limit), as the Pushgateway's; re-read when it changes."
    )
    var webConfigFile: String?

    @Option(
        name: .customLong("web.auth.file"),
        help: "Users and bearer tokens with roles (push, scrape, admin) and jobs; re-read when it changes.")
    var authFile: String?

    @Flag(name: .customLong("web.enable-admin-api"), help: "Enable PUT /api/v1/admin/wipe.")
    var enableAdminAPI = false

    @Flag(name: .customLong("web.enable-lifecycle"), help: "Enable PUT|POST /-/quit.")
    var enableLifecycle = false

    @Flag(
        name: .customLong("push.disable-consistency-check"),
        help: "Skip the cross-group checks (one type per name, duplicate series); /metrics can become invalid.")
    var disableConsistencyCheck = false

    @Flag(
        name: .customLong("push.enable-utf8-names"),
        help:
            "Accept UTF-8 metric and label names (quoted in text; U__-escaped label names in the URL), as Pushgateway 1.11."
    )
    var enableUTF8Names = false

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

    @Flag(name: .customLong("ops.udp"), help: "Take JSON-lines ops over UDP on 127.0.0.1:9999 (as the original).")
    var opsUDP = false

    @Option(
        name: .customLong("ops.udp-listen-address"),
        help: "Take JSON-lines ops over UDP on this host:port (e.g. 127.0.0.1:9999; :9999 for every interface).")
    var opsUDPAddress: String?

    @Option(
        name: .customLong("ops.udp-receive-buffer"),
        help: "Receive buffer of the UDP socket; the kernel caps it at net.core.rmem_max unless run as root.")
    var opsUDPBuffer = "8MiB"

    @Option(name: .customLong("ops.unix-socket"), help: "Take JSON-lines ops on this Unix stream socket.")
    var opsUnixSocket: String?

    @Option(
        name: .customLong("ops.unix-socket-pool"),
        help: "Further Unix sockets beside --ops.unix-socket: <stem>-1<ext> … <stem>-N<ext>.")
    var opsUnixSocketPool = 0

    @Option(
        name: .customLong("ops.extra-unix-sockets"),
        help: "Further Unix sockets by path, comma-separated (the original metrics-server's -uds-pool).")
    var opsExtraUnixSockets: String?

    @Option(name: .customLong("ops.unix-socket-mode"), help: "Permissions of the Unix socket files (octal).")
    var opsUnixSocketMode = "0660"

    @Option(
        name: .customLong("ops.unix-socket-allow-uids"),
        help:
            "Take Unix socket connections only from these users (comma-separated user names or ids; checked with SO_PEERCRED)."
    )
    var opsUnixAllowUIDs: String?

    @Option(
        name: .customLong("ops.unix-socket-allow-gids"),
        help: "Take Unix socket connections only from processes of these groups (names or ids; the primary group).")
    var opsUnixAllowGIDs: String?

    @Option(name: .customLong("ops.tcp-listen-address"), help: "Take JSON-lines ops over TCP on this host:port.")
    var opsTCPAddress: String?

    @Flag(
        name: .customLong("ops.enable-shutdown"),
        help:
            "Honour the shutdown op (over UDP only from loopback). Off: anyone who can write to a socket could stop the gateway."
    )
    var opsEnableShutdown = false

    @Option(
        name: .customLong("ops.commit-interval"),
        help: "How often ops from sockets are committed to storage; a crash loses at most this much (plus one commit).")
    var opsCommitInterval = "500ms"

    @Option(name: .customLong("ops.max-message-size"), help: "Longest JSON-lines message.")
    var opsMaxMessageSize = "64KiB"

    @Option(
        name: .customLong("metric-ttl"),
        help: "Delete an aggregated series not updated for this long (e.g. 10m; 0: never).")
    var metricTTL = "0"

    @Option(
        name: .customLong("shutdown-delay"),
        help:
            "On SIGTERM or a shutdown op, keep serving /metrics this long (with /-/ready at 503) before stopping; a second SIGTERM or SIGINT ends it."
    )
    var shutdownDelay = "0"

    @Option(
        name: .customLong("extra-labels"),
        help: "Labels added to every series exposed that lacks them: name:value,name:value (values may contain ':').")
    var extraLabels: String?

    @Option(name: .customLong("extra-labels-file"), help: "A properties file of extra labels: name=value lines.")
    var extraLabelsFile: String?

    @Option(
        name: .customLong("extra-labels.source-app"),
        help:
            "Also add the original metrics-server's labels data_source=\"metrics-server\" and source_app=<this value>.")
    var sourceApp: String?

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
        configuration.webConfigFile = webConfigFile.flatMap { $0.isEmpty ? nil : $0 }
        configuration.authFile = authFile.flatMap { $0.isEmpty ? nil : $0 }
        configuration.enableAdminAPI = enableAdminAPI
        configuration.enableLifecycle = enableLifecycle
        configuration.disableConsistencyCheck = disableConsistencyCheck
        configuration.utf8Names = enableUTF8Names
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
        try configureOps(&configuration)
        configuration.flags = [
            "web.listen-address": listenAddress, "web.telemetry-path": telemetryPath, "web.route-prefix": routePrefix,
            "web.enable-admin-api": "\(enableAdminAPI)", "web.enable-lifecycle": "\(enableLifecycle)",
            "web.config.file": webConfigFile ?? "", "web.auth.file": authFile ?? "",
            "push.disable-consistency-check": "\(disableConsistencyCheck)", "push.default-ttl": defaultTTL,
            "push.enable-utf8-names": "\(enableUTF8Names)",
            "push.max-body-size": maxBodySize, "push.max-decompressed-size": maxDecompressedSize,
            "push.max-series-per-push": "\(maxSeriesPerPush)", "push.max-labels-per-series": "\(maxLabelsPerSeries)",
            "push.max-label-value-length": "\(maxLabelValueLength)", "store.max-groups": "\(maxGroups)",
            "store.max-series": "\(maxSeries)", "storage.path": storagePath, "storage.sync": storageSync,
            "log.level": logLevel, "log.format": logFormat, "ops.udp": "\(opsUDP)",
            "ops.udp-listen-address": opsUDPAddress ?? "", "ops.udp-receive-buffer": opsUDPBuffer,
            "ops.unix-socket": opsUnixSocket ?? "", "ops.unix-socket-pool": "\(opsUnixSocketPool)",
            "ops.extra-unix-sockets": opsExtraUnixSockets ?? "",
            "ops.unix-socket-mode": opsUnixSocketMode, "ops.tcp-listen-address": opsTCPAddress ?? "",
            "ops.unix-socket-allow-uids": opsUnixAllowUIDs ?? "", "ops.unix-socket-allow-gids": opsUnixAllowGIDs ?? "",
            "ops.enable-shutdown": "\(opsEnableShutdown)", "ops.commit-interval": opsCommitInterval,
            "ops.max-message-size": opsMaxMessageSize, "metric-ttl": metricTTL, "shutdown-delay": shutdownDelay,
            "extra-labels": extraLabels ?? "", "extra-labels-file": extraLabelsFile ?? "",
            "extra-labels.source-app": sourceApp ?? "",
        ]
        return configuration
    }

    func configureOps(_ configuration: inout GatewayConfiguration) throws {
        var ops = OpsConfiguration()
        if let text = opsUDPAddress {
            guard let address = ListenAddress(text) else {
                throw ValidationError("--ops.udp-listen-address must be host:port, e.g. 127.0.0.1:9999")
            }
            ops.udpAddress = address
        } else if opsUDP {
            ops.udpAddress = ListenAddress(host: "127.0.0.1", port: 9999)
        }
        guard let buffer = ByteSize.parse(opsUDPBuffer), buffer > 0 else {
            throw ValidationError("--ops.udp-receive-buffer must be a size such as 8MiB")
        }
        ops.udpReceiveBufferBytes = buffer
        if let path = opsUnixSocket {
            guard !path.isEmpty else { throw ValidationError("--ops.unix-socket must be a path") }
            ops.unixSocket = path
        }
        guard opsUnixSocketPool >= 0, opsUnixSocketPool <= 1024 else {
            throw ValidationError("--ops.unix-socket-pool must be 0…1024")
        }
        ops.unixSocketPool = opsUnixSocketPool
        if let list = opsExtraUnixSockets {
            ops.extraUnixSockets = list.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        }
        let paths = ops.unixSocketPaths
        guard Set(paths).count == paths.count else {
            throw ValidationError("the Unix socket paths must differ: \(paths.joined(separator: ", "))")
        }
        guard let mode = UInt32(opsUnixSocketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--ops.unix-socket-mode must be octal permissions such as 0660")
        }
        ops.unixSocketMode = mode
        if let list = opsUnixAllowUIDs {
            ops.unixSocketAllowedUIDs = try Self.ids(list, flag: "--ops.unix-socket-allow-uids") { name in
                getpwnam(name).map { $0.pointee.pw_uid }
            }
        }
        if let list = opsUnixAllowGIDs {
            ops.unixSocketAllowedGIDs = try Self.ids(list, flag: "--ops.unix-socket-allow-gids") { name in
                getgrnam(name).map { $0.pointee.gr_gid }
            }
        }
        #if !os(Linux)
            if ops.checksUnixPeers {
                throw ValidationError("--ops.unix-socket-allow-uids and -gids need Linux (SO_PEERCRED)")
            }
        #endif
        if ops.checksUnixPeers && ops.unixSocketPaths.isEmpty {
            throw ValidationError(
                "--ops.unix-socket-allow-uids and -gids need a Unix socket (--ops.unix-socket, --ops.extra-unix-sockets)"
            )
        }
        if let text = opsTCPAddress {
            guard let address = ListenAddress(text) else {
                throw ValidationError("--ops.tcp-listen-address must be host:port, e.g. 127.0.0.1:9998")
            }
            ops.tcpAddress = address
        }
        ops.enableShutdown = opsEnableShutdown
        guard let interval = PrometheusDuration.milliseconds(opsCommitInterval), interval > 0, interval <= 60_000 else {
            throw ValidationError("--ops.commit-interval must be a duration from 1ms to 1m, e.g. 500ms")
        }
        ops.commitIntervalMs = interval
        guard let maxMessage = ByteSize.parse(opsMaxMessageSize), maxMessage >= 64, maxMessage <= 16 << 20 else {
            throw ValidationError("--ops.max-message-size must be a size from 64B to 16MiB")
        }
        ops.maxMessageBytes = maxMessage
        guard let ttl = PrometheusDuration.milliseconds(metricTTL) else {
            throw ValidationError("--metric-ttl must be a duration such as 10m, or 0")
        }
        ops.metricTTLMs = ttl == 0 ? nil : ttl
        configuration.ops = ops
        guard let delay = PrometheusDuration.milliseconds(shutdownDelay) else {
            throw ValidationError("--shutdown-delay must be a duration such as 30s, or 0")
        }
        configuration.shutdownDelayMs = delay
        var labels: [Label] = []
        if let text = extraLabelsFile {
            let contents: String
            do {
                contents = try String(contentsOfFile: text, encoding: .utf8)
            } catch {
                throw ValidationError("--extra-labels-file: cannot read \(text): \(error.localizedDescription)")
            }
            do {
                labels = try ExtraLabels.parseProperties(contents)
            } catch {
                throw ValidationError("--extra-labels-file \(text): \(error)")
            }
        }
        if let text = extraLabels {
            do {
                labels = ExtraLabels.merge(labels, try ExtraLabels.parseFlag(text))
            } catch {
                throw ValidationError("--extra-labels: \(error)")
            }
        }
        if let sourceApp {
            labels = ExtraLabels.merge(
                labels, [Label("data_source", "metrics-server"), Label("source_app", sourceApp)])
        }
        configuration.extraLabels = labels.sorted()
    }

    /// A comma-separated list of numeric ids or names (`lookup` turns a name into its id).
    static func ids(_ list: String, flag: String, lookup: (String) -> UInt32?) throws -> Set<UInt32> {
        var out = Set<UInt32>()
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let id = UInt32(item) ?? lookup(item) else {
                throw ValidationError("\(flag): no such user or group: \(item)")
            }
            out.insert(id)
        }
        guard !out.isEmpty else { throw ValidationError("\(flag) needs at least one user or group") }
        return out
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
