import AbacusTesting
import Foundation
import Testing

/// The Hummingbird example serving HTTPS with a bearer token on `/metrics`, scraped by a real
/// Prometheus 2.42 as Antrea documents its components' scrape (`scheme: https`,
/// `bearer_token_file`, `tls_config.ca_file`); a wrong token gets `up == 0`.
@Suite("Interop: Prometheus scrapes the Hummingbird example over HTTPS with a bearer token")
struct SecureScrapeTests {
    @Test("HTTPS + bearer token file: scraped; without or with a wrong token: refused")
    func httpsBearer() async throws {
        guard let prometheus = Peers.require(.prometheus), let curl = Peers.require(.curl) else { return }
        let pki = try TestPKI(name: "example-tls")
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let tokenFile = pki.directory.appendingPathComponent("token").path
        try "s3cret-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let arguments = [
            "--tls-cert", pki.serverCertFile, "--tls-key", pki.serverKeyFile, "--bearer-token-file", tokenFile,
        ]
        try await ExampleProcess.with(arguments: arguments) { example in
            let url = "https://127.0.0.1:\(example.port)"
            func get(_ path: String, _ extra: [String] = []) async throws -> String {
                try await ProcessRunner.run(
                    curl,
                    ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.caFile] + extra + [url + path]
                ).stdoutText
            }
            #expect(try await get("/hello") == "200")
            #expect(try await get("/metrics") == "401")
            #expect(try await get("/metrics", ["-H", "Authorization: Bearer nope"]) == "401")
            #expect(try await get("/metrics", ["-H", "Authorization: Bearer s3cret-token"]) == "200")
            let config = """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: example
                    scheme: https
                    bearer_token_file: \(tokenFile)
                    tls_config:
                      ca_file: \(pki.caFile)
                    static_configs:
                      - targets: ['127.0.0.1:\(example.port)']
                  - job_name: intruder
                    scheme: https
                    bearer_token: not-the-token
                    tls_config:
                      ca_file: \(pki.caFile)
                    static_configs:
                      - targets: ['127.0.0.1:\(example.port)']

                """
            try await withServer(
                prometheus, name: "prometheus",
                arguments: [
                    "--config.file=$DIR/prometheus.yml", "--storage.tsdb.path=$DIR/data",
                    "--web.listen-address=127.0.0.1:$PORT",
                ], files: ["prometheus.yml": config], readyPath: "/-/ready"
            ) { server in
                let deadline = Date().addingTimeInterval(2 * Patience.seconds)
                var up: [PrometheusQuery.Series] = []
                var intruder: [PrometheusQuery.Series] = []
                while Date() < deadline {
                    up = try await PrometheusQuery.run(server, #"up{job="example"}"#)
                    intruder = try await PrometheusQuery.run(server, #"up{job="intruder"}"#)
                    if up.first?.value == "1", intruder.first != nil { break }
                    try await Task.sleep(for: .milliseconds(300))
                }
                #expect(up.first?.value == "1", "not scraped over HTTPS: \(up)\n\(server.log)")
                #expect(intruder.first?.value == "0", "a wrong token was let in: \(intruder)")
                let hello = try await PrometheusQuery.run(
                    server, #"http_requests_total{job="example",route="/hello",code="200"}"#)
                #expect(hello.first?.value == "1", "\(hello)")
            }
        }
    }
}
