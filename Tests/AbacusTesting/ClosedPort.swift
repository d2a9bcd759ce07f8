#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A port on 127.0.0.1 where nothing listens and nothing else can: a TCP socket and a UDP socket
/// bound to it and held, the TCP one never listening. A connection to it is refused and a datagram
/// to it is never read, for as long as the value lives (keep it alive with
/// `defer { withExtendedLifetime(closed) {} }`).
///
/// Tests of "nothing listening" use it instead of ``Peers/freePort()``: a port that was free a
/// moment ago can be taken meanwhile by a gateway of a test running in parallel, which then
/// receives the pushes meant for nobody.
public final class ClosedPort: Sendable {
    public let port: Int
    private let tcp: Int32
    private let udp: Int32

    public init() throws {
        for _ in 0..<50 {
            let tcp = try Self.bound(stream: true, port: 0)
            let port = try Self.port(of: tcp)
            if let udp = try? Self.bound(stream: false, port: port) {
                self.port = port
                self.tcp = tcp
                self.udp = udp
                return
            }
            close(tcp)
        }
        throw PeerError("no port on 127.0.0.1 free for both TCP and UDP")
    }

    deinit {
        close(tcp)
        close(udp)
    }

    static func bound(stream: Bool, port: Int) throws -> Int32 {
        #if canImport(Glibc)
            let type = Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        #else
            let type = stream ? SOCK_STREAM : SOCK_DGRAM
        #endif
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw PeerError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw PeerError("bind() failed: errno \(error)")
        }
        return fd
    }

    static func port(of fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw PeerError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
