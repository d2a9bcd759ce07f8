import AbacusExposition
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The stream ops listeners: Unix domain sockets (the main one and the pool) and TCP, each
/// serving any number of connections at once on NIO's event loops. A connection is one byte
/// stream cut into messages by its own ``OpsFramer``: messages may span reads, be
/// pretty-printed or concatenated; each read is applied under one lock.
///
/// Unix socket files: a stale file left by a crash (nothing accepts on it) is replaced at
/// start; a live one (another gateway) or a file that is not a socket stops the start with an
/// error. Files get `--ops.unix-socket-mode` (default 0660) and are removed at exit.
final class StreamListeners: Sendable {
    let channels: [any Channel]
    let unixPaths: [String]
    let connections: Connections
    /// Duplicates of the listening descriptors, to see whether connections wait to be accepted.
    let probes: [Int32]

    /// The open connections and when each last read, so that stopping can wait for them.
    final class Connections: Sendable {
        final class Activity: Sendable {
            let lastReadNs = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
            func touch() { lastReadNs.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }
        }

        let open = Mutex<[ObjectIdentifier: (channel: any Channel, activity: Activity)]>([:])
        /// When a listener last accepted a connection (before the connection registers).
        let lastAcceptNs = Atomic<UInt64>(0)

        func accepted() { lastAcceptNs.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }

        func add(_ channel: any Channel) -> Activity {
            let activity = Activity()
            open.withLock { $0[ObjectIdentifier(channel)] = (channel, activity) }
            channel.closeFuture.whenComplete { [self] _ in
                _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
            }
            return activity
        }

        /// Nothing was accepted, and no open connection read anything, for `idleMs`.
        func quiet(idleMs: UInt64) -> Bool {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now &- lastAcceptNs.load(ordering: .relaxed) >= idleMs * 1_000_000 else { return false }
            return open.withLock { open in
                open.values.allSatisfy { now &- $0.activity.lastReadNs.load(ordering: .relaxed) >= idleMs * 1_000_000 }
            }
        }

        func closeAll() async {
            let channels = open.withLock { $0.values.map(\.channel) }
            for channel in channels { try? await channel.close() }
        }
    }

    private init(channels: [any Channel], unixPaths: [String], connections: Connections, probes: [Int32]) {
        self.channels = channels
        self.unixPaths = unixPaths
        self.connections = connections
        self.probes = probes
    }

    /// Binds every configured stream listener.
    static func start(ingest: OpsIngest, group: any EventLoopGroup) async throws -> StreamListeners {
        let ops = ingest.core.configuration.ops
        var channels: [any Channel] = []
        var paths: [String] = []
        var probes: [Int32] = []
        let connections = Connections()
        do {
            for path in ops.unixSocketPaths {
                try prepareSocketPath(path)
                let fd = try listeningSocket(unixPath: path)
                paths.append(path)
                probes.append(dup(fd))
                guard chmod(path, mode_t(ops.unixSocketMode)) == 0 else {
                    throw ListenerError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
                }
                let channel = try await bootstrap(
                    ingest: ingest, transport: .unix, group: group, connections: connections
                )
                .withBoundSocket(fd).get()
                channels.append(channel)
            }
            if let address = ops.tcpAddress {
                let fd = try listeningSocket(tcp: address)
                probes.append(dup(fd))
                let channel = try await bootstrap(
                    ingest: ingest, transport: .tcp, group: group, connections: connections
                )
                .withBoundSocket(fd).get()
                channels.append(channel)
            }
        } catch {
            for channel in channels { try? await channel.close() }
            for probe in probes { close(probe) }
            for path in paths { unlink(path) }
            throw error
        }
        return StreamListeners(channels: channels, unixPaths: paths, connections: connections, probes: probes)
    }

    /// A listening Unix stream socket at `path` (backlog 1024).
    static func listeningSocket(unixPath path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("socket: \(String(cString: strerror(errno)))") }
        var address = try unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 1024) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ListenerError("cannot listen on \(path): \(message)")
        }
        return fd
    }

    /// A listening TCP socket on `address` (backlog 1024, SO_REUSEADDR).
    static func listeningSocket(tcp address: ListenAddress) throws -> Int32 {
        let fd = try address.boundSocket(type: SOCK_STREAM, name: "TCP") { fd in
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard listen(fd, 1024) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ListenerError("cannot listen on TCP \(address): \(message)")
        }
        return fd
    }

    static func unixAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ListenerError("\(path) is too long for a Unix socket path")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    static func bootstrap(
        ingest: OpsIngest, transport: IngestTransport, group: any EventLoopGroup, connections: Connections
    ) -> ServerBootstrap {
        let maxMessage = ingest.core.configuration.ops.maxMessageBytes
        return ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptWatcher(connections: connections))
                }
            }
            .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 1024))
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                let activity = connections.add(channel)
                let ready = {
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            OpsStreamHandler(
                                ingest: ingest, transport: transport, maxMessageSize: maxMessage, activity: activity))
                    }
                }
                guard transport == .unix, ingest.core.configuration.ops.checksUnixPeers else { return ready() }
                return PeerCredentials.check(channel, ops: ingest.core.configuration.ops).flatMap { refusal in
                    guard let refusal else { return ready() }
                    ingest.core.metrics.countRefusedConnection(transport: transport)
                    ingest.core.logger.notice("ops connection refused", metadata: ["reason": "\(refusal)"])
                    return channel.eventLoop.makeFailedFuture(ListenerError(refusal))
                }
            }
    }

    /// Removes a stale socket file; refuses a live socket or a file that is not a socket.
    static func prepareSocketPath(_ path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            return
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw ListenerError("\(path) exists and is not a socket; not replacing it")
        }
        // A non-blocking probe: a live listener whose accept queue is full must not hang the start.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = try unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let error = errno
        if connected == 0 || error == EAGAIN || error == EINPROGRESS {
            throw ListenerError("\(path) is in use by another process (it accepts connections)")
        }
        // Only a socket nothing listens on is stale; anything else (EACCES…) is not ours to delete.
        guard error == ECONNREFUSED else {
            throw ListenerError("cannot probe the socket \(path): \(String(cString: strerror(error)))")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ListenerError("cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The TCP port bound, when TCP is on.
    var tcpPort: Int? {
        channels.compactMap { channel -> Int? in
            guard let address = channel.localAddress, address.protocol != .unix else { return nil }
            return address.port
        }.first
    }

    /// Stops without losing what clients already sent, within `drainMs`. The listening
    /// sockets stay open (closing one resets the connections in its accept queue, and what
    /// their clients wrote is lost) until all of these hold at once:
    /// - no connection waits in an accept queue;
    /// - nothing was accepted for 500 ms (an accepted connection takes a moment to register);
    /// - every open connection has closed or read nothing for 500 ms.
    /// Then the listening sockets and the remaining connections close and the socket files
    /// are removed. When the task is cancelled instead, it closes everything at once.
    func stop(drainMs: UInt64 = 5000) async {
        let deadline = DispatchTime.now().uptimeNanoseconds + drainMs * 1_000_000
        // Cancelled (not a graceful shutdown): no waiting (a cancelled sleep returns at once).
        func before() -> Bool { !Task.isCancelled && DispatchTime.now().uptimeNanoseconds < deadline }
        while before() {
            if probes.contains(where: Self.hasPendingConnection) || !connections.quiet(idleMs: 500) {
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            break
        }
        for channel in channels { try? await channel.close() }
        for probe in probes { close(probe) }
        await connections.closeAll()
        for path in unixPaths { unlink(path) }
    }

    /// A connection waits in the accept queue of listening socket `fd`.
    static func hasPendingConnection(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLIN) != 0
    }
}

/// `--ops.unix-socket-allow-uids` / `-gids`: who is at the other end of a Unix socket
/// connection, from the kernel (`SO_PEERCRED`: the connecting process's credentials, which it
/// cannot forge).
enum PeerCredentials {
    /// Linux's `struct ucred` (Glibc hides it without `_GNU_SOURCE`): the same layout.
    struct Credentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// `nil` when the peer may send, else why not.
    static func check(_ channel: any Channel, ops: OpsConfiguration) -> EventLoopFuture<String?> {
        #if os(Linux)
            guard let provider = channel as? any SocketOptionProvider else {
                return channel.eventLoop.makeSucceededFuture("the peer's credentials cannot be read")
            }
            let future: EventLoopFuture<Credentials> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            return future.map { credentials in
                let allowed =
                    ops.unixSocketAllowedUIDs?.contains(credentials.uid) == true
                    || ops.unixSocketAllowedGIDs?.contains(credentials.gid) == true
                return allowed
                    ? nil
                    : "uid \(credentials.uid), gid \(credentials.gid) (pid \(credentials.pid)) is not allowed on the Unix socket"
            }.recover { error in "the peer's credentials cannot be read: \(error)" }
        #else
            return channel.eventLoop.makeSucceededFuture("peer credentials are checked on Linux only")
        #endif
    }
}

/// Notes each accepted connection, on the listening channel, before it is registered.
final class AcceptWatcher: ChannelInboundHandler {
    typealias InboundIn = any Channel

    let connections: StreamListeners.Connections

    init(connections: StreamListeners.Connections) { self.connections = connections }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connections.accepted()
        context.fireChannelRead(data)
    }
}

/// One ops connection: bytes in, messages applied; never writes back.
final class OpsStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let ingest: OpsIngest
    let transport: IngestTransport
    let activity: StreamListeners.Connections.Activity
    var framer: OpsFramer

    init(
        ingest: OpsIngest, transport: IngestTransport, maxMessageSize: Int,
        activity: StreamListeners.Connections.Activity
    ) {
        self.ingest = ingest
        self.transport = transport
        self.activity = activity
        framer = OpsFramer(maxMessageSize: maxMessageSize)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.touch()
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { framer.append($0) }
        let limits = ingest.policy.limits
        ingest.apply(transport: transport) { sink in framer.forEachItem(limits: limits, sink) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let rejection = framer.finish() { ingest.reject(rejection, transport: transport) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
