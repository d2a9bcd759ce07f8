import HTTPTypes
public import Hummingbird
import NIOCore

/// Each request's context: Hummingbird's, the client's address, and who made the request once
/// ``GatewayRouter``'s access middleware has checked it.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's part of the context.
    public var coreContext: CoreRequestContextStorage
    /// The client's address (per-address rate limits).
    public let remoteAddress: SocketAddress?
    /// Who made the request: ``Principal/anyone`` without credentials configured.
    public var principal: Principal = .anyone

    /// The context of a request on `source`'s connection.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Every HTTP endpoint of the gateway on Hummingbird's router, each in a group whose
/// middleware checks what the endpoint needs (docs/security.md: the web configuration's rate
/// limit, credentials and role, the push rate limits), adds the configured headers and counts
/// the request; a router-wide middleware does the same for paths that match no endpoint.
///
/// | method | path (after `--web.route-prefix`) | |
/// |---|---|---|
/// | PUT, POST, DELETE | `/metrics/job/<JOB>{/<LABEL>/<VALUE>}` | push, add, delete (`?partial` deletes every group whose key has these labels) |
/// | PUT, POST | `/api/v1/batch` | several groups in one atomic request |
/// | POST, PUT, DELETE | `/aggregate{/<LABEL>/<VALUE>}` | aggregating push, delete of aggregated series |
/// | POST | `/api/v1/ops` | JSON-lines ops |
/// | GET | `--web.telemetry-path` (`/metrics`) | scrape, negotiated, gzip |
/// | GET | `/api/v1/metrics`, `/api/v1/status` | JSON, the Pushgateway's shapes |
/// | PUT | `/api/v1/admin/wipe` | with `--web.enable-admin-api` |
/// | GET | `/-/healthy`, `/-/ready`, `/health` | |
/// | PUT, POST | `/-/quit` | with `--web.enable-lifecycle` |
///
/// Every method is routed to every endpoint, so a wrong one gets `405` with `Allow` from the
/// handler, as the Pushgateway answers, rather than `404`.
enum GatewayRouter {
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options]

    static func make(core: GatewayCore, ops: OpsIngest) -> Router<GatewayRequestContext> {
        let handlers = GatewayHandlers(gateway: core, ops: ops)
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: UnmatchedPathMiddleware(handlers: handlers))
        let prefix = core.configuration.routePrefix
        let base = router.group(RouterPath(prefix.isEmpty ? "/" : prefix))
        let routes: [(GatewayRoute, [String])] = [
            (.push(""), ["metrics/**"]), (.aggregate(""), ["aggregate", "aggregate/**"]),
            (.scrape, [String(core.configuration.telemetryPath.dropFirst())]), (.ops, ["api/v1/ops"]),
            (.batch, ["api/v1/batch"]), (.apiMetrics, ["api/v1/metrics"]), (.apiStatus, ["api/v1/status"]),
            (.wipe, ["api/v1/admin/wipe"]), (.healthy, ["-/healthy"]), (.ready, ["-/ready", "health"]),
            (.quit, ["-/quit"]),
        ]
        for (route, paths) in routes {
            let group = base.group().add(middleware: EndpointMiddleware(core: core, route: route))
            for path in paths {
                for method in methods {
                    group.on(RouterPath(path), method: method) { request, context in
                        await handlers.handle(route, request, principal: context.principal)
                    }
                }
            }
        }
        return router
    }

    /// The configured headers on a response.
    static func finish(_ response: inout Response, core: GatewayCore) {
        guard let security = core.security else { return }
        for header in security.headers {
            if let name = HTTPField.Name(header.name) { response.headers[name] = header.value }
        }
    }
}

/// What an endpoint needs before its handler runs (``GatewayRoute/requirement``), then the
/// configured headers and the request count.
struct EndpointMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let core: GatewayCore
    let route: GatewayRoute

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        var context = context
        if let security = core.security {
            switch await security.admit(
                authorization: request.headers[.authorization], requirement: route.requirement,
                address: context.remoteAddress?.ipAddress)
            {
            case .success(let principal):
                context.principal = principal
                response = try await next(request, context)
            case .failure(let refusal):
                response = GatewayHandlers.refusal(refusal)
            }
        } else {
            response = try await next(request, context)
        }
        GatewayRouter.finish(&response, core: core)
        core.metrics.countRequest(handler: route.handler, method: request.method.rawValue, code: response.status.code)
        return response
    }
}

/// Requests the router matched to no endpoint: a method not routed (TRACE, a WebDAV method…)
/// on an endpoint's path goes to that endpoint, which answers `405` with `Allow`, after the
/// same checks; any other path (or one outside `--web.route-prefix`) is `404 not found` to
/// those who may ask (any valid credential when credentials are configured, else 401).
struct UnmatchedPathMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let handlers: GatewayHandlers

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let core = handlers.gateway
            let route = handlers.route(of: request)
            if route != .notFound {
                return try await EndpointMiddleware(core: core, route: route).handle(request, context: context) {
                    request, context in
                    await handlers.handle(route, request, principal: context.principal)
                }
            }
            var response = Response(
                status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "not found\n")))
            if let security = core.security,
                case .failure(let refusal) = await security.admit(
                    authorization: request.headers[.authorization], requirement: .authenticated,
                    address: context.remoteAddress?.ipAddress)
            {
                response = GatewayHandlers.refusal(refusal)
            }
            GatewayRouter.finish(&response, core: core)
            core.metrics.countRequest(handler: "other", method: request.method.rawValue, code: response.status.code)
            return response
        }
    }
}
