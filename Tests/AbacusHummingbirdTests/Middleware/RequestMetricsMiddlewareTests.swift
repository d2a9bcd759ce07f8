import Abacus
import AbacusExposition
import AbacusHummingbird
import AbacusTesting
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("RequestMetricsMiddleware")
struct RequestMetricsMiddlewareTests {
    struct Boom: Error {}

    /// A router with the middleware first and a few routes of each outcome.
    func app(_ registry: Registry, buckets: Buckets = .default, prefix: String = "http") throws
        -> some ApplicationProtocol
    {
        let router = Router()
        router.add(middleware: try RequestMetricsMiddleware(registry: registry, prefix: prefix, buckets: buckets))
        router.get("/hello") { _, _ in "hello" }
        router.get("/users/{id}") { _, context in try context.parameters.require("id") }
        router.group("/api/v1").get("/items/{item}/parts/*") { _, _ in "part" }
        router.get("/conflict") { _, _ -> String in throw HTTPError(.conflict) }
        router.get("/boom") { _, _ -> String in throw Boom() }
        router.get("/cancelled") { _, _ -> String in throw CancellationError() }
        router.get("/created") { _, _ in Response(status: .created) }
        router.on("/purge", method: HTTPRequest.Method("PURGE")!) { _, _ in "purged" }
        router.addMetricsRoute(registry: registry)
        return Application(router: router)
    }

    @Test("counts by method, route template (never the raw path) and status; errors with their status")
    func counts() async throws {
        let registry = Registry(processMetrics: false)
        let requests: [(String, HTTPRequest.Method, HTTPResponse.Status)] = [
            ("/hello", .get, .ok), ("/hello", .get, .ok), ("/users/42", .get, .ok), ("/users/7", .get, .ok),
            ("/users/42", .get, .ok), ("/api/v1/items/9/parts/x", .get, .ok), ("/users/7?debug=1", .get, .ok),
            ("/nothing/here", .get, .notFound), ("/hello", .post, .notFound), ("/conflict", .get, .conflict),
            ("/boom", .get, .internalServerError), ("/cancelled", .get, .internalServerError),
            ("/created", .get, .created), ("/purge", HTTPRequest.Method("PURGE")!, .ok),
        ]
        let statuses = try await app(registry).test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for (path, method, _) in requests {
                statuses.append(try await client.execute(uri: path, method: method).status)
            }
            return statuses
        }
        #expect(statuses == requests.map(\.2))
        let expected = """
            http_requests_total{method="GET",route="/api/v1/items/{item}/parts/*",code="200"} 1
            http_requests_total{method="GET",route="/boom",code="500"} 1
            http_requests_total{method="GET",route="/cancelled",code="500"} 1
            http_requests_total{method="GET",route="/conflict",code="409"} 1
            http_requests_total{method="GET",route="/created",code="201"} 1
            http_requests_total{method="GET",route="/hello",code="200"} 2
            http_requests_total{method="GET",route="/users/{id}",code="200"} 4
            http_requests_total{method="GET",route="NotFound",code="404"} 1
            http_requests_total{method="OTHER",route="/purge",code="200"} 1
            http_requests_total{method="POST",route="NotFound",code="404"} 1
            """
        let exposition = registry.exposition()
        #expect(Fixtures.samples("http_requests_total", in: exposition) == expected)
        #expect(
            Fixtures.samples("http_request_duration_seconds_count", in: exposition)
                == expected.replacingOccurrences(of: "http_requests_total", with: "http_request_duration_seconds_count")
        )
        #expect(Fixtures.samples("http_requests_in_flight", in: exposition) == "http_requests_in_flight 0")
        let text = String(decoding: exposition, as: UTF8.self)
        #expect(
            text.contains(
                "# HELP http_requests_total HTTP requests handled, by method, route and status code.\n"
                    + "# TYPE http_requests_total counter\n"))
        #expect(text.contains("# TYPE http_request_duration_seconds histogram\n"))
        #expect(text.contains("# HELP http_requests_in_flight HTTP requests being handled.\n"))
    }

    /// In seconds, in the buckets given. Only bounds no slow machine can break are asserted:
    /// the slow route slept 300 ms, so it is above the 0.25 bucket and its sum is at least 0.3;
    /// both routes are below 300 (a duration in milliseconds would put the slow one above).
    @Test("the duration histogram: seconds, in the buckets given")
    func durations() async throws {
        let registry = Registry(processMetrics: false)
        let router = Router()
        router.add(middleware: try RequestMetricsMiddleware(registry: registry, buckets: [0.25, 300]))
        router.get("/fast") { _, _ in "fast" }
        router.get("/slow") { _, _ in
            try await Task.sleep(for: .milliseconds(300))
            return "slow"
        }
        try await Application(router: router).test(.router) { client in
            _ = try await client.execute(uri: "/fast", method: .get)
            _ = try await client.execute(uri: "/slow", method: .get)
        }
        let lines = Fixtures.samples("http_request_duration_seconds_bucket", in: registry.exposition())
            .split(separator: "\n").map(String.init)
        let prefix = "http_request_duration_seconds_bucket{method=\"GET\","
        #expect(lines.count == 6, "\(lines)")
        for route in ["/fast", "/slow"] {
            #expect(lines.contains(prefix + "route=\"\(route)\",code=\"200\",le=\"300\"} 1"), "\(lines)")
            #expect(lines.contains(prefix + "route=\"\(route)\",code=\"200\",le=\"+Inf\"} 1"), "\(lines)")
        }
        #expect(lines.contains(prefix + "route=\"/slow\",code=\"200\",le=\"0.25\"} 0"), "\(lines)")
        let families = registry.collect()
        let histogram = try #require(families.first { $0.name == "http_request_duration_seconds" })
        for metric in histogram.metrics {
            guard case .histogram(let value) = metric.value else {
                Issue.record("not a histogram: \(metric.value)")
                continue
            }
            let slow = metric.labels.contains(Label("route", "/slow"))
            #expect(slow ? (0.3..<300).contains(value.sum ?? -1) : (0..<300).contains(value.sum ?? -1), "\(metric)")
        }
    }

    @Test("a prefix of one's own")
    func prefix() async throws {
        let registry = Registry(processMetrics: false)
        try await app(registry, buckets: [1], prefix: "shop_http").test(.router) { client in
            _ = try await client.execute(uri: "/hello", method: .get)
        }
        let names = registry.collect().map(\.name)
        #expect(
            names == ["shop_http_request_duration_seconds", "shop_http_requests_in_flight", "shop_http_requests_total"])
        #expect(
            Fixtures.samples("shop_http_requests_total", in: registry.exposition())
                == #"shop_http_requests_total{method="GET",route="/hello",code="200"} 1"#)
    }

    @Test("in flight: up while the handler runs, down when it returned")
    func inFlight() async throws {
        let registry = Registry(processMetrics: false)
        let (entered, enter) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let router = Router()
        router.add(middleware: try RequestMetricsMiddleware(registry: registry))
        router.get("/wait") { _, _ in
            enter.yield()
            for await _ in released { break }
            return "done"
        }
        try await Application(router: router).test(.router) { client in
            async let waiting = client.execute(uri: "/wait", method: .get)
            for await _ in entered { break }
            #expect(
                Fixtures.samples("http_requests_in_flight", in: registry.exposition()) == "http_requests_in_flight 1")
            #expect(Fixtures.samples("http_requests_total", in: registry.exposition()) == "")
            release.yield()
            let response = try await waiting
            #expect(response.status == .ok)
        }
        #expect(Fixtures.samples("http_requests_in_flight", in: registry.exposition()) == "http_requests_in_flight 0")
        #expect(
            Fixtures.samples("http_requests_total", in: registry.exposition())
                == #"http_requests_total{method="GET",route="/wait",code="200"} 1"#)
    }

    @Test("a streamed body is in flight until its last byte is written")
    func streamedBody() async throws {
        let registry = Registry(processMetrics: false)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let router = Router()
        router.add(middleware: try RequestMetricsMiddleware(registry: registry))
        router.get("/stream") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "first "))
                    start.yield()
                    for await _ in released { break }
                    try await writer.write(ByteBuffer(string: "last"))
                    try await writer.finish(nil)
                })
        }
        try await Application(router: router).test(.router) { client in
            async let streaming = client.execute(uri: "/stream", method: .get)
            for await _ in started { break }
            #expect(
                Fixtures.samples("http_requests_in_flight", in: registry.exposition()) == "http_requests_in_flight 1")
            release.yield()
            let response = try await streaming
            #expect(String(buffer: response.body) == "first last")
        }
        #expect(Fixtures.samples("http_requests_in_flight", in: registry.exposition()) == "http_requests_in_flight 0")
        #expect(
            Fixtures.samples("http_requests_total", in: registry.exposition())
                == #"http_requests_total{method="GET",route="/stream",code="200"} 1"#)
    }

    @Test("a response whose body is never written still counts (HEAD generated from GET)")
    func droppedBody() async throws {
        let registry = Registry(processMetrics: false)
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: try RequestMetricsMiddleware(registry: registry))
        router.get("/hello") { _, _ in "hello" }
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/hello", method: .head)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
        }
        let exposition = registry.exposition()
        #expect(Fixtures.samples("http_requests_in_flight", in: exposition) == "http_requests_in_flight 0")
        #expect(
            Fixtures.samples("http_requests_total", in: exposition)
                == #"http_requests_total{method="HEAD",route="/hello",code="200"} 1"#)
    }

    @Test("scrapes of a /metrics route added after the middleware count too, and see themselves in flight")
    func scrapesCount() async throws {
        let registry = Registry(processMetrics: false)
        try await app(registry).test(.router) { client in
            let first = try await client.execute(uri: "/metrics", method: .get)
            #expect(Fixtures.samples("http_requests_in_flight", in: first.body.bytes) == "http_requests_in_flight 1")
            #expect(Fixtures.samples("http_requests_total", in: first.body.bytes) == "")
            let second = try await client.execute(uri: "/metrics", method: .get)
            #expect(
                Fixtures.samples("http_requests_total", in: second.body.bytes)
                    == #"http_requests_total{method="GET",route="/metrics",code="200"} 1"#)
        }
    }

    @Test("two middlewares on one registry share the metrics; a clashing name throws")
    func registration() throws {
        let registry = Registry(processMetrics: false)
        _ = try RequestMetricsMiddleware<BasicRequestContext>(registry: registry)
        _ = try RequestMetricsMiddleware<BasicRequestContext>(registry: registry)
        #expect(registry.collect().count == 3)
        #expect(throws: RegistrationError.self) {
            _ = try RequestMetricsMiddleware<BasicRequestContext>(registry: registry, buckets: [1, 2])
        }
        let other = Registry(processMetrics: false)
        _ = try other.gauge("http_requests_in_flight", help: "Something else.")
        #expect(throws: RegistrationError.self) {
            _ = try RequestMetricsMiddleware<BasicRequestContext>(registry: other)
        }
    }
}
