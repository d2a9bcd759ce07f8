import AbacusGateway
import AbacusGatewayTesting
import AbacusTesting
import Foundation

/// `abacus gateway` running inside the test process (the test kit's `TestGateway`), quiet but
/// for critical messages, plus a variant with the ops listeners on.
enum InProcessGateway {
    static func with<T: Sendable>(
        _ configure: (inout GatewayConfiguration) -> Void = { _ in },
        body: (_ baseURL: String, _ server: GatewayServer) async throws -> T
    ) async throws -> T {
        try await TestGateway.with(configure, logLevel: .critical, body: body)
    }

    /// A gateway with the JSON-lines ops listeners on: UDP and TCP on 127.0.0.1 (ports chosen
    /// by the system) and a Unix socket in a temporary directory (removed afterwards).
    static func withOps<T: Sendable>(
        socketDirectory: URL? = nil,
        body: (_ baseURL: String, _ ops: OpsListeners) async throws -> T
    ) async throws -> T {
        let directory = try socketDirectory ?? Peers.temporaryDirectory("push-ops")
        defer { if socketDirectory == nil { try? FileManager.default.removeItem(at: directory) } }
        let socket = directory.appendingPathComponent("m.sock").path
        let setUp: (inout GatewayConfiguration) -> Void = { configuration in
            configuration.ops.udpAddress = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.ops.tcpAddress = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.ops.unixSocket = socket
        }
        return try await with(setUp) { baseURL, server in
            let ports = await server.opsListening()
            guard let udp = ports.udp, let tcp = ports.tcp else {
                throw PeerError("the ops listeners did not bind UDP and TCP: \(ports)")
            }
            return try await body(baseURL, OpsListeners(udpPort: udp, tcpPort: tcp, unixSocket: socket))
        }
    }
}

/// Where a test gateway takes JSON-lines ops.
struct OpsListeners: Sendable {
    var udpPort: Int
    var tcpPort: Int
    var unixSocket: String
}
