/// The endpoint a request is for, from its path (after `--web.route-prefix`), and what it
/// needs when credentials are configured (docs/security.md).
enum GatewayRoute: Equatable {
    /// `/metrics/job/<JOB>{/<LABEL>/<VALUE>}`: the rest of the path after `/metrics/`.
    case push(Substring)
    /// `/aggregate{/<LABEL>/<VALUE>}`: the rest after `/aggregate`.
    case aggregate(Substring)
    case scrape
    case ops
    case batch
    case apiMetrics
    case apiStatus
    case wipe
    case healthy
    /// `/-/ready`, and `/health` (the original metrics-server's readiness endpoint).
    case ready
    case quit
    case notFound

    /// What a request needs when credentials are configured.
    enum Requirement: Equatable {
        /// Nothing: health checks stay open (and are not rate limited).
        case open
        /// Any valid credential (paths that match no endpoint: 404 only for those who may ask).
        case authenticated
        case role(Role)
    }

    init(path: Substring, telemetryPath: String) {
        if path.hasPrefix("/metrics/") {
            self = .push(path.dropFirst("/metrics/".count))
        } else if path == "/aggregate" || path.hasPrefix("/aggregate/") {
            self = .aggregate(path.dropFirst("/aggregate".count).drop { $0 == "/" })
        } else if path == telemetryPath {
            self = .scrape
        } else {
            switch path {
            case "/api/v1/ops": self = .ops
            case "/api/v1/batch": self = .batch
            case "/api/v1/metrics": self = .apiMetrics
            case "/api/v1/status": self = .apiStatus
            case "/api/v1/admin/wipe": self = .wipe
            case "/-/healthy": self = .healthy
            case "/-/ready", "/health": self = .ready
            case "/-/quit": self = .quit
            default: self = .notFound
            }
        }
    }

    /// The `handler` label of `abacus_http_requests_total`.
    var handler: String {
        switch self {
        case .push: "push"
        case .aggregate: "aggregate"
        case .scrape: "metrics"
        case .ops: "ops"
        case .batch: "batch"
        case .apiMetrics: "api_metrics"
        case .apiStatus: "api_status"
        case .wipe: "wipe"
        case .healthy: "healthy"
        case .ready: "ready"
        case .quit: "quit"
        case .notFound: "other"
        }
    }

    var requirement: Requirement {
        switch self {
        case .push, .aggregate, .ops, .batch: .role(.push)
        case .scrape, .apiMetrics, .apiStatus: .role(.scrape)
        case .wipe, .quit: .role(.admin)
        case .healthy, .ready: .open
        case .notFound: .authenticated
        }
    }
}
