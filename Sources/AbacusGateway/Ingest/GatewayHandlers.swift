import AbacusExposition
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The handlers of the gateway's HTTP endpoints, which ``GatewayRouter`` puts on Hummingbird's
/// router (the table of endpoints is there). Grouping keys are read from the raw path
/// (values are percent-decoded by ``GroupingKey`` after the path is split, so `%2F` stays
/// inside a value).
struct GatewayHandlers: Sendable {
    let gateway: GatewayCore
    let ops: OpsIngest

    /// The request's path after `--web.route-prefix`, as sent (not percent-decoded); `nil`
    /// outside the prefix.
    func path(of request: Request) -> Substring? {
        var path = Substring(request.uri.path)
        let prefix = gateway.configuration.routePrefix
        guard !prefix.isEmpty else { return path }
        guard path.hasPrefix(prefix) else { return nil }
        path = path.dropFirst(prefix.count)
        return path.isEmpty ? "/" : path
    }

    /// The endpoint of the request's raw path (``GatewayRoute/notFound`` outside the prefix).
    func route(of request: Request) -> GatewayRoute {
        guard let path = path(of: request) else { return .notFound }
        return GatewayRoute(path: path, telemetryPath: gateway.configuration.telemetryPath)
    }

    /// Answers `request` with the handler of `route`, the endpoint the router matched; a push
    /// or aggregating push reads its grouping key from the raw path.
    func handle(_ route: GatewayRoute, _ request: Request, principal: Principal) async -> Response {
        switch route {
        case .push, .aggregate:
            let raw = self.route(of: request)
            switch (route, raw) {
            case (.push, .push), (.aggregate, .aggregate):
                return await dispatch(request, route: raw, principal: principal)
            case (.push, _):
                return await dispatch(request, route: .push(""), principal: principal)
            default:
                return await dispatch(request, route: .aggregate(""), principal: principal)
            }
        default:
            return await dispatch(request, route: route, principal: principal)
        }
    }

    /// A refusal before the handler (401, 403, 429) as Go's `http.Error` writes one, which
    /// exporter-toolkit answers refusals with.
    static func refusal(_ refusal: AccessRefusal) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", contentTypeOptions: "nosniff"]
        for (name, value) in refusal.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: refusal.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: refusal.message + "\n")))
    }

    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!

    func dispatch(_ request: Request, route: GatewayRoute, principal: Principal) async -> Response {
        let method = request.method
        switch route {
        case .push(let keyPath):
            return await push(request, keyPath: keyPath, principal: principal)
        case .aggregate(let path):
            return await aggregatePush(request, path: path, principal: principal)
        case .scrape:
            return method == .get || method == .head ? scrape(request) : notAllowed("GET")
        case .ops:
            return method == .post ? await opsPost(request, principal: principal) : notAllowed("POST")
        case .batch:
            return method == .put || method == .post
                ? await batch(request, principal: principal) : notAllowed("PUT, POST")
        case .apiMetrics:
            return method == .get ? apiMetrics() : notAllowed("GET")
        case .apiStatus:
            return method == .get ? apiStatus() : notAllowed("GET")
        case .wipe:
            return method == .put ? await wipe() : notAllowed("PUT")
        case .healthy:
            return method == .get || method == .head ? text(.ok, "OK\n") : notAllowed("GET")
        case .ready:
            guard method == .get || method == .head else { return notAllowed("GET") }
            if gateway.draining.load(ordering: .relaxed) { return text(.serviceUnavailable, "shutting down\n") }
            return gateway.listenersReady.load(ordering: .relaxed)
                ? text(.ok, "OK\n") : text(.serviceUnavailable, "starting\n")
        case .quit:
            return method == .put || method == .post ? quit() : notAllowed("PUT, POST")
        case .notFound:
            return text(.notFound, "not found\n")
        }
    }

    /// A job a principal may not push to: 403 (counted as a rejection).
    func forbidden(_ principal: Principal, job: String?) -> PushRejection {
        guard let job else {
            return PushRejection(
                status: 403, reason: "forbidden",
                "Forbidden: \(principal.name) may push only to the jobs \(principal.jobs ?? []), and this endpoint names no job"
            )
        }
        return PushRejection(
            status: 403, reason: "forbidden",
            "Forbidden: \(principal.name) may not push to the job \(job) (allowed: \((principal.jobs ?? []).joined(separator: ", ")))"
        )
    }

    func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: message)))
    }

    func notAllowed(_ allowed: String) -> Response {
        Response(
            status: .methodNotAllowed, headers: [.contentType: "text/plain; charset=utf-8", .allow: allowed],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "method not allowed; use \(allowed)\n")))
    }

    func response(for rejection: PushRejection) -> Response {
        text(HTTPResponse.Status(code: rejection.status), rejection.message + "\n")
    }

    func quit() -> Response {
        guard gateway.configuration.enableLifecycle else {
            return text(.forbidden, "the lifecycle API is disabled; start the gateway with --web.enable-lifecycle\n")
        }
        gateway.requestShutdown()
        return text(.ok, "shutting down\n")
    }

    func wipe() async -> Response {
        guard gateway.configuration.enableAdminAPI else {
            return text(.forbidden, "the admin API is disabled; start the gateway with --web.enable-admin-api\n")
        }
        let ticket = gateway.store.wipe()
        if let failure = await gateway.waitCommitted(ticket) { return failure }
        return Response(status: .accepted)
    }
}
