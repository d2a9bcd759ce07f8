public import AbacusGateway
import Foundation
public import Logging

/// A gateway running inside the test process on real sockets: 127.0.0.1, a port picked by the
/// system, in memory unless the configuration says otherwise. Stopped (task cancelled) when
/// the body returns or throws.
public enum TestGateway {
    /// Runs `body` against the gateway; `logLevel` is what its logger prints (errors by default).
    public static func with<T: Sendable>(
        _ configure: (inout GatewayConfiguration) -> Void = { _ in }, logLevel: Logger.Level = .error,
        body: (_ baseURL: String, _ server: GatewayServer) async throws -> T
    ) async throws -> T {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.storagePath = ":memory:"
        configure(&configuration)
        var logger = Logger(label: "test.gateway")
        logger.logLevel = logLevel
        let server = try GatewayServer(configuration: configuration, logger: logger)
        let task = Task { try await server.run(handleSignals: false) }
        defer { task.cancel() }
        let port = await server.port()
        let result = try await body("http://127.0.0.1:\(port)", server)
        task.cancel()
        _ = await task.result
        return result
    }
}
