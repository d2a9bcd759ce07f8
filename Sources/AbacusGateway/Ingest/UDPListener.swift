import AbacusExposition
import CAbacusSocket
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The UDP ops listener: one socket, read by one dedicated thread that nothing else runs on
/// (so no other work stalls the reads while the kernel buffer fills), with `recvmmsg` taking
/// up to 64 datagrams per system call on Linux. Each batch is applied to the store under one
/// lock. The receive buffer is enlarged (`--ops.udp-receive-buffer`, default 8 MiB; as root
/// beyond `net.core.rmem_max`); datagrams the kernel still drops are read from
/// `/proc/net/udp` for `abacus_ingest_udp_receive_buffer_drops_total`.
///
/// A datagram carries one or more messages; a message cut off by the end of the datagram, or
/// a datagram longer than the read buffer, is rejected.
final class UDPListener: Sendable {
    static let batch = 64
    static let datagramCapacity = 65536

    let fd: Int32
    /// The port bound (useful with port 0).
    let port: Int
    let inode: UInt64
    let ingest: OpsIngest
    let stopping = Atomic<Bool>(false)
    let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init(address: ListenAddress, receiveBuffer: Int, ingest: OpsIngest) throws {
        self.ingest = ingest
        let fd = try address.boundSocket(type: SOCK_DGRAM, name: "UDP") { fd in
            var size = Int32(clamping: receiveBuffer)
            // SO_RCVBUFFORCE goes beyond net.core.rmem_max when permitted (CAP_NET_ADMIN).
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = Int(Self.port(of: bound))
        var status = stat()
        _ = fstat(fd, &status)
        inode = UInt64(status.st_ino)
        self.fd = fd
    }

    /// The receive buffer the kernel granted, in bytes.
    var receiveBufferBytes: Int {
        var size: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &length)
        return Int(size)
    }

    static func port(of address: sockaddr_storage) -> UInt16 {
        var address = address
        let family = address.ss_family
        return withUnsafePointer(to: &address) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin6_port)
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt16(bigEndian: $0.pointee.sin_port)
            }
        }
    }

    static func isLoopback(_ address: sockaddr_storage) -> Bool {
        var address = address
        let family = address.ss_family
        return withUnsafePointer(to: &address) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    let bytes = withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                    // ::1, or ::ffff:127.x.x.x
                    if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
                    return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF
                        && bytes[12] == 127
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr) >> 24 == 127
            }
        }
    }

    /// Starts the reading thread.
    func start() {
        let thread = Thread { [self] in
            // Thread.name does not reach the OS thread on Linux; top -H and perf show this one.
            abacus_name_thread("abacus-udp")
            self.readLoop()
            let waiters = finished.withLock { state in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.start()
    }

    /// Stops the thread once the datagrams already queued are read (within about 1 s), then
    /// closes the socket.
    func stop() async {
        stopping.store(true, ordering: .relaxed)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        close(fd)
    }

    func readLoop() {
        let batch = Self.batch
        let capacity = Self.datagramCapacity
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: batch * capacity, alignment: 64)
        let datagrams = UnsafeMutablePointer<abacus_datagram>.allocate(capacity: batch)
        defer {
            buffers.deallocate()
            datagrams.deallocate()
        }
        for i in 0..<batch {
            datagrams[i] = abacus_datagram()
            datagrams[i].buffer = buffers + i * capacity
            datagrams[i].capacity = capacity
        }
        let maxMessage = ingest.core.configuration.ops.maxMessageBytes
        let limits = ingest.policy.limits
        let shutdownEnabled = ingest.policy.shutdownRefusal == nil
        // After stop(): what is already queued is still read (at most one more second), so that
        // datagrams sent before the shutdown are not dropped with the socket.
        var drainDeadline: UInt64?
        while true {
            if drainDeadline == nil, stopping.load(ordering: .relaxed) {
                drainDeadline = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
            }
            // Blocks for the first datagram (up to the 100 ms timeout), then takes what is queued.
            let count = Int(abacus_receive_datagrams(fd, datagrams, UInt32(batch)))
            if let drainDeadline, count <= 0 || DispatchTime.now().uptimeNanoseconds > drainDeadline { break }
            if count <= 0 { continue }
            // Datagrams from elsewhere than loopback may not shut the gateway down: apply them
            // with their own policy (consecutive runs of the same kind share one lock).
            var start = 0
            while start < count {
                let loopback = !shutdownEnabled || Self.isLoopback(datagrams[start].source)
                var end = start + 1
                while end < count, !shutdownEnabled || Self.isLoopback(datagrams[end].source) == loopback { end += 1 }
                let range = start..<end
                ingest.apply(transport: .udp, policy: ingest.policy(loopback: loopback)) { sink in
                    for i in range {
                        let length = datagrams[i].length
                        // Each message is held to --ops.max-message-size by the framer; a datagram
                        // is refused whole only when it did not fit the read buffer.
                        if datagrams[i].truncated != 0 {
                            sink(
                                .rejected(
                                    OpsRejection(
                                        .messageTooLarge, "a datagram is longer than \(capacity) bytes; skipped")))
                            continue
                        }
                        OpsFramer.forEachItem(
                            inDatagram: UnsafeRawBufferPointer(start: datagrams[i].buffer, count: length),
                            limits: limits, maxMessageSize: maxMessage, sink)
                    }
                }
                start = end
            }
        }
    }

    /// Datagrams the kernel dropped on this socket (the `drops` column of /proc/net/udp{,6}).
    ///
    /// The kernel writes those files a few records at a time; sockets opened or closed between
    /// two reads can shift the records so that one is skipped. So each file is read with one
    /// large buffer, and read again (up to three times) when the socket's line is missing.
    func drops() -> Double? {
        for _ in 0..<3 {
            for file in ["/proc/net/udp", "/proc/net/udp6"] {
                guard let text = Self.readProcFile(file) else { continue }
                for line in text.split(separator: "\n").dropFirst() {
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                    guard fields.count >= 13, UInt64(fields[9]) == inode else { continue }
                    return Double(fields[12])
                }
            }
        }
        return nil
    }

    /// The whole of a /proc file, read with as few `read` calls as it allows.
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[..<got])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A listener could not start.
struct ListenerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ListenAddress {
    /// A socket of `type` bound to this numeric address, `configure`d before the bind.
    func boundSocket(type: __socket_type, name: String, configure: (Int32) -> Void) throws -> Int32 {
        let address = self
        var hints = addrinfo()
        hints.ai_socktype = Int32(type.rawValue)
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address.host, String(address.port), &hints, &info) == 0, let info else {
            throw ListenerError("\(name) address \(address) is not a numeric IP address and port")
        }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, Int32(type.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("\(name) socket: \(String(cString: strerror(errno)))") }
        configure(fd)
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ListenerError("cannot listen on \(name) \(address): \(message)")
        }
        return fd
    }
}
