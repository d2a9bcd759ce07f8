/// Where an ``OpsSender`` sends: a listener of `abacus gateway` (or the original metrics-server).
public enum OpsEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// UDP datagrams to `host:port` (an IP address or a host name). Nothing is acknowledged:
    /// a datagram the network or the receiver drops is lost without an error.
    case udp(host: String, port: Int)
    /// A Unix domain stream socket.
    case unixSocket(path: String)
    /// A TCP stream to `host:port`.
    case tcp(host: String, port: Int)

    /// UDP to 127.0.0.1:9999, the original metrics-server's port and `abacus gateway --ops.udp`.
    public static let localUDP = OpsEndpoint.udp(host: "127.0.0.1", port: 9999)

    /// Whether messages go over a connection (Unix socket, TCP) rather than in datagrams.
    public var isStream: Bool {
        switch self {
        case .udp: false
        case .unixSocket, .tcp: true
        }
    }

    /// `udp://127.0.0.1:9999`, `unix:///run/metrics.sock`, `tcp://127.0.0.1:9998`.
    public var description: String {
        switch self {
        case .udp(let host, let port): "udp://\(Self.hostPort(host, port))"
        case .unixSocket(let path): "unix://\(path)"
        case .tcp(let host, let port): "tcp://\(Self.hostPort(host, port))"
        }
    }

    private static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
