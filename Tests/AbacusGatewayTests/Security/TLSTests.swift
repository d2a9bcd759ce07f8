import AbacusGateway
import AbacusGatewayTesting
import AbacusTesting
import Foundation
import Testing

/// HTTPS and client certificates (`tls_server_config`), checked with curl: every
/// `client_auth_type`, expired, unknown-CA and wrong-SAN certificates refused, TLS versions,
/// and a renewed certificate used without a restart. Certificates are made by the test.
@Suite("Security: TLS and client certificates (curl)")
struct TLSTests {
    struct Curl {
        let executable: URL
        let pki: TestPKI

        /// curl's exit status and the HTTP status it saw ("000" when there was no response).
        func get(_ url: String, _ extra: [String] = []) async throws -> (exit: Int32, status: Int, stderr: String) {
            let result = try await ProcessRunner.run(
                executable,
                ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "--cacert", pki.caFile]
                    + extra + [url])
            return (result.status, Int(result.stdoutText) ?? -1, result.stderrText)
        }

        func with(_ pair: TestPKI.Pair) -> [String] { ["--cert", pair.certFile, "--key", pair.keyFile] }
    }

    static func withTLSGateway<T: Sendable>(
        _ tls: String, _ body: (_ https: String, _ curl: Curl, _ server: GatewayServer) async throws -> T
    ) async throws -> T? {
        guard let executable = Peers.require(.curl) else { return nil }
        let pki = try TestPKI(name: "tls")
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let web = pki.directory.appendingPathComponent("web.yml").path
        let config = """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            \(tls)
            """
        try config.write(toFile: web, atomically: true, encoding: .utf8)
        return try await TestGateway.with(
            {
                $0.webConfigFile = web
                // No watcher during the test: it calls reloadIfChanged() itself.
                $0.securityReloadIntervalMs = 3_600_000
            },
            body: { baseURL, server in
                try await body(
                    baseURL.replacingOccurrences(of: "http://", with: "https://"),
                    Curl(executable: executable, pki: pki),
                    server)
            })
    }

    @Test("HTTPS with the configured certificate; plain HTTP on the same port gets no answer")
    func https() async throws {
        _ = try await Self.withTLSGateway("") { https, curl, server in
            #expect(server.core.security?.servesTLS == true)
            let ok = try await curl.get(https + "/-/healthy")
            #expect(ok.exit == 0 && ok.status == 200, "\(ok)")
            // The certificate is for 127.0.0.1 and localhost, signed by the test's CA only.
            let untrusted = try await ProcessRunner.run(
                curl.executable, ["-sS", "-o", "/dev/null", "--max-time", "30", https + "/-/healthy"])
            #expect(untrusted.status != 0, "a certificate from an unknown CA was accepted")
            let plain = try await curl.get(https.replacingOccurrences(of: "https://", with: "http://") + "/-/healthy")
            #expect(plain.exit != 0 || plain.status != 200, "\(plain)")
            // A client certificate is not asked for: presenting one changes nothing.
            let client = try curl.pki.client("someone", dns: ["someone.example"])
            #expect(try await curl.get(https + "/metrics", curl.with(client)).status == 200)
        }
    }

    @Test("RequireAndVerifyClientCert with client_allowed_sans: only a valid certificate with an allowed SAN")
    func requireAndVerify() async throws {
        let tls = """
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              client_allowed_sans: [client.example, "ops@example.com", "spiffe://example/pusher"]
            """
        _ = try await Self.withTLSGateway(tls) { https, curl, server in
            let pki = curl.pki
            let url = https + "/metrics"
            let good = try pki.client("good", dns: ["other.example", "client.example"])
            let byEmail = try pki.client("mail", emails: ["ops@example.com"])
            let byURI = try pki.client("uri", uris: ["spiffe://example/pusher"])
            let wrongSAN = try pki.client("wrong", dns: ["mallory.example"])
            let expired = try pki.client("expired", dns: ["client.example"], expired: true)
            let stranger = try pki.client("stranger", dns: ["client.example"], otherCA: true)

            for (name, pair) in [("dns", good), ("email", byEmail), ("uri", byURI)] {
                let answer = try await curl.get(url, curl.with(pair))
                #expect(answer.exit == 0 && answer.status == 200, "\(name): \(answer)")
            }
            let none = try await curl.get(url)
            #expect(none.exit != 0 && none.status != 200, "no certificate: \(none)")
            for (name, pair) in [("wrong SAN", wrongSAN), ("expired", expired), ("unknown CA", stranger)] {
                let answer = try await curl.get(url, curl.with(pair))
                #expect(answer.exit != 0 && answer.status != 200, "\(name): \(answer)")
            }
            // Pushes too, and the gateway counts the SAN refusal.
            let push = try await curl.get(
                https + "/metrics/job/tls", curl.with(good) + ["-X", "PUT", "--data-binary", "tls_pushed 1\n"])
            #expect(push.status == 200, "\(push)")
            let scrape = try await ProcessRunner.run(
                curl.executable, ["-sS", "--cacert", pki.caFile] + curl.with(good) + [url])
            #expect(scrape.stdoutText.contains(#"tls_pushed{instance="",job="tls"} 1"#))
            #expect(scrape.stdoutText.contains("abacus_tls_clients_refused_total 1\n"), "\(scrape.stdoutText)")
        }
    }

    @Test("VerifyClientCertIfGiven and RequireAnyClientCert")
    func optionalAndAny() async throws {
        let ifGiven = "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n"
        _ = try await Self.withTLSGateway(ifGiven) { https, curl, _ in
            let url = https + "/-/healthy"
            #expect(try await curl.get(url).status == 200)
            #expect(try await curl.get(url, curl.with(curl.pki.client("good", dns: ["a"]))).status == 200)
            let stranger = try await curl.get(url, curl.with(curl.pki.client("s", dns: ["a"], otherCA: true)))
            #expect(stranger.exit != 0, "\(stranger)")
        }
        _ = try await Self.withTLSGateway("  client_auth_type: RequireAnyClientCert\n") { https, curl, _ in
            let url = https + "/-/healthy"
            let none = try await curl.get(url)
            #expect(none.exit != 0, "\(none)")
            // Any certificate, even from a CA nobody trusts: it is not verified.
            let stranger = try await curl.get(url, curl.with(curl.pki.client("s", dns: ["a"], otherCA: true)))
            #expect(stranger.exit == 0 && stranger.status == 200, "\(stranger)")
        }
    }

    @Test("min_version TLS13 refuses a TLS 1.2 client")
    func versions() async throws {
        _ = try await Self.withTLSGateway("  min_version: TLS13\n") { https, curl, _ in
            let url = https + "/-/healthy"
            #expect(try await curl.get(url, ["--tlsv1.3"]).status == 200)
            let old = try await curl.get(url, ["--tls-max", "1.2"])
            #expect(old.exit != 0, "\(old)")
        }
    }

    @Test("a renewed certificate and key are used from the next connection, without a restart")
    func certificateRotation() async throws {
        _ = try await Self.withTLSGateway("") { https, curl, server in
            let security = try #require(server.core.security)
            let url = https + "/-/healthy"
            #expect(try await curl.get(url).status == 200)
            // A new CA and server certificate, written over the files the configuration names.
            let renewed = try TestPKI(name: "tls-renewed")
            defer { try? FileManager.default.removeItem(at: renewed.directory) }
            let directory = curl.pki.directory.path
            for (from, to) in [(renewed.serverCertFile, "server.crt"), (renewed.serverKeyFile, "server.key")] {
                let data = try Data(contentsOf: URL(fileURLWithPath: from))
                try data.write(to: URL(fileURLWithPath: directory + "/" + to), options: .atomic)
            }
            #expect(security.reloadIfChanged() == .reloaded)
            let withNewCA = try await curl.get(url, ["--cacert", renewed.caFile])
            #expect(withNewCA.status == 200, "\(withNewCA)")
            let withOldCA = try await curl.get(url)
            #expect(withOldCA.exit != 0, "the old certificate is still served: \(withOldCA)")
            // A key that does not match the certificate: refused, the renewed pair stays.
            let other = try TestPKI(name: "tls-other")
            defer { try? FileManager.default.removeItem(at: other.directory) }
            try Data(contentsOf: URL(fileURLWithPath: other.serverKeyFile))
                .write(to: URL(fileURLWithPath: directory + "/server.key"), options: .atomic)
            guard case .failed = security.reloadIfChanged() else {
                Issue.record("a key that does not match its certificate was taken")
                return
            }
            #expect(try await curl.get(url, ["--cacert", renewed.caFile]).status == 200)
            // The configuration names a certificate that is not there yet: refused; once the file
            // arrives, the next check takes it (the files a refused configuration names are watched).
            let web = directory + "/web.yml"
            try "tls_server_config:\n  cert_file: next.crt\n  key_file: next.key\n"
                .write(toFile: web, atomically: true, encoding: .utf8)
            guard case .failed = security.reloadIfChanged() else {
                Issue.record("a configuration naming missing files was taken")
                return
            }
            #expect(security.reloadIfChanged() == .unchanged)
            for (from, to) in [(renewed.serverKeyFile, "next.key"), (renewed.serverCertFile, "next.crt")] {
                try Data(contentsOf: URL(fileURLWithPath: from))
                    .write(to: URL(fileURLWithPath: directory + "/" + to), options: .atomic)
            }
            #expect(security.reloadIfChanged() == .reloaded)
            #expect(try await curl.get(url, ["--cacert", renewed.caFile]).status == 200)
        }
    }
}
