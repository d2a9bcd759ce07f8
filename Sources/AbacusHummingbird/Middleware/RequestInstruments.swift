import Abacus
import Hummingbird
import Synchronization

/// The three metrics of ``RequestMetricsMiddleware``.
struct RequestInstruments: Sendable {
    let requests: CounterFamily
    let durations: HistogramFamily
    let inFlight: AbacusGauge

    init(registry: Registry, prefix: String, buckets: Buckets) throws(RegistrationError) {
        requests = try registry.counter(
            "\(prefix)_requests_total", help: "HTTP requests handled, by method, route and status code.",
            labelNames: ["method", "route", "code"])
        durations = try registry.histogram(
            "\(prefix)_request_duration_seconds",
            help: "Time from receiving an HTTP request to the end of its response, in seconds.",
            buckets: buckets, labelNames: ["method", "route", "code"])
        inFlight = try registry.gauge("\(prefix)_requests_in_flight", help: "HTTP requests being handled.")
    }

    /// Counts a finished request, observes its duration and takes it off the in-flight gauge.
    func finish(method: String, route: String, status: HTTPResponse.Status, start: ContinuousClock.Instant) {
        let code = String(status.code)
        // The families have exactly three label names, so these lookups cannot fail.
        try? requests.labels(method, route, code).increment()
        try? durations.labels(method, route, code).observeDuration(since: start)
        inFlight.decrement()
    }

    /// The `method` label: the standard methods as they are, any other `OTHER` (a client must
    /// not be able to create series at will).
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .delete, .patch, .options, .connect, .trace: method.rawValue
        default: "OTHER"
        }
    }

    /// The `route` label: the route template Hummingbird matched, `NotFound` without one.
    static func routeLabel(_ endpointPath: String?) -> String { endpointPath ?? "NotFound" }
}

/// Records a request once its response body is written, or when the response is dropped
/// unwritten (its body, which holds the last reference to this object, goes away), whichever
/// comes first: the in-flight gauge can never leak.
final class RequestCompletion: Sendable {
    private let instruments: RequestInstruments
    private let method: String
    private let route: String
    private let status: HTTPResponse.Status
    private let start: ContinuousClock.Instant
    private let done = Atomic(false)

    init(
        instruments: RequestInstruments, method: String, route: String, status: HTTPResponse.Status,
        start: ContinuousClock.Instant
    ) {
        self.instruments = instruments
        self.method = method
        self.route = route
        self.status = status
        self.start = start
    }

    func finish() {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        instruments.finish(method: method, route: route, status: status, start: start)
    }

    deinit { finish() }
}
