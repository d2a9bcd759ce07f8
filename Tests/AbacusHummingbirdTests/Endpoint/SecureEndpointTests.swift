import Abacus
import AbacusHummingbird
import AbacusTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing

/// `MetricsEndpoint` over HTTPS (client certificates optional) with credentials, and
/// `addMetricsRoute(authorization:)`: 401 with a challenge without them, a rotated token file
/// taken at once.
@Suite("Secured /metrics: HTTPS, bearer tokens, basic auth")
struct SecureEndpointTests {
    static func withRunning<T: Sendable>(
        _ endpoint: MetricsEndpoint, body: (_ port: Int) async throws -> T
    ) async throws -> T {
        try await MetricsEndpointTests().withRunning(endpoint, body: body)
    }

    @Test("MetricsEndpoint: HTTPS with a token file that is rotated, and client certificates when asked")
    func endpoint() async throws {
        guard let curl = Peers.require(.curl) else { return }
        let pki = try TestPKI(name: "endpoint-tls")
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let tokenFile = pki.directory.appendingPathComponent("token").path
        try "first\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let endpoint = MetricsEndpoint(
            registry: try Fixtures.registry(), host: "127.0.0.1", port: 0,
            tls: .init(certificateFile: pki.serverCertFile, keyFile: pki.serverKeyFile),
            authorization: [.bearerTokenFile(tokenFile), .basic(username: "prom", password: "pw")],
            logger: MetricsEndpointTests.quiet)
        try await Self.withRunning(endpoint) { port in
            func get(_ extra: [String]) async throws -> (status: String, body: String) {
                let output = try await ProcessRunner.run(
                    curl,
                    ["-sS", "-w", "\n%{http_code}", "--cacert", pki.caFile] + extra + [
                        "https://127.0.0.1:\(port)/metrics"
                    ])
                // The body, then a line feed and the status (-w).
                let text = output.stdoutText
                guard let cut = text.lastIndex(of: "\n") else { return (text, "") }
                return (String(text[text.index(after: cut)...]), String(text[..<cut]))
            }
            let refused = try await get(["-D", "-"])
            #expect(refused.status == "401")
            #expect(refused.body.contains("WWW-Authenticate: Basic"), "\(refused.body)")
            #expect(refused.body.contains("WWW-Authenticate: Bearer"))
            let ok = try await get(["-H", "Authorization: Bearer first"])
            #expect(ok.status == "200")
            #expect(ok.body == Fixtures.text)
            #expect(try await get(["-u", "prom:pw"]).status == "200")
            #expect(try await get(["-u", "prom:wrong"]).status == "401")
            // Rotated: the old token stops working, the new one works, without a restart.
            try "second\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            #expect(try await get(["-H", "Authorization: Bearer first"]).status == "401")
            #expect(try await get(["-H", "Authorization: Bearer second"]).status == "200")
            // Plain HTTP on the HTTPS port gets no exposition.
            let plain = try await ProcessRunner.run(
                curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/metrics"])
            #expect(plain.stdoutText != "200")
        }
        // Client certificates required.
        let mutual = MetricsEndpoint(
            registry: try Fixtures.registry(), host: "127.0.0.1", port: 0,
            tls: .init(certificateFile: pki.serverCertFile, keyFile: pki.serverKeyFile, clientCAFile: pki.caFile),
            logger: MetricsEndpointTests.quiet)
        try await Self.withRunning(mutual) { port in
            let url = "https://127.0.0.1:\(port)/metrics"
            let client = try pki.client("scraper", dns: ["scraper.example"])
            let with = try await ProcessRunner.run(
                curl,
                [
                    "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.caFile, "--cert", client.certFile,
                    "--key", client.keyFile, url,
                ])
            #expect(with.stdoutText == "200", "\(with.stderrText)")
            let without = try await ProcessRunner.run(curl, ["-sS", "-o", "/dev/null", "--cacert", pki.caFile, url])
            #expect(without.status != 0)
        }
    }

    @Test("MetricsEndpoint: unreadable certificate files fail the start with the reason")
    func badFiles() async throws {
        let endpoint = MetricsEndpoint(
            registry: Registry(), host: "127.0.0.1", port: 0,
            tls: .init(certificateFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem"),
            logger: MetricsEndpointTests.quiet)
        await #expect(throws: (any Error).self) { try await endpoint.run() }
        await #expect(throws: MetricsEndpointError.self) { _ = try await endpoint.listeningPort() }
    }

    @Test("addMetricsRoute(authorization:): bearer and basic accepted, anything else 401, other routes untouched")
    func route() async throws {
        let router = Router()
        router.get("/open") { _, _ in "open\n" }
        router.addMetricsRoute(
            registry: try Fixtures.registry(),
            authorization: [.bearerToken("t0ken"), .basic(username: "prom", password: "p:w")])
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[values: .wwwAuthenticate] == ["Basic", "Bearer"])
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer t0ken"]) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == Fixtures.text)
            }
            try await client.execute(uri: "/metrics", method: .head, headers: [.authorization: "Bearer t0ken"]) {
                #expect($0.status == .ok)
            }
            let basic = "Basic " + Data("prom:p:w".utf8).base64EncodedString()
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: basic]) {
                #expect($0.status == .ok)
            }
            for wrong in [
                "Bearer t0ke", "Bearer t0ken2", "bearer", basic + "x",
                "Basic " + Data("prom:p".utf8).base64EncodedString(),
            ] {
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: wrong]) {
                    #expect($0.status == .unauthorized, "\(wrong)")
                }
            }
            try await client.execute(uri: "/open", method: .get) { #expect($0.status == .ok) }
        }
        #expect(ScrapeAuthorization.bearerToken("t0ken").description == "Bearer <redacted>")
    }
}
