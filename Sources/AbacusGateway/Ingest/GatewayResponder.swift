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

/// Every HTTP endpoint of the gateway, dispatched on the raw path (grouping-key values are
/// percent-decoded by ``GroupingKey``, after the path is split, so `%2F` stays inside a value):
///
/// | method | path (after `--web.route-prefix`) | |
/// |---|---|---|
/// | PUT, POST, DELETE | `/metrics/job/<JOB>{/<LABEL>/<VALUE>}` | push, add, delete (`?partial` deletes every group whose key has these labels) |
/// | PUT, POST | `/api/v1/batch` | several groups in one atomic request |
/// | GET | `--web.telemetry-path` (`/metrics`) | scrape, negotiated, gzip |
/// | GET | `/api/v1/metrics`, `/api/v1/status` | JSON, the Pushgateway's shapes |
/// | PUT | `/api/v1/admin/wipe` | with `--web.enable-admin-api` |
/// | GET | `/-/healthy`, `/-/ready` | |
/// | PUT, POST | `/-/quit` | with `--web.enable-lifecycle` |
public struct GatewayResponder: HTTPResponder {
    public typealias Context = GatewayRequestContext

    let gateway: GatewayCore
    let ops: OpsIngest

    public func respond(to request: Request, context: Context) async throws -> Response {
        var path = Substring(request.uri.path)
        let prefix = gateway.configuration.routePrefix
        if !prefix.isEmpty {
            if path.hasPrefix(prefix) {
                path = path.dropFirst(prefix.count)
                if path.isEmpty { path = "/" }
            } else {
                path = ""  // outside the prefix: no route matches; the dispatch answers 404
            }
        }
        let route = GatewayRoute(path: path, telemetryPath: gateway.configuration.telemetryPath)
        var response: Response
        if let security = gateway.security {
            response = await guarded(request, route: route, security: security, remote: context.remoteAddress)
            for header in security.headers {
                if let name = HTTPField.Name(header.name) { response.headers[name] = header.value }
            }
        } else {
            response = await dispatch(request, route: route, principal: .anyone)
        }
        gateway.metrics.countRequest(
            handler: route.handler, method: request.method.rawValue, code: response.status.code)
        return response
    }

    /// `--web.config.file`'s rate limit, then credentials and roles (docs/security.md), then
    /// the handler.
    func guarded(_ request: Request, route: GatewayRoute, security: GatewaySecurity, remote: SocketAddress?) async
        -> Response
    {
        if route.requirement != .open, let wait = security.rateLimited() {
            security.count(refusal: "rate_limited")
            return Response(
                status: .tooManyRequests,
                headers: [
                    .contentType: "text/plain; charset=utf-8", .retryAfter: "\(wait)",
                    Self.contentTypeOptions: "nosniff",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "Too Many Requests\n")))
        }
        let role: Role?
        switch route.requirement {
        case .open: role = nil
        case .authenticated: role = .scrape  // any valid credential; the role is not checked
        case .role(let needed): role = needed
        }
        let authorization = request.headers[.authorization]
        let decision = await security.authorize(
            authorization: authorization, role: role, anyRole: route.requirement == .authenticated)
        switch decision {
        case .success(let principal):
            if route.requirement == .role(.push),
                let (wait, over) = security.pushRateLimited(address: remote?.ipAddress, principal: principal)
            {
                security.count(refusal: "rate_limited")
                return Response(
                    status: .tooManyRequests,
                    headers: [
                        .contentType: "text/plain; charset=utf-8", .retryAfter: "\(wait)",
                        Self.contentTypeOptions: "nosniff",
                    ],
                    body: ResponseBody(
                        byteBuffer: ByteBuffer(string: "Too Many Requests: the \(over) is over its rate limit\n")))
            }
            return await dispatch(request, route: route, principal: principal)
        case .failure(let refusal):
            // As Go's http.Error, which exporter-toolkit answers refusals with.
            var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", Self.contentTypeOptions: "nosniff"]
            for (name, value) in refusal.headers {
                if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
            }
            return Response(
                status: HTTPResponse.Status(code: refusal.status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: refusal.message + "\n")))
        }
    }

    /// Each request's context: Hummingbird's, and the client's address.
    public struct GatewayRequestContext: RequestContext {
        public var coreContext: CoreRequestContextStorage
        /// The client's address (per-address rate limits).
        public let remoteAddress: SocketAddress?

        public init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            remoteAddress = source.channel.remoteAddress
        }
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
