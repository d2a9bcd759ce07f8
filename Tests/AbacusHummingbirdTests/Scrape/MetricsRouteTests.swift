import Abacus
import AbacusExposition
import AbacusHummingbird
import AbacusTesting
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The /metrics route")
struct MetricsRouteTests {
    func app(_ registry: Registry, path: RouterPath = "/metrics", extraLabels: [Label] = []) -> some ApplicationProtocol
    {
        let router = Router()
        router.addMetricsRoute(registry: registry, path: path, extraLabels: extraLabels)
        return Application(router: router)
    }

    @Test("no Accept header: text 0.0.4, byte for byte, with its Content-Type and Vary")
    func textGolden() async throws {
        try await app(Fixtures.registry()).test(.router) { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(String(decoding: response.body.bytes, as: UTF8.self) == Fixtures.text)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.headers[.vary] == "Accept, Accept-Encoding")
            #expect(response.headers[.contentEncoding] == nil)
            #expect(response.headers[.contentLength] == "\(Fixtures.text.utf8.count)")
        }
    }

    @Test("Prometheus' own Accept header gets OpenMetrics 1.0, byte for byte")
    func openMetricsGolden() async throws {
        try await app(Fixtures.registry()).test(.router) { client in
            let response = try await client.execute(
                uri: "/metrics", method: .get, headers: [.accept: Fixtures.prometheusAccept])
            #expect(String(decoding: response.body.bytes, as: UTF8.self) == Fixtures.openMetrics)
            #expect(
                response.headers[.contentType] == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        }
    }

    @Test(
        "each negotiated format: its Content-Type, and a body that parses back to the registry's families",
        arguments: [
            ("text/plain;version=0.0.4", ExpositionFormat.text, "text/plain; version=0.0.4; charset=utf-8"),
            ("*/*", .text, "text/plain; version=0.0.4; charset=utf-8"),
            ("application/json", .text, "text/plain; version=0.0.4; charset=utf-8"),
            (
                "application/openmetrics-text;version=1.0.0", .openMetrics,
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            ),
            (
                Fixtures.protobufAccept, .protobuf,
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            ),
        ])
    func negotiation(accept: String, format: ExpositionFormat, contentType: String) async throws {
        let registry = try Fixtures.registry()
        try await app(registry).test(.router) { client in
            let response = try await client.execute(uri: "/metrics", method: .get, headers: [.accept: accept])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == contentType)
            let parsed = try Exposition.parse(response.body.bytes, format: format)
            #expect(parsed == registry.collect())
            #expect(parsed.map(\.name) == ["job_duration_seconds", "jobs_processed_total", "queue_length"])
            #expect(response.body.bytes == Exposition.encode(registry.collect(), format: format))
        }
    }

    @Test(
        "gzip when Accept-Encoding allows it: Content-Encoding gzip, and gunzip gives the exposition back",
        arguments: ["gzip", "br, gzip;q=0.5", "*", "GZIP"])
    func gzip(acceptEncoding: String) async throws {
        try await app(Fixtures.registry()).test(.router) { client in
            let response = try await client.execute(
                uri: "/metrics", method: .get, headers: [.acceptEncoding: acceptEncoding])
            #expect(response.headers[.contentEncoding] == "gzip")
            #expect(response.headers[.vary] == "Accept, Accept-Encoding")
            #expect(response.headers[.contentLength] == "\(response.body.readableBytes)")
            #expect(response.body.bytes.prefix(2) == [0x1F, 0x8B])
            let plain = try await Gzip.decompress(response.body.bytes)
            #expect(String(decoding: plain, as: UTF8.self) == Fixtures.text)
        }
    }

    @Test("no gzip when Accept-Encoding does not allow it", arguments: ["identity", "gzip;q=0", "br", ""])
    func noGzip(acceptEncoding: String) async throws {
        try await app(Fixtures.registry()).test(.router) { client in
            let response = try await client.execute(
                uri: "/metrics", method: .get, headers: [.acceptEncoding: acceptEncoding])
            #expect(response.headers[.contentEncoding] == nil)
            #expect(String(decoding: response.body.bytes, as: UTF8.self) == Fixtures.text)
        }
    }

    @Test("a gzipped protobuf scrape round-trips")
    func gzipProtobuf() async throws {
        let registry = try Fixtures.registry()
        try await app(registry).test(.router) { client in
            let response = try await client.execute(
                uri: "/metrics", method: .get,
                headers: [.accept: Fixtures.protobufAccept, .acceptEncoding: "gzip"])
            #expect(response.headers[.contentEncoding] == "gzip")
            let plain = try await Gzip.decompress(response.body.bytes)
            #expect(try Exposition.parse(plain, format: .protobuf) == registry.collect())
        }
    }

    @Test("extra labels go on every series; another path is 404")
    func extraLabelsAndPath() async throws {
        let registry = try Fixtures.registry()
        try await app(registry, path: "/internal/prometheus", extraLabels: [Label("zone", "eu-1")]).test(.router) {
            client in
            let response = try await client.execute(uri: "/internal/prometheus", method: .get)
            #expect(response.status == .ok)
            let body = String(decoding: response.body.bytes, as: UTF8.self)
            #expect(body.contains("\njobs_processed_total{zone=\"eu-1\"} 3\n"))
            #expect(body.contains("\nqueue_length{zone=\"eu-1\",queue=\"sms\"} -1.5\n"))
            #expect(response.body.bytes == registry.exposition(format: .text, extraLabels: [Label("zone", "eu-1")]))
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .notFound)
        }
    }

    @Test("HEAD over a real socket: the headers of GET, Content-Length included, and no body")
    func head() async throws {
        try await app(Fixtures.registry()).test(.live) { client in
            let port = try #require(client.port)
            let get = try await RawHTTP.request("GET", port: port, path: "/metrics")
            let head = try await RawHTTP.request("HEAD", port: port, path: "/metrics")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["content-length"] == "\(Fixtures.text.utf8.count)")
            #expect(head.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(get.text == Fixtures.text)
            let gzipHead = try await RawHTTP.request(
                "HEAD", port: port, path: "/metrics", headers: [("Accept-Encoding", "gzip")])
            #expect(gzipHead.headers["content-encoding"] == "gzip")
            #expect(gzipHead.body.isEmpty)
        }
    }

    @Test("the exposition follows the registry: a scrape sees what changed since the last one")
    func live() async throws {
        let registry = Registry(processMetrics: false)
        let counter = try registry.counter("events_total", help: "Events.")
        try await app(registry).test(.router) { client in
            let first = try await client.execute(uri: "/metrics", method: .get)
            #expect(Fixtures.samples("events_total", in: first.body.bytes) == "events_total 0")
            counter.increment(by: 5)
            let second = try await client.execute(uri: "/metrics", method: .get)
            #expect(Fixtures.samples("events_total", in: second.body.bytes) == "events_total 5")
        }
    }
}
