public import Abacus
public import Hummingbird

/// A router middleware that measures every request it wraps, under the names the Prometheus
/// ecosystem's dashboards expect (with the default prefix `http`):
///
/// | metric | type | labels |
/// | --- | --- | --- |
/// | `http_requests_total` | counter | `method`, `route`, `code` |
/// | `http_request_duration_seconds` | histogram | `method`, `route`, `code` |
/// | `http_requests_in_flight` | gauge | none |
///
/// ```swift
/// let router = Router()
/// router.add(middleware: try RequestMetricsMiddleware(registry: .shared))
/// router.get("/users/{id}") { _, context in try context.parameters.require("id") }
/// router.addMetricsRoute()
/// ```
///
/// - `route` is the route template that matched (`/users/{id}`), never the path that was
///   asked for, so the number of series stays bounded whatever clients send; a request that
///   matched no route is `NotFound`.
/// - `method` is the request method for the nine standard ones, `OTHER` for any other.
/// - `code` is the response status; an error thrown by the handler counts with its status when
///   it is an `HTTPResponseError` (`HTTPError(.notFound)` is `404`), with `500` otherwise
///   (cancellation included).
/// - A request is done, for the duration and the in-flight gauge, when its response body has
///   been written (or thrown away unwritten), so a streamed body counts until its last byte.
///
/// Middleware applies to the routes added after it: add this one first. It is not a
/// replacement for Hummingbird's `MetricsMiddleware`, which reports to swift-metrics; the two
/// can be used together.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let instruments: RequestInstruments

    /// Registers (or finds, when already registered with the same definition) the three
    /// metrics in `registry`, named `<prefix>_requests_total`, `<prefix>_request_duration_seconds`
    /// and `<prefix>_requests_in_flight`, the histogram with `buckets`. Throws when one of the
    /// names is taken by a different metric.
    public init(
        registry: Registry = .shared, prefix: String = "http", buckets: Buckets = .default,
        context: Context.Type = Context.self
    ) throws(RegistrationError) {
        instruments = try RequestInstruments(registry: registry, prefix: prefix, buckets: buckets)
    }

    /// Runs `next` and records the request.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let method = RequestInstruments.methodLabel(request.method)
        instruments.inFlight.increment()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            instruments.finish(
                method: method, route: RequestInstruments.routeLabel(context.endpointPath), status: status,
                start: start)
            throw error
        }
        let completion = RequestCompletion(
            instruments: instruments, method: method, route: RequestInstruments.routeLabel(context.endpointPath),
            status: response.status, start: start)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { completion.finish() }
            try await body.write(writer)
        }
        return response
    }
}
