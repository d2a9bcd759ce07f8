import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real clients and servers with security on: Prometheus 2.42 scraping the gateway over HTTPS
/// with a bearer token (the scrape configuration Antrea documents), Python's
/// `push_to_gateway` with its basic-auth and TLS handlers, client_golang's pusher with basic
/// auth, and Pushgateway 1.5.1 given the same `--web.config.file` as the gateway.
@Suite("Interop: security with real clients and the Pushgateway")
struct SecurityInteropTests {
    /// A CA, the gateway's certificate, and the two files, in one directory.
    struct Setup {
        let pki: TestPKI
        var directory: URL { pki.directory }
        var web: String { directory.appendingPathComponent("web.yml").path }
        var auth: String { directory.appendingPathComponent("auth.yml").path }

        init(tls: Bool) throws {
            pki = try TestPKI(name: "security-interop")
            let tlsSection =
                tls
                ? """
                tls_server_config:
                  cert_file: server.crt
                  key_file: server.key
                  client_auth_type: VerifyClientCertIfGiven
                  client_ca_file: ca.crt

                """ : ""
            try (tlsSection + "http_server_config:\n  headers:\n    X-Frame-Options: deny\n")
                .write(toFile: web, atomically: true, encoding: .utf8)
            try """
            users:
              - {name: ci, password_hash: "\(TestPKI.bcrypt("ci-pw"))", roles: [push], jobs: ["billing-*"]}
            tokens:
              - {name: prometheus, token_sha256: "\(TestPKI.sha256Hex("prom-token"))", roles: [scrape]}

            """.write(toFile: auth, atomically: true, encoding: .utf8)
        }

        var arguments: [String] { ["--web.config.file=\(web)", "--web.auth.file=\(auth)"] }
    }

    @Test("Prometheus scrapes over HTTPS with a CA file and a bearer token; a wrong token gets up == 0")
    func prometheusHTTPSBearer() async throws {
        guard let prometheus = Peers.require(.prometheus), let curl = Peers.require(.curl) else { return }
        let setup = try Setup(tls: true)
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        try await Interop.withGateway(setup.arguments) { gateway in
            #expect(gateway.baseURL.hasPrefix("https://"))
            let push = try await ProcessRunner.run(
                curl,
                [
                    "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", setup.pki.caFile, "-u", "ci:ci-pw",
                    "-X", "PUT", "--data-binary", "secure_jobs_total{kind=\"mail\"} 42\n",
                    gateway.baseURL + "/metrics/job/billing-nightly",
                ])
            #expect(push.stdoutText == "200", "\(push.stdoutText) \(push.stderrText)")
            try "prom-token\n".write(
                toFile: setup.directory.appendingPathComponent("token").path, atomically: true, encoding: .utf8)
            let config = """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: gateway
                    honor_labels: true
                    scheme: https
                    bearer_token_file: \(setup.directory.path)/token
                    tls_config:
                      ca_file: \(setup.pki.caFile)
                    static_configs:
                      - targets: ['127.0.0.1:\(gateway.port)']
                  - job_name: wrong_token
                    scheme: https
                    authorization:
                      credentials: not-the-token
                    tls_config:
                      ca_file: \(setup.pki.caFile)
                    static_configs:
                      - targets: ['127.0.0.1:\(gateway.port)']

                """
            try await withServer(
                prometheus, name: "prometheus",
                arguments: [
                    "--config.file=$DIR/prometheus.yml", "--storage.tsdb.path=$DIR/data",
                    "--web.listen-address=127.0.0.1:$PORT",
                ], files: ["prometheus.yml": config], readyPath: "/-/ready"
            ) { server in
                let up = try await PrometheusQueryAnswer.poll(server.baseURL, #"up{job="gateway"} == 1"#)
                #expect(up.count == 1, "not scraped over HTTPS: \(up)\n\(server.log)")
                let value = try await PrometheusQueryAnswer.poll(server.baseURL, "secure_jobs_total")
                #expect(value.first?.number == 42, "\(value)")
                #expect(value.first?.metric["job"] == "billing-nightly")
                let refused = try await PrometheusQueryAnswer.poll(server.baseURL, #"up{job="wrong_token"}"#)
                #expect(refused.first?.number == 0, "a wrong token was let in: \(refused)")
            }
        }
    }

    static let python = """
        import sys
        from prometheus_client import CollectorRegistry, Gauge, push_to_gateway
        from prometheus_client.exposition import basic_auth_handler, tls_auth_handler
        mode, url = sys.argv[1], sys.argv[2]
        registry = CollectorRegistry()
        Gauge('py_secure_last_run', 'Last run.', registry=registry).set(7)
        if mode == 'basic':
            user, password = sys.argv[3], sys.argv[4]
            def handler(url, method, timeout, headers, data):
                return basic_auth_handler(url, method, timeout, headers, data, user, password)
            push_to_gateway(url, job=sys.argv[5], registry=registry, handler=handler)
        else:
            cert, key, ca = sys.argv[3], sys.argv[4], sys.argv[5]
            def handler(url, method, timeout, headers, data):
                return tls_auth_handler(url, method, timeout, headers, data, cert, key, ca)
            push_to_gateway(url, job='py-tls', registry=registry, handler=handler)
        """

    @Test("Python push_to_gateway with basic_auth_handler (a wrong password or job is refused) and tls_auth_handler")
    func pythonHandlers() async throws {
        guard let python = Peers.require(.pythonClient), let curl = Peers.require(.curl) else { return }
        // Basic auth over HTTP: the credentials file alone.
        let plain = try Setup(tls: false)
        defer { try? FileManager.default.removeItem(at: plain.directory) }
        try await Interop.withGateway(["--web.auth.file=\(plain.auth)"]) { gateway in
            let ok = try await ProcessRunner.run(
                python, ["-c", Self.python, "basic", gateway.baseURL, "ci", "ci-pw", "billing-py"])
            #expect(ok.status == 0, "\(ok.stderrText)")
            let wrong = try await ProcessRunner.run(
                python, ["-c", Self.python, "basic", gateway.baseURL, "ci", "nope", "billing-py"])
            #expect(wrong.status != 0 && wrong.stderrText.contains("401"), "\(wrong.stderrText)")
            let job = try await ProcessRunner.run(
                python, ["-c", Self.python, "basic", gateway.baseURL, "ci", "ci-pw", "payroll"])
            #expect(job.status != 0 && job.stderrText.contains("403"), "\(job.stderrText)")
            let scrape = try await HTTP.request(
                "GET", gateway.baseURL + "/metrics", headers: ["Authorization": "Bearer prom-token"])
            #expect(scrape.text.contains(#"py_secure_last_run{instance="",job="billing-py"} 7"#), "\(scrape.text)")
            #expect(!scrape.text.contains("payroll"))
            // The status names the file, never what is in it; the log holds no secret either.
            let status = try await HTTP.request(
                "GET", gateway.baseURL + "/api/v1/status", headers: ["Authorization": "Bearer prom-token"])
            #expect(status.text.contains(#""web.auth.file":"\#(plain.auth)""#), "\(status.text)")
            #expect(!status.text.contains("$2y$") && !status.text.contains(TestPKI.sha256Hex("prom-token")))
            #expect(!gateway.log.contains("ci-pw") && !gateway.log.contains("$2y$") && !gateway.log.contains("nope"))
        }
        // A client certificate over HTTPS (VerifyClientCertIfGiven, no credentials file).
        let tls = try Setup(tls: true)
        defer { try? FileManager.default.removeItem(at: tls.directory) }
        try await Interop.withGateway(["--web.config.file=\(tls.web)"]) { gateway in
            let client = try tls.pki.client("python", dns: ["python.example"])
            let pushed = try await ProcessRunner.run(
                python, ["-c", Self.python, "tls", gateway.baseURL, client.certFile, client.keyFile, tls.pki.caFile])
            #expect(pushed.status == 0, "\(pushed.stderrText)")
            let stranger = try tls.pki.client("stranger", dns: ["x"], otherCA: true)
            let refused = try await ProcessRunner.run(
                python,
                ["-c", Self.python, "tls", gateway.baseURL, stranger.certFile, stranger.keyFile, tls.pki.caFile])
            #expect(refused.status != 0, "a certificate from an unknown CA was accepted")
            let scrape = try await ProcessRunner.run(
                curl, ["-sS", "--cacert", tls.pki.caFile, gateway.baseURL + "/metrics"])
            #expect(scrape.stdoutText.contains(#"py_secure_last_run{instance="",job="py-tls"} 7"#))
        }
    }

    @Test("SIGHUP reads the security files again (unchanged or not) and the gateway keeps running")
    func sighupReloads() async throws {
        let setup = try Setup(tls: false)
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        try await Interop.withGateway(["--web.auth.file=\(setup.auth)"]) { gateway in
            let process = try #require(gateway.process)
            #expect(!gateway.log.contains("security configuration reloaded"))
            process.signal(SIGHUP)
            let deadline = Date().addingTimeInterval(Patience.seconds)
            while !gateway.log.contains("security configuration reloaded"), Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(gateway.log.contains("security configuration reloaded"), "\(gateway.log)")
            #expect(process.terminationStatus == nil)
            let scrape = try await HTTP.request(
                "GET", gateway.baseURL + "/metrics", headers: ["Authorization": "Bearer prom-token"])
            #expect(scrape.status == 200)
        }
    }

    @Test("client_golang's pusher with BasicAuth")
    func goBasicAuth() async throws {
        guard Peers.require(.go) != nil else { return }
        let binary = try await GoProgram.pusher.binary()
        let setup = try Setup(tls: false)
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        try await Interop.withGateway(["--web.auth.file=\(setup.auth)"]) { gateway in
            let ok = try await ProcessRunner.run(
                binary, ["-url", gateway.baseURL, "-job", "billing-go", "-basic-auth", "ci:ci-pw"])
            #expect(ok.status == 0, "\(ok.stderrText)")
            let none = try await ProcessRunner.run(binary, ["-url", gateway.baseURL, "-job", "billing-go"])
            #expect(none.status != 0 && none.stderrText.contains("401"), "\(none.stderrText)")
            let delete = try await ProcessRunner.run(
                binary, ["-url", gateway.baseURL, "-job", "billing-go", "-op", "delete", "-basic-auth", "ci:wrong"])
            #expect(delete.status != 0 && delete.stderrText.contains("401"), "\(delete.stderrText)")
            let scrape = try await HTTP.request(
                "GET", gateway.baseURL + "/metrics", headers: ["Authorization": "Bearer prom-token"])
            #expect(scrape.text.contains(#"job="billing-go""#), "\(scrape.text)")
        }
    }

    /// One Pushgateway web configuration file, unchanged, given to both servers: the same
    /// requests get the same status codes and the configured headers. The one deliberate
    /// difference (docs/security.md): health checks stay open on the gateway.
    @Test("Pushgateway 1.5.1 and the gateway with the same --web.config.file answer alike")
    func sameFileAsThePushgateway() async throws {
        guard let pushgateway = Peers.require(.pushgateway) else { return }
        let directory = try Peers.temporaryDirectory("pgw-web-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let web = directory.appendingPathComponent("web-config.yml").path
        try """
        # A Pushgateway's file, as its documentation shows them.
        http_server_config:
          headers:
            X-Frame-Options: sameorigin
            X-Content-Type-Options: nosniff
        basic_auth_users:
          admin: \(TestPKI.bcrypt("secret"))
          pusher: \(TestPKI.bcrypt("push-pw"))

        """.write(toFile: web, atomically: true, encoding: .utf8)
        let good = "Basic " + Data("pusher:push-pw".utf8).base64EncodedString()
        let wrong = "Basic " + Data("pusher:secret".utf8).base64EncodedString()
        let unknown = "Basic " + Data("nobody:secret".utf8).base64EncodedString()
        let body = Array("# TYPE pgw_web_gauge gauge\npgw_web_gauge 3\n".utf8)
        let requests: [(String, String, [UInt8]?)] = [
            ("GET", "/metrics", nil), ("PUT", "/metrics/job/web", body), ("POST", "/metrics/job/web/instance/a", body),
            ("GET", "/api/v1/metrics", nil), ("GET", "/api/v1/status", nil), ("DELETE", "/metrics/job/web", nil),
            ("PUT", "/api/v1/admin/wipe", nil), ("GET", "/does/not/exist", nil),
        ]
        func answers(_ baseURL: String) async throws -> [String] {
            var out: [String] = []
            for (method, path, body) in requests {
                for authorization in [nil, good, wrong, unknown] {
                    let response = try await HTTP.request(
                        method, baseURL + path, headers: authorization.map { ["Authorization": $0] } ?? [:], body: body)
                    let frame = response.header("X-Frame-Options") ?? "-"
                    let sniff = response.header("X-Content-Type-Options") ?? "-"
                    let challenge = response.status == 401 ? response.header("WWW-Authenticate") ?? "-" : ""
                    out.append(
                        "\(method) \(path) \(authorization == nil ? "none" : authorization == good ? "good" : authorization == wrong ? "wrong" : "unknown"): \(response.status) \(frame) \(sniff) \(challenge)"
                    )
                }
            }
            return out
        }
        let theirs = try await withServer(
            pushgateway, name: "pushgateway",
            arguments: [
                "--web.listen-address=127.0.0.1:$PORT", "--web.config.file=\(web)", "--web.enable-admin-api",
            ], readyPath: "/-/ready", readyStatuses: [200, 401]
        ) { server in
            // The Pushgateway asks for credentials on its health checks too; the gateway does not.
            #expect(try await HTTP.request("GET", server.baseURL + "/-/healthy").status == 401)
            return try await answers(server.baseURL)
        }
        try await Interop.withGateway(["--web.config.file=\(web)", "--web.enable-admin-api"]) { gateway in
            #expect(try await HTTP.request("GET", gateway.baseURL + "/-/healthy").status == 200)
            let ours = try await answers(gateway.baseURL)
            #expect(ours == theirs, "\(zip(ours, theirs).filter { $0.0 != $0.1 })")
        }
    }
}
