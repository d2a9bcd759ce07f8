import Abacus
import AbacusExposition
import AbacusHummingbird
import AbacusTesting
import Logging
import ServiceLifecycle
import Testing

@Suite("MetricsEndpoint: a standalone /metrics server")
struct MetricsEndpointTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test.metrics-endpoint")
        logger.logLevel = .error
        return logger
    }()

    /// Runs `endpoint` in a service group for the length of `body`, then shuts the group down
    /// gracefully and waits for it.
    func withRunning<T: Sendable>(
        _ endpoint: MetricsEndpoint, body: (_ port: Int) async throws -> T
    ) async throws -> T {
        let group = ServiceGroup(services: [endpoint], gracefulShutdownSignals: [], logger: Self.quiet)
        let task = Task { try await group.run() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(try await endpoint.listeningPort()))
        } catch {
            result = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await task.value
        return try result.get()
    }

    @Test("port 0: serves the exposition on a real socket, 404 elsewhere")
    func serves() async throws {
        let endpoint = MetricsEndpoint(
            registry: try Fixtures.registry(), host: "127.0.0.1", port: 0, logger: Self.quiet)
        #expect(endpoint.port == 0)
        try await withRunning(endpoint) { port in
            #expect(port > 0)
            let response = try await RawHTTP.request("GET", port: port, path: "/metrics")
            #expect(response.status == 200)
            #expect(response.text == Fixtures.text)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.headers["vary"] == "Accept, Accept-Encoding")

            let openMetrics = try await RawHTTP.request(
                "GET", port: port, path: "/metrics", headers: [("Accept", Fixtures.prometheusAccept)])
            #expect(openMetrics.text == Fixtures.openMetrics)
            #expect(openMetrics.headers["content-type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8")

            let gzipped = try await RawHTTP.request(
                "GET", port: port, path: "/metrics", headers: [("Accept-Encoding", "gzip, deflate")])
            #expect(gzipped.headers["content-encoding"] == "gzip")
            #expect(String(decoding: try await Gzip.decompress(gzipped.body), as: UTF8.self) == Fixtures.text)

            for path in ["/", "/metrics/extra", "/other"] {
                #expect(try await RawHTTP.request("GET", port: port, path: path).status == 404, "\(path)")
            }
            #expect(try await RawHTTP.request("POST", port: port, path: "/metrics").status == 404)
            let head = try await RawHTTP.request("HEAD", port: port, path: "/metrics")
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.headers["content-length"] == "\(Fixtures.text.utf8.count)")
        }
        // Still known after the endpoint stopped.
        #expect(try await endpoint.listeningPort() > 0)
    }

    @Test("a path of its own, extra labels")
    func customPath() async throws {
        let registry = Registry(processMetrics: false)
        try registry.counter("ticks_total", help: "Ticks.").increment(by: 2)
        let endpoint = MetricsEndpoint(
            registry: registry, host: "127.0.0.1", port: 0, path: "/internal/prom",
            extraLabels: [Label("service", "worker")], logger: Self.quiet)
        try await withRunning(endpoint) { port in
            let response = try await RawHTTP.request("GET", port: port, path: "/internal/prom")
            #expect(
                response.text
                    == "# HELP ticks_total Ticks.\n# TYPE ticks_total counter\nticks_total{service=\"worker\"} 2\n")
            #expect(try await RawHTTP.request("GET", port: port, path: "/metrics").status == 404)
        }
    }

    @Test("a port already taken: run throws, and so does listeningPort")
    func portTaken() async throws {
        let first = MetricsEndpoint(
            registry: Registry(processMetrics: false), host: "127.0.0.1", port: 0, logger: Self.quiet)
        try await withRunning(first) { port in
            let second = MetricsEndpoint(
                registry: Registry(processMetrics: false), host: "127.0.0.1", port: port, logger: Self.quiet)
            await #expect(throws: (any Error).self) { try await second.run() }
            await #expect(throws: MetricsEndpointError.self) { try await second.listeningPort() }
        }
    }

    @Test("in a ServiceGroup: graceful shutdown stops it; a waiter cancelled before it listens gets CancellationError")
    func serviceGroup() async throws {
        let endpoint = MetricsEndpoint(
            registry: try Fixtures.registry(), host: "127.0.0.1", port: 0, logger: Self.quiet)
        let waiter = Task { try await endpoint.listeningPort() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }

        let group = ServiceGroup(services: [endpoint], gracefulShutdownSignals: [], logger: Self.quiet)
        let running = Task { try await group.run() }
        let port = try await endpoint.listeningPort()
        #expect(try await RawHTTP.request("GET", port: port, path: "/metrics").text == Fixtures.text)
        await group.triggerGracefulShutdown()
        try await running.value
        await #expect(throws: (any Error).self) { try await RawHTTP.request("GET", port: port, path: "/metrics") }
    }
}
