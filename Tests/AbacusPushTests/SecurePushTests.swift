import Abacus
import AbacusExposition
import AbacusGateway
import AbacusPush
import AbacusTesting
import Foundation
import Testing

/// `PushgatewayClient` against a gateway that wants a client certificate and a bearer token:
/// mTLS with `PushConfiguration.useTLS`, a token file rotated between pushes
/// (`PushAuthorization.bearerTokenFile`), and the errors when either is missing.
@Suite("Push: mTLS and rotating token files")
struct SecurePushTests {
    @Test(
        "mTLS + bearer token file: pushed; a rotated token is sent at once; no certificate or an unreadable file fails")
    func mutualTLSAndTokenFile() async throws {
        guard let curl = Peers.require(.curl) else { return }
        let pki = try TestPKI(name: "push-mtls")
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let web = pki.directory.appendingPathComponent("web.yml").path
        try """
        tls_server_config:
          cert_file: server.crt
          key_file: server.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: ca.crt
          client_allowed_sans: [pusher.example]

        """.write(toFile: web, atomically: true, encoding: .utf8)
        let auth = pki.directory.appendingPathComponent("auth.yml").path
        try """
        tokens:
          - {name: job-a, token_sha256: "\(TestPKI.sha256Hex("token-a"))", roles: [push]}
          - {name: job-b, token_sha256: "\(TestPKI.sha256Hex("token-b"))", roles: [push, scrape]}

        """.write(toFile: auth, atomically: true, encoding: .utf8)
        let tokenFile = pki.directory.appendingPathComponent("token").path
        try "token-a\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let client = try pki.client("pusher", dns: ["pusher.example"])

        let secured: (inout GatewayConfiguration) -> Void = {
            $0.webConfigFile = web
            $0.authFile = auth
        }
        try await InProcessGateway.with(secured) { baseURL, _ in
            let https = baseURL.replacingOccurrences(of: "http://", with: "https://")
            let key = try GroupingKey(job: "secure")
            let registry = Registry()
            let runs = try registry.counter("secure_runs_total", help: "Runs.")
            runs.increment()
            var configuration = PushConfiguration(authorization: .bearerTokenFile(tokenFile))
            try configuration.useTLS(caFile: pki.caFile, certificateFile: client.certFile, keyFile: client.keyFile)
            #expect(configuration.authorization?.description == "Bearer <redacted>")
            try await PushgatewayClient.withClient(url: https, configuration: configuration) { pusher in
                try await pusher.push(registry, to: key)
                // Rotated on disk: the next push sends the new token.
                try "token-b\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
                runs.increment()
                try await pusher.push(registry, to: key)
                // A token nobody knows: 401 from the server.
                try "token-c\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
                do throws(PushError) {
                    try await pusher.push(registry, to: key)
                    Issue.record("a push with an unknown token was accepted")
                } catch {
                    #expect(error.code == .httpStatus && error.status == 401, "\(error)")
                }
                // No file: the push fails before anything is sent.
                try FileManager.default.removeItem(atPath: tokenFile)
                do throws(PushError) {
                    try await pusher.push(registry, to: key)
                    Issue.record("a push without its token file was sent")
                } catch {
                    #expect(error.code == .credentials, "\(error)")
                    #expect("\(error)".contains("cannot read the token file"), "\(error)")
                }
            }
            // Read back over mTLS with the scrape token.
            let scraped = try await ProcessRunner.run(
                curl,
                [
                    "-sS", "--cacert", pki.caFile, "--cert", client.certFile, "--key", client.keyFile, "-H",
                    "Authorization: Bearer token-b", https + "/metrics",
                ])
            #expect(
                scraped.stdoutText.contains(#"secure_runs_total{instance="",job="secure"} 2"#), "\(scraped.stdoutText)")

            // Without a client certificate: refused during the handshake.
            var noCertificate = PushConfiguration(authorization: .bearer("token-b"))
            try noCertificate.useTLS(caFile: pki.caFile)
            try await PushgatewayClient.withClient(url: https, configuration: noCertificate) { pusher in
                do throws(PushError) {
                    try await pusher.push(registry, to: key)
                    Issue.record("a push without a client certificate was accepted")
                } catch {
                    #expect(error.code == .transport || error.code == .timeout, "\(error)")
                }
            }
        }
    }

    @Test("IntervalPusher pushes over mTLS with a token file, at the interval and on shutdown")
    func intervalPusherOverMutualTLS() async throws {
        guard let curl = Peers.require(.curl) else { return }
        let pki = try TestPKI(name: "interval-mtls")
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let web = pki.directory.appendingPathComponent("web.yml").path
        try
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
            .write(toFile: web, atomically: true, encoding: .utf8)
        let auth = pki.directory.appendingPathComponent("auth.yml").path
        try
            "tokens:\n  - {name: worker, token_sha256: \"\(TestPKI.sha256Hex("worker-token"))\", roles: [push, scrape]}\n"
            .write(toFile: auth, atomically: true, encoding: .utf8)
        let tokenFile = pki.directory.appendingPathComponent("token").path
        try "worker-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let client = try pki.client("worker", dns: ["worker.example"])
        let secured: (inout GatewayConfiguration) -> Void = {
            $0.webConfigFile = web
            $0.authFile = auth
        }
        try await InProcessGateway.with(secured) { baseURL, _ in
            let https = baseURL.replacingOccurrences(of: "http://", with: "https://")
            let registry = Registry(processMetrics: false)
            let done = try registry.counter("interval_secure_done_total", help: "Work done.")
            var push = PushConfiguration(authorization: .bearerTokenFile(tokenFile), compression: .gzip)
            try push.useTLS(caFile: pki.caFile, certificateFile: client.certFile, keyFile: client.keyFile)
            let pusher = IntervalPusher(
                registry: registry,
                configuration: .init(
                    exportURL: https + "/metrics/job/interval-secure", exportInterval: .milliseconds(100), push: push),
                logger: IntervalPusherTests.logger())
            func scraped() async throws -> String {
                try await ProcessRunner.run(
                    curl,
                    [
                        "-sS", "--cacert", pki.caFile, "--cert", client.certFile, "--key", client.keyFile, "-H",
                        "Authorization: Bearer worker-token", https + "/metrics",
                    ]
                ).stdoutText
            }
            try await IntervalPusherTests.running(pusher) {
                done.increment(by: 3)
                let arrived = try await eventually {
                    try await scraped().contains(#"interval_secure_done_total{instance="",job="interval-secure"} 3"#)
                }
                #expect(arrived, "no interval push arrived over mTLS")
                done.increment(by: 2)
            }
            #expect(pusher.statistics.succeeded >= 2)
            #expect(pusher.statistics.finalPushSucceeded)
            #expect(try await scraped().contains(#"interval_secure_done_total{instance="",job="interval-secure"} 5"#))
        }
    }
}
