import AbacusExposition
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

    /// The open connections, closed at stop so that nothing is applied after the last commit.
    final class Connections: Sendable {
        let open = Mutex<[ObjectIdentifier: any Channel]>([:])

        func add(_ channel: any Channel) {
            open.withLock { $0[ObjectIdentifier(channel)] = channel }
            channel.closeFuture.whenComplete { [self] _ in
                _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }

        func closeAll() async {
            let channels = open.withLock { Array($0.values) }
            for channel in channels { try? await channel.close() }
        }
    }

    private init(channels: [any Channel], unixPaths: [String], connections: Connections) {
        self.channels = channels
        self.unixPaths = unixPaths
        self.connections = connections
    }

    /// Binds every configured stream listener.
    static func start(ingest: OpsIngest, group: any EventLoopGroup) async throws -> StreamListeners {
        let ops = ingest.core.configuration.ops
        var channels: [any Channel] = []
        var paths: [String] = []
        let connections = Connections()
        do {
            for path in ops.unixSocketPaths {
                try prepareSocketPath(path)
                let channel = try await bootstrap(
                    ingest: ingest, transport: .unix, group: group, connections: connections
                )
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
                channels.append(channel)
                paths.append(path)
                guard chmod(path, mode_t(ops.unixSocketMode)) == 0 else {
                    throw ListenerError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
                }
            }
            if let address = ops.tcpAddress {
                let channel = try await bootstrap(
                    ingest: ingest, transport: .tcp, group: group, connections: connections
                )
                .bind(host: address.host, port: address.port).get()
                channels.append(channel)
            }
        } catch {
            for channel in channels { try? await channel.close() }
            for path in paths { unlink(path) }
            throw error
        }
        return StreamListeners(channels: channels, unixPaths: paths, connections: connections)
    }

    static func bootstrap(
        ingest: OpsIngest, transport: IngestTransport, group: any EventLoopGroup, connections: Connections
    ) -> ServerBootstrap {
        let maxMessage = ingest.core.configuration.ops.maxMessageBytes
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: transport == .tcp ? 1 : 0)
            .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 1024))
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        OpsStreamHandler(ingest: ingest, transport: transport, maxMessageSize: maxMessage))
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
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
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
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected == 0 {
            throw ListenerError("\(path) is in use by another process (it accepts connections)")
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

    /// Stops accepting, closes the listening sockets and every open connection (what a
    /// connection has sent is applied: each read is applied when it arrives), and removes the
    /// socket files.
    func stop() async {
        for channel in channels { try? await channel.close() }
        await connections.closeAll()
        for path in unixPaths { unlink(path) }
    }
}

/// One ops connection: bytes in, messages applied; never writes back.
final class OpsStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let ingest: OpsIngest
    let transport: IngestTransport
    var framer: OpsFramer

    init(ingest: OpsIngest, transport: IngestTransport, maxMessageSize: Int) {
        self.ingest = ingest
        self.transport = transport
        framer = OpsFramer(maxMessageSize: maxMessageSize)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
