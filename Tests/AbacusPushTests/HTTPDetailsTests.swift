import Abacus
import AbacusExposition
import AbacusPush
import AbacusTesting
import Foundation
import Testing

/// What a server sees of a push: method, path, headers, body bytes — recorded by a small HTTP
/// server — and how the client takes answers it does not like.
@Suite("HTTP details of a push, as a server sees them")
struct HTTPDetailsTests {
    static func registry() throws -> Registry {
        let registry = Registry(processMetrics: false)
        try registry.gauge("hd_gauge", help: "A gauge.").set(3)
        return registry
    }

    @Test("PUT, POST and DELETE with the group path, text 0.0.4 Content-Type and a basic-auth header")
    func basicAuth() async throws {
        let server = try RecordingServer(fallback: .status(202, ""))
        let registry = try Self.registry()
        let key = try GroupingKey(job: "nightly/backup", labels: [Label("instance", "db 1")])
        let configuration = PushConfiguration(
            authorization: .basic(username: "user", password: "s3cret"), headers: ["X-Scope-OrgID": "tenant-1"])
        try await PushgatewayClient.withClient(url: server.baseURL, configuration: configuration) { client in
            try await client.push(registry, to: key)
            try await client.add(registry, to: key)
            try await client.delete(key)
        }
        await server.stop()
        let requests = server.requests
        try #require(requests.count == 3)
        #expect(requests.map(\.method) == ["PUT", "POST", "DELETE"])
        let path = "/metrics/job@base64/bmlnaHRseS9iYWNrdXA=/instance@base64/ZGIgMQ=="
        #expect(requests.map(\.path) == [path, path, path])
        for request in requests {
            #expect(request.headers["authorization"] == "Basic dXNlcjpzM2NyZXQ=")
            #expect(request.headers["x-scope-orgid"] == "tenant-1")
        }
        #expect(requests[0].headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(requests[0].headers["content-encoding"] == nil)
        let text = "# HELP hd_gauge A gauge.\n# TYPE hd_gauge gauge\nhd_gauge 3\n"
        #expect(String(decoding: requests[0].body, as: UTF8.self) == text)
        #expect(String(decoding: requests[1].body, as: UTF8.self) == text)
        #expect(requests[2].body.isEmpty)
    }

    @Test("a bearer token, protobuf and gzip: headers and bytes as sent")
    func bearerProtobufGzip() async throws {
        let server = try RecordingServer()
        let registry = try Self.registry()
        let configuration = PushConfiguration(
            authorization: .bearer("tok-123"), format: .protobuf, compression: .gzip)
        try await PushgatewayClient.withClient(url: server.baseURL, configuration: configuration) { client in
            try await client.push(registry, to: try GroupingKey(job: "bearer"), extraLabels: [Label("run", "7")])
        }
        await server.stop()
        let request = try #require(server.requests.first)
        #expect(request.headers["authorization"] == "Bearer tok-123")
        #expect(request.headers["content-encoding"] == "gzip")
        #expect(
            request.headers["content-type"]
                == "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited")
        #expect(Array(request.body.prefix(2)) == [0x1F, 0x8B])
        let unzipped = try await Gzip.decompress(request.body)
        #expect(unzipped == registry.exposition(format: .protobuf, extraLabels: [Label("run", "7")]))
        let families = try Exposition.parse(unzipped, format: .protobuf)
        #expect(families.map(\.name) == ["hd_gauge"])
        #expect(families.first?.metrics.first?.labels == [Label("run", "7")])
    }

    @Test("an answer outside 2xx throws its status and text")
    func non2xx() async throws {
        let server = try RecordingServer(replies: [.status(503, "overloaded, try later\n"), .status(404, "")])
        try await PushgatewayClient.withClient(url: server.baseURL) { client in
            let busy = await failure(PushError.self, "503") {
                try await client.push(try Self.registry(), to: try GroupingKey(job: "busy"))
            }
            #expect(busy?.code == .httpStatus)
            #expect(busy?.status == 503)
            #expect(busy?.body == "overloaded, try later\n")
            #expect(busy?.description == "PUT \(server.baseURL)/metrics/job/busy: HTTP 503: overloaded, try later")
            let missing = await failure(PushError.self, "404") {
                try await client.delete(try GroupingKey(job: "busy"))
            }
            #expect(missing?.status == 404)
            #expect(missing?.body == "")
        }
        await server.stop()
    }

    @Test("a server that never answers: a timeout error after the configured time", .timeLimit(.minutes(5)))
    func timeout() async throws {
        let server = try RecordingServer(fallback: .hang)
        let started = ContinuousClock.now
        try await PushgatewayClient.withClient(
            url: server.baseURL, configuration: PushConfiguration(timeout: .milliseconds(300))
        ) {
            client in
            let error = await failure(PushError.self, "a request without an answer") {
                try await client.push(try Self.registry(), to: try GroupingKey(job: "slow"))
            }
            #expect(error?.code == .timeout, "\(String(describing: error))")
            #expect(error?.status == nil)
        }
        // Not before the timeout; that it ends at all is the time limit's to say (no bound on
        // how fast the machine answers).
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        // The server reads on a thread of its own: wait for the request rather than count now.
        #expect(try await server.waitForRequests(1).count == 1)
        await server.stop()
    }

    @Test("nothing listening: a transport error; a URL without a usable scheme: invalid_url")
    func unreachable() async throws {
        // Held until the test ends: no gateway of a test running meanwhile can take it.
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        // AsyncHTTPClient retries a refused connection until the timeout; then the error is the
        // connection's.
        let configuration = PushConfiguration(timeout: .seconds(1))
        try await PushgatewayClient.withClient(url: "http://127.0.0.1:\(port)", configuration: configuration) {
            client in
            let error = await failure(PushError.self, "a request to a closed port") {
                try await client.delete(try GroupingKey(job: "x"))
            }
            #expect(error?.code == .transport, "\(String(describing: error))")
        }
        try await PushgatewayClient.withClient(url: "ftp://127.0.0.1:\(port)") { client in
            let error = await failure(PushError.self, "an ftp URL") {
                try await client.delete(try GroupingKey(job: "x"))
            }
            #expect(error?.code == .invalidURL, "\(String(describing: error))")
        }
    }
}

/// gzip -dc, the system's, so the test does not decode with the code under test.
enum Gzip {
    static func decompress(_ bytes: [UInt8]) async throws -> [UInt8] {
        let gzip = try #require(Peers.executable("gzip"), "gzip (Debian: gzip) is needed")
        let result = try await ProcessRunner.run(gzip, ["-dc"], stdin: bytes)
        guard result.status == 0 else { throw PeerError("gzip -dc: \(result.stderrText)") }
        return result.stdout
    }
}
