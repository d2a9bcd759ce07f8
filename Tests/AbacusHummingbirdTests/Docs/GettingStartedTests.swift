import Abacus
import AbacusHummingbird
import Hummingbird
import HummingbirdTesting
import Testing

/// The code of the DocC catalog's "Getting started", kept compiling and true (with a registry
/// of its own instead of `Registry.shared`, which every test of the process shares).
@Suite("Docs: getting started")
struct GettingStartedTests {
    @Test func instrumentAService() async throws {
        let registry = Registry(processMetrics: false)
        let orders = try registry.counter("shop_orders_total", help: "Orders placed.", labelNames: ["channel"])

        let router = Router()
        router.add(middleware: try RequestMetricsMiddleware(registry: registry))
        router.get("/orders/{id}") { _, context in
            try context.parameters.require("id")
        }
        router.post("/orders") { _, _ in
            try orders.labels("web").increment()
            return HTTPResponse.Status.created
        }
        router.addMetricsRoute(registry: registry, path: "/metrics")

        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let scrape = try await app.test(.router) { client in
            for id in 1...3 { _ = try await client.execute(uri: "/orders/\(id)", method: .get) }
            _ = try await client.execute(uri: "/orders", method: .post)
            _ = try await client.execute(uri: "/.env", method: .get)
            return try await client.execute(uri: "/metrics", method: .get).body.bytes
        }
        #expect(
            Fixtures.samples("http_requests_total", in: scrape) == """
                http_requests_total{method="GET",route="/orders/{id}",code="200"} 3
                http_requests_total{method="GET",route="NotFound",code="404"} 1
                http_requests_total{method="POST",route="/orders",code="201"} 1
                """)
        #expect(Fixtures.samples("http_requests_in_flight", in: scrape) == "http_requests_in_flight 1")
        #expect(Fixtures.samples("shop_orders_total", in: scrape) == #"shop_orders_total{channel="web"} 1"#)
    }

    @Test func namesAndBuckets() async throws {
        let registry = Registry(processMetrics: false)
        let router = Router()
        router.add(
            middleware: try RequestMetricsMiddleware(
                registry: registry,
                prefix: "shop_http",  // shop_http_requests_total, …
                buckets: .exponential(start: 0.001, factor: 2, count: 14)))  // 1 ms … 8 s
        router.get("/") { _, _ in "home" }
        try await Application(router: router).test(.router) { client in
            _ = try await client.execute(uri: "/", method: .get)
        }
        let buckets = Fixtures.samples("shop_http_request_duration_seconds_bucket", in: registry.exposition())
        let bounds = buckets.split(separator: "\n").map { line in
            line.split(separator: "le=\"")[1].prefix { $0 != "\"" }
        }
        #expect(
            bounds == [
                "0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128", "0.256", "0.512", "1.024",
                "2.048", "4.096", "8.192", "+Inf",
            ])
        #expect(
            registry.collect().map(\.name) == [
                "shop_http_request_duration_seconds", "shop_http_requests_in_flight", "shop_http_requests_total",
            ])
    }
}
