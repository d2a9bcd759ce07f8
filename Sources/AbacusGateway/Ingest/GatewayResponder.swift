import AbacusExposition
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
    public typealias Context = BasicRequestContext

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
                path = ""  // outside the prefix: no route matches; the switch below answers 404
            }
        }
        let method = request.method
        let handler: String
        let response: Response
        if path.hasPrefix("/metrics/") {
            handler = "push"
            response = await push(request, keyPath: path.dropFirst("/metrics/".count))
        } else if path == "/aggregate" || path.hasPrefix("/aggregate/") {
            handler = "aggregate"
            response = await aggregatePush(request, path: path.dropFirst("/aggregate".count).drop { $0 == "/" })
        } else if path == gateway.configuration.telemetryPath {
            handler = "metrics"
            response = method == .get || method == .head ? scrape(request) : notAllowed("GET")
        } else {
            switch path {
            case "/api/v1/ops":
                handler = "ops"
                response = method == .post ? await opsPost(request) : notAllowed("POST")
            case "/api/v1/batch":
                handler = "batch"
                response = method == .put || method == .post ? await batch(request) : notAllowed("PUT, POST")
            case "/api/v1/metrics":
                handler = "api_metrics"
                response = method == .get ? apiMetrics() : notAllowed("GET")
            case "/api/v1/status":
                handler = "api_status"
                response = method == .get ? apiStatus() : notAllowed("GET")
            case "/api/v1/admin/wipe":
                handler = "wipe"
                response = method == .put ? await wipe() : notAllowed("PUT")
            case "/-/healthy":
                handler = "healthy"
                response = method == .get || method == .head ? text(.ok, "OK\n") : notAllowed("GET")
            case "/-/ready", "/health":
                // /health: the original metrics-server's readiness endpoint (503 once shutting down).
                handler = "ready"
                response =
                    method == .get || method == .head
                    ? (gateway.draining.load(ordering: .relaxed)
                        ? text(.serviceUnavailable, "shutting down\n")
                        : gateway.listenersReady.load(ordering: .relaxed)
                            ? text(.ok, "OK\n") : text(.serviceUnavailable, "starting\n"))
                    : notAllowed("GET")
            case "/-/quit":
                handler = "quit"
                response = method == .put || method == .post ? quit() : notAllowed("PUT, POST")
            default:
                handler = "other"
                response = text(.notFound, "not found\n")
            }
        }
        gateway.metrics.countRequest(handler: handler, method: method.rawValue, code: response.status.code)
        return response
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
