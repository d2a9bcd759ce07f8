public import Abacus
public import AbacusExposition
public import Hummingbird

/// A Hummingbird responder that answers Prometheus scrapes with a registry's exposition:
/// content negotiation, gzip and `HEAD` as ``ScrapeResponse/make(for:registry:extraLabels:)``
/// describes them.
///
/// ``Hummingbird/RouterMethods/addMetricsRoute(registry:path:extraLabels:)`` is the usual way
/// to use it; add it yourself to put it behind a group or a middleware of your own:
///
/// ```swift
/// router.group("internal")
///     .add(middleware: BasicAuthMiddleware())
///     .on("metrics", method: .get, responder: MetricsResponder(registry: .shared))
/// ```
public struct MetricsResponder<Context: RequestContext>: HTTPResponder {
    /// The registry exposed.
    public let registry: Registry
    /// Labels added to every series (a series' own label of the same name wins).
    public let extraLabels: [Label]

    /// A responder exposing `registry`, every series labelled with `extraLabels` as well.
    public init(registry: Registry = .shared, extraLabels: [Label] = [], context: Context.Type = Context.self) {
        self.registry = registry
        self.extraLabels = extraLabels
    }

    /// The exposition, negotiated from the request's headers.
    public func respond(to request: Request, context: Context) -> Response {
        ScrapeResponse.make(for: request, registry: registry, extraLabels: extraLabels)
    }
}

extension RouterMethods {
    /// Adds `GET` and `HEAD` routes at `path` answering Prometheus scrapes with `registry`'s
    /// exposition in the format the scraper asks for (text 0.0.4, OpenMetrics 1.0, delimited
    /// protobuf), gzipped when it accepts gzip.
    ///
    /// ```swift
    /// let router = Router()
    /// router.addMetricsRoute(registry: .shared, path: "/metrics")
    /// ```
    ///
    /// Like any route, it is wrapped by the middleware added before it; a
    /// ``RequestMetricsMiddleware`` added first counts scrapes too, under the route `/metrics`.
    @discardableResult
    public func addMetricsRoute(
        registry: Registry = .shared, path: RouterPath = "/metrics", extraLabels: [Label] = []
    ) -> Self {
        addMetricsRoute(registry: registry, path: path, extraLabels: extraLabels, authorization: [])
    }

    /// ``addMetricsRoute(registry:path:extraLabels:)`` that answers only scrapers presenting
    /// one of `authorization` (a bearer token, a token file, a user and password): the others
    /// get `401 Unauthorized` with `WWW-Authenticate`. An empty list lets everyone scrape.
    ///
    /// ```swift
    /// router.addMetricsRoute(
    ///     registry: .shared, authorization: [.bearerTokenFile("/var/run/secrets/metrics/token")])
    /// ```
    ///
    /// HTTPS is the application's: serve it with Hummingbird's TLS server
    /// (`server: .tls(.http1(), tlsConfiguration: …)`), or use ``MetricsEndpoint``'s `tls`.
    @discardableResult
    public func addMetricsRoute(
        registry: Registry = .shared, path: RouterPath = "/metrics", extraLabels: [Label] = [],
        authorization: [ScrapeAuthorization]
    ) -> Self {
        let responder = MetricsResponder<Context>(registry: registry, extraLabels: extraLabels)
        if authorization.isEmpty {
            on(path, method: .get, responder: responder)
            on(path, method: .head, responder: responder)
        } else {
            let guarded = AuthorizingResponder(credentials: authorization, next: responder)
            on(path, method: .get, responder: guarded)
            on(path, method: .head, responder: guarded)
        }
        return self
    }
}
