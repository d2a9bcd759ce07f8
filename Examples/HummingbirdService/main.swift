import AbacusMetrics
import ArgumentParser
import CoreMetrics

/// A small Hummingbird service instrumented with Abacus: every request counted and timed by
/// `RequestMetricsMiddleware`, a business counter of its own, and `/metrics` for Prometheus.
///
///     swift run HummingbirdServiceExample --port 8080
///     curl localhost:8080/hello; curl localhost:8080/work/20; curl localhost:8080/metrics
///
/// With `--tls-cert`/`--tls-key` it serves HTTPS, and with `--bearer-token-file` its `/metrics`
/// wants that token, as Prometheus sends it with `bearer_token_file`.
struct HummingbirdServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "HummingbirdServiceExample",
        abstract: "A Hummingbird service with request metrics and a /metrics route.")

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port; the one chosen is printed).")
    var port = 8080

    @Option(help: "Serve HTTPS with this certificate chain (PEM); needs --tls-key.")
    var tlsCert: String?

    @Option(help: "The private key (PEM) of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Answer /metrics only to scrapers presenting this file's token (Authorization: Bearer).")
    var bearerTokenFile: String?

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func run() async throws {
        // Whatever reports through swift-metrics (libraries, and `/hello` below) lands in the
        // same registry as the Abacus instruments.
        MetricsSystem.bootstrap(AbacusMetricsFactory(registry: .shared))
        let tls = tlsCert.flatMap { cert in tlsKey.map { (certificate: cert, key: $0) } }
        let app = try ExampleService.makeApplication(
            host: host, port: port, tls: tls, authorization: bearerTokenFile.map { [.bearerTokenFile($0)] } ?? [])
        try await app.runService()
    }
}

// `main.swift` cannot hold `@main`; parse and run by hand (`main()` would resolve to the
// synchronous overload here).
do {
    let command = try HummingbirdServiceCommand.parse()
    try await command.run()
} catch {
    HummingbirdServiceCommand.exit(withError: error)
}
