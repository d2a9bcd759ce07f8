/// The original metrics-server's command line, read as Go's `flag` package reads it, and the
/// `abacus gateway` arguments it stands for.
///
/// Go's rules: a flag is `-name` or `--name`; a value follows as `-name=value` or as the next
/// argument (`-name value`), except for booleans, which take only `-name` or `-name=value`
/// (`true`, `false`, `1`, `0`, `t`, `f`, any case of `TRUE`/`True`); parsing stops at `--` or
/// at the first argument that is not a flag. `-h`, `-help` and `--help` ask for the help.
struct MetricsServerFlags: Equatable {
    var socket = ":9099"
    var uds = "./metric-server.sock"
    var udsPool = ""
    var udp = ":9999"
    var extraLabels = ""
    var extraLabelsFile = ""
    var metricTTLMs: Int64 = 86_400_000
    var metricCleanUp = false
    var shutdownDelayMs: Int64 = 0
    var debug = false
    /// Gateway flags given beside the original's (`--storage.path=…`), passed on as they are.
    var gatewayFlags: [String] = []

    struct Problem: Error, Equatable {
        var message: String
        var isHelp = false
    }

    /// The original's flags the gateway cannot honour yet, and why.
    static let refused: [String: String] = [
        "remote": "forwarding every update to a central metrics-server (a metrics router) is not in abacus yet",
        "loki-address": "the Loki event sink is not in abacus yet",
        "loki-ca-path": "the Loki event sink is not in abacus yet",
        "loki-cert-path": "the Loki event sink is not in abacus yet",
        "loki-key-path": "the Loki event sink is not in abacus yet",
        "opensearch-bulk-size-bytes": "the OpenSearch index sink is not in abacus yet",
        "opensearch-bulk-period": "the OpenSearch index sink is not in abacus yet",
        "scylladb-hosts": "the ScyllaDB raw sink is not in abacus yet",
        "scylladb-table": "the ScyllaDB raw sink is not in abacus yet",
        "pyroscope-url": "continuous profiling (Pyroscope) is not in abacus",
    ]

    static let booleans: Set<String> = ["debug", "metric-clean-up"]
    static let values: Set<String> = [
        "socket", "uds", "uds-pool", "udp", "extra-labels", "extra-labels-file-path", "metric-ttl", "shutdown-delay",
    ]

    init() {}

    init(parsing arguments: [String]) throws(Problem) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" { break }
            guard argument.hasPrefix("-"), argument.count > 1 else { break }
            let body = argument.hasPrefix("--") ? argument.dropFirst(2) : argument.dropFirst()
            guard !body.isEmpty, !body.hasPrefix("-"), !body.hasPrefix("=") else {
                throw Problem(message: "bad flag syntax: \(argument)")
            }
            let name: String
            var value: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            if name == "h" || name == "help" { throw Problem(message: "", isHelp: true) }
            if let why = Self.refused[name] {
                // Given without a value, or an empty one ("-remote=" from a template): off, as in
                // the original; with a value, the feature is asked for and abacus has none yet.
                var given = value
                if given == nil, index < arguments.count, !arguments[index].hasPrefix("-") {
                    given = arguments[index]
                    index += 1
                }
                if let given, !given.isEmpty {
                    throw Problem(message: "-\(name): \(why); start without it (see abacus metrics-server --help)")
                }
                continue
            }
            if Self.booleans.contains(name) {
                let on: Bool
                switch value {
                case nil: on = true
                case "1", "t", "T", "TRUE", "true", "True": on = true
                case "0", "f", "F", "FALSE", "false", "False": on = false
                case let other?: throw Problem(message: "invalid boolean value \"\(other)\" for -\(name)")
                }
                if name == "debug" { debug = on } else { metricCleanUp = on }
                continue
            }
            if Self.values.contains(name) {
                if value == nil {
                    guard index < arguments.count else { throw Problem(message: "flag needs an argument: -\(name)") }
                    value = arguments[index]
                    index += 1
                }
                try set(name, value!)
                continue
            }
            // Not the original's: a gateway flag, passed on (with its value when it is the next
            // argument rather than after an `=`).
            guard argument.hasPrefix("--") else {
                throw Problem(message: "flag provided but not defined: -\(name)")
            }
            gatewayFlags.append(argument)
            if value == nil, index < arguments.count, !arguments[index].hasPrefix("-") {
                gatewayFlags.append(arguments[index])
                index += 1
            }
        }
    }

    mutating func set(_ name: String, _ value: String) throws(Problem) {
        func duration() throws(Problem) -> Int64 {
            // A negative duration is Go's too; as a delay or a TTL it means none.
            guard let ms = GoDuration.milliseconds(value).map({ max(0, $0) }) else {
                throw Problem(
                    message: "invalid value \"\(value)\" for flag -\(name): parse error (a duration: 30s, 1h30m, 1.5h)")
            }
            return ms
        }
        switch name {
        case "socket": socket = value
        case "uds": uds = value
        case "uds-pool": udsPool = value
        case "udp": udp = value
        case "extra-labels": extraLabels = value
        case "extra-labels-file-path": extraLabelsFile = value
        case "metric-ttl": metricTTLMs = try duration()
        case "shutdown-delay": shutdownDelayMs = try duration()
        default: break
        }
    }

    /// The `abacus gateway` arguments these flags stand for; gateway flags given beside them
    /// come last, so they win.
    func gatewayArguments() throws(Problem) -> [String] {
        var arguments = ["--web.listen-address=\(socket)", "--ops.enable-shutdown"]
        if !uds.isEmpty { arguments.append("--ops.unix-socket=\(uds)") }
        if !udsPool.isEmpty { arguments.append("--ops.extra-unix-sockets=\(udsPool)") }
        if !udp.isEmpty { arguments.append("--ops.udp-listen-address=\(udp)") }
        if !extraLabels.isEmpty { arguments.append("--extra-labels=\(extraLabels)") }
        if !extraLabelsFile.isEmpty { arguments.append("--extra-labels-file=\(extraLabelsFile)") }
        if metricCleanUp {
            guard metricTTLMs > 0 else {
                throw Problem(message: "-metric-clean-up needs a -metric-ttl above 0 (the original stops with a panic)")
            }
            arguments.append("--metric-ttl=\(metricTTLMs)ms")
        }
        if shutdownDelayMs > 0 { arguments.append("--shutdown-delay=\(shutdownDelayMs)ms") }
        if debug { arguments.append("--log.level=debug") }
        return arguments + gatewayFlags
    }
}

/// Go's `time.ParseDuration`: a sequence of decimal numbers, each with an optional fraction and
/// a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), with an optional sign; `0` alone is zero.
/// Computed in integer nanoseconds, as Go does (`2.3h` is exactly 8,280,000 ms).
enum GoDuration {
    /// The duration in milliseconds (rounded toward zero), or `nil` when it does not parse or
    /// overflows 64-bit nanoseconds.
    static func milliseconds(_ text: String) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Int64)] = [
            ("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
            ("m", 60_000_000_000), ("h", 3_600_000_000_000),
        ]
        var totalNs: Int64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { return nil }
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.0 == unitText })?.1 else { return nil }
            rest = rest.dropFirst(unitText.count)
            guard let wholeValue = whole.isEmpty ? 0 : Int64(whole) else { return nil }
            var (part, overflow) = wholeValue.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            // The fraction's digits, scaled by the unit, as Go scales them (truncating).
            var scale = unit
            for digit in fraction {
                scale /= 10
                guard scale > 0 else { break }
                (part, overflow) = part.addingReportingOverflow(Int64(digit.wholeNumberValue!) * scale)
                guard !overflow else { return nil }
            }
            (totalNs, overflow) = totalNs.addingReportingOverflow(part)
            guard !overflow else { return nil }
        }
        let ms = totalNs / 1_000_000
        return negative ? -ms : ms
    }
}
