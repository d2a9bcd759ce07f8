public import Foundation

#if canImport(Glibc)
    public import Glibc
#elseif canImport(Darwin)
    public import Darwin
#endif

/// Blocking socket clients for tests that must control the bytes exactly (one `send` per
/// call, datagrams as given, connections closed when the test says): the JSON-lines ops
/// listeners' clients. Run them with ``offThread(_:)``, never on the cooperative pool.
public enum RawSockets {
    /// Runs a blocking body on a thread of its own (not on Swift Testing's cooperative pool).
    public static func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// A connected Unix stream socket to `path`.
    public static func connectUnix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("socket: errno \(errno)") }
        var address = try unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 || finishInterruptedConnect(fd) else {
            let code = errno
            close(fd)
            throw PeerError("connect to \(path): \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// A connected TCP socket to `host:port` (IPv4).
    public static func connectTCP(host: String = "127.0.0.1", port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("socket: errno \(errno)") }
        var address = try inet(host: host, port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 || finishInterruptedConnect(fd) else {
            let code = errno
            close(fd)
            throw PeerError("connect to TCP \(host):\(port): \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// A `connect` interrupted by a signal (EINTR: the test process gets SIGCHLD when a
    /// gateway child is stopped or continued) goes on in the background: wait for it and read
    /// its outcome. `false` (errno set) when it failed or was not interrupted.
    static func finishInterruptedConnect(_ fd: Int32) -> Bool {
        guard errno == EINTR else { return false }
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while poll(&entry, 1, 10_000) < 0 && errno == EINTR {}
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        errno = error
        return error == 0 && entry.revents & Int16(POLLOUT) != 0
    }

    /// Writes every byte, looping over partial writes (no SIGPIPE).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw PeerError("send: \(String(cString: strerror(errno))) after \(offset) of \(bytes.count) bytes")
            }
            offset += count
        }
    }

    /// Sends each of `datagrams` to `host:port` from one UDP socket, in order; from `source`
    /// (an IPv4 address of this machine) when given. `paced` sleeps 1 ms every 16 datagrams, so
    /// that a loaded machine does not drop on the loopback queue.
    public static func sendDatagrams(
        _ datagrams: [[UInt8]], host: String = "127.0.0.1", port: Int, from source: String? = nil,
        paced: Bool = false
    ) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("socket: errno \(errno)") }
        defer { close(fd) }
        if let source {
            var local = try inet(host: source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw PeerError("bind UDP to \(source): errno \(errno)") }
        }
        var target = try inet(host: host, port: port)
        for (index, payload) in datagrams.enumerated() {
            let sent = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == payload.count else {
                throw PeerError("sendto UDP \(host):\(port) of \(payload.count) bytes returned \(sent): errno \(errno)")
            }
            if paced && index % 16 == 15 { usleep(1000) }
        }
    }

    /// The address of the Unix socket `path`.
    public static func unixAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw PeerError("\(path) is too long for a Unix socket path")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// The IPv4 address `host:port`.
    public static func inet(host: String, port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw PeerError("not an IPv4 address: \(host)") }
        return address
    }
}
