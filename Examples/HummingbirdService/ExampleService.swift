import Abacus
import AbacusHummingbird
import CoreMetrics
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// The service itself, apart from its command line.
enum ExampleService {
    /// The largest `/work/{n}`: n milliseconds of pretend work.
    static let maximumWork = 1000

    /// The routes, the middleware and `/metrics`, measured into `registry`.
    static func makeRouter(
        registry: Registry, authorization: [ScrapeAuthorization] = []
    ) throws -> Router<BasicRequestContext> {
        let workDone = try registry.counter("example_work_units_total", help: "Units of work done by /work/{n}.")
        let router = Router()
        // First, so that every route added after it is measured.
        router.add(middleware: try RequestMetricsMiddleware(registry: registry))
        router.get("/hello") { _, _ in
            // Through swift-metrics: exported as example_greetings_total once bootstrapped.
            CoreMetrics.Counter(label: "example_greetings").increment()
            return "Hello!\n"
        }
        router.get("/work/{n}") { _, context in
            guard let units = context.parameters.get("n", as: Int.self), (0...maximumWork).contains(units) else {
                throw HTTPError(.badRequest, message: "n must be a whole number from 0 to \(maximumWork)")
            }
            try await Task.sleep(for: .milliseconds(units))
            workDone.increment(by: units)
            return "did \(units) units of work\n"
        }
        router.addMetricsRoute(registry: registry, path: "/metrics", authorization: authorization)
        return router
    }

    /// The application on `host:port`; prints `listening on HOST:PORT` once it listens (the
    /// port the system chose when `port` is 0).
    /// With `tls` (certificate and key PEM files) it serves HTTPS; with `authorization`,
    /// `/metrics` answers only scrapers that present one of those credentials.
    static func makeApplication(
        host: String, port: Int, registry: Registry = .shared, tls: (certificate: String, key: String)? = nil,
        authorization: [ScrapeAuthorization] = []
    ) throws -> some ApplicationProtocol {
        var server = HTTPServerBuilder.http1()
        if let tls {
            server = try .tls(
                .http1(),
                tlsConfiguration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem))))
        }
        return Application(
            router: try makeRouter(registry: registry, authorization: authorization),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                // Unbuffered: whoever started us may be waiting for this line in a file or a pipe.
                FileHandle.standardOutput.write(Data("listening on \(host):\(bound)\n".utf8))
            })
    }
}
