public import AbacusExposition
public import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Sends JSON-lines ops messages (docs/ops.md) to `abacus gateway` (or the original
/// metrics-server) over UDP, a Unix socket or TCP.
///
/// ```swift
/// let sender = OpsSender(endpoint: .unixSocket(path: "/run/abacus/metrics.sock"))
/// try await sender.send(.increment("jobs_total", labels: [Label("queue", "mail")], help: "Jobs run"))
/// try await sender.send([.set("queue_depth", to: 17), .observe("job_seconds", 0.42)])
/// await sender.close()
/// ```
///
/// - Each message is one line written by ``OpsEncoder``. With
///   ``Configuration/validate`` (the default) every message of a batch is first checked as the
///   gateway checks it, so a bad one throws ``OpsSendError/Code/invalidMessage`` and nothing of
///   the batch is sent.
/// - Batching: the messages of one ``send(_:)-([OpsMessage])`` call go out in one write on a
///   stream, and packed into as few datagrams as ``Configuration/maxDatagramSize`` allows over
///   UDP (each message whole).
/// - Streams: the connection is opened at the first send and kept. A connection the server
///   closed is replaced before the next write; a write that fails is retried once on a new
///   connection (the server discarded what it got after closing, so nothing is counted twice
///   in that case), then ``OpsSendError/Code/write`` is thrown.
/// - Nothing waits longer than ``Configuration/timeout``: a connection or write that takes
///   longer is abandoned with ``OpsSendError/Code/timeout``. Errors are thrown, never trapped.
/// - UDP is fire-and-forget: the call returns when the datagrams are handed to the kernel.
/// - An actor: calls from many tasks are serialised. Call ``close()`` when done (releasing the
///   sender closes its socket too).
public actor OpsSender {
    /// How to send.
    public struct Configuration: Sendable {
        /// Longest wait for a connection or a write (default 5 s).
        public var timeout: Duration
        /// Most bytes in one UDP datagram (default 8192): messages of a batch are packed up to
        /// it; a longer message is sent alone (up to 65,507 bytes). The gateway reads datagrams
        /// of up to 64 KiB; keep to the path MTU (about 1400) where datagrams cross a network.
        public var maxDatagramSize: Int
        /// Whether each message is checked as the gateway would check it before sending
        /// (default `true`).
        public var validate: Bool
        /// The limits of that check (default ``OpsLimits/default``, the gateway's).
        public var limits: OpsLimits

        /// Creates a configuration; every argument has the documented default.
        public init(
            timeout: Duration = .seconds(5), maxDatagramSize: Int = 8192, validate: Bool = true,
            limits: OpsLimits = .default
        ) {
            self.timeout = timeout
            self.maxDatagramSize = maxDatagramSize
            self.validate = validate
            self.limits = limits
        }
    }

    /// Where messages go.
    public nonisolated let endpoint: OpsEndpoint
    /// How they are sent.
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private var channel: (any Channel)?
    private var connecting: EventLoopFuture<any Channel>?
    private var datagramTarget: SocketAddress?
    /// Connections opened so far (the first one included).
    public private(set) var connectionCount = 0

    /// A sender to `endpoint`; nothing is opened before the first send.
    public init(
        endpoint: OpsEndpoint, configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "abacus.ops")
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        channel?.close(promise: nil)
    }

    /// Sends one message.
    public func send(_ message: OpsMessage) async throws(OpsSendError) {
        try await send([message])
    }

    /// Sends `messages` in order, batched: one write on a stream, as few datagrams as fit over
    /// UDP. O(total size).
    public func send(_ messages: [OpsMessage]) async throws(OpsSendError) {
        guard !messages.isEmpty else { return }
        let lines = try OpsPacking.lines(
            messages, validate: configuration.validate, limits: configuration.limits, endpoint: endpoint)
        if endpoint.isStream {
            try await writeStream(lines.flatMap { $0 })
        } else {
            let datagrams = try OpsPacking.datagrams(
                lines, maxSize: max(1, configuration.maxDatagramSize), endpoint: endpoint)
            try await writeDatagrams(datagrams)
        }
    }

    /// Sends bytes already framed as the protocol wants (JSON values separated by whitespace),
    /// unchecked: one write on a stream, one datagram over UDP.
    public func send(raw bytes: [UInt8]) async throws(OpsSendError) {
        guard !bytes.isEmpty else { return }
        if endpoint.isStream {
            try await writeStream(bytes)
        } else {
            guard bytes.count <= OpsPacking.maxUDPPayload else {
                throw OpsSendError(.messageTooLarge, endpoint: endpoint, messageIndex: 0)
            }
            try await writeDatagrams([bytes])
        }
    }

    /// Closes the connection or socket; a later send opens a new one.
    public func close() async {
        connecting = nil
        datagramTarget = nil
        guard let channel else { return }
        self.channel = nil
        try? await channel.close()
    }

    // MARK: Streams

    private func writeStream(_ bytes: [UInt8]) async throws(OpsSendError) {
        var attempt = 1
        while true {
            guard !Task.isCancelled else { throw OpsSendError(.cancelled, endpoint: endpoint) }
            let channel = try await streamChannel()
            do {
                try await Self.wait(for: channel.writeAndFlush(ByteBuffer(bytes: bytes)), on: channel, timeout: timeout)
                return
            } catch {
                drop(channel)
                if error is WaitTimeout { throw OpsSendError(.timeout, endpoint: endpoint, underlying: error) }
                guard attempt < 2 else { throw OpsSendError(.write, endpoint: endpoint, underlying: error) }
                attempt += 1
                logger.debug(
                    "ops write failed; reconnecting", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            }
        }
    }

    /// The open connection, or a new one (a connection attempt in progress is shared).
    private func streamChannel() async throws(OpsSendError) -> any Channel {
        if let channel, channel.isActive { return channel }
        if let channel { drop(channel) }
        let future: EventLoopFuture<any Channel>
        if let connecting {
            future = connecting
        } else {
            let bootstrap = ClientBootstrap(group: group).connectTimeout(timeout)
            switch endpoint {
            case .unixSocket(let path): future = bootstrap.connect(unixDomainSocketPath: path)
            case .tcp(let host, let port):
                future = bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1).connect(host: host, port: port)
            case .udp: preconditionFailure("UDP is not a stream")
            }
            connecting = future
            connectionCount += 1
        }
        do {
            let opened = try await future.get()
            if connecting === future { connecting = nil }
            if let current = channel, current !== opened, current.isActive {
                opened.close(promise: nil)
                return current
            }
            channel = opened
            return opened
        } catch {
            if connecting === future { connecting = nil }
            if case ChannelError.connectTimeout = error {
                throw OpsSendError(.timeout, endpoint: endpoint, underlying: error)
            }
            throw OpsSendError(.connect, endpoint: endpoint, underlying: error)
        }
    }

    // MARK: Datagrams

    private func writeDatagrams(_ datagrams: [[UInt8]]) async throws(OpsSendError) {
        guard !Task.isCancelled else { throw OpsSendError(.cancelled, endpoint: endpoint) }
        let (channel, target) = try await datagramChannel()
        let writes = datagrams.map { datagram in
            channel.write(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: datagram)))
        }
        channel.flush()
        do {
            let all = EventLoopFuture.andAllSucceed(writes, on: channel.eventLoop)
            try await Self.wait(for: all, on: channel, timeout: timeout)
        } catch {
            drop(channel)
            if error is WaitTimeout { throw OpsSendError(.timeout, endpoint: endpoint, underlying: error) }
            throw OpsSendError(.write, endpoint: endpoint, underlying: error)
        }
    }

    /// The bound UDP socket and the resolved target, opened at the first send.
    private func datagramChannel() async throws(OpsSendError) -> (any Channel, SocketAddress) {
        if let channel, channel.isActive, let datagramTarget { return (channel, datagramTarget) }
        if let channel { drop(channel) }
        guard case .udp(let host, let port) = endpoint else { preconditionFailure("not UDP") }
        do {
            let target: SocketAddress
            if let numeric = try? SocketAddress(ipAddress: host, port: port) {
                target = numeric
            } else {
                // getaddrinfo blocks: run it on NIO's thread pool, not on the caller's executor.
                target = try await NIOThreadPool.singleton.runIfActive {
                    try SocketAddress.makeAddressResolvingHost(host, port: port)
                }
            }
            let local = target.protocol == .inet6 ? "::" : "0.0.0.0"
            let opened = try await DatagramBootstrap(group: group).bind(host: local, port: 0).get()
            // Another send may have opened one while this one waited: keep that.
            if let current = channel, current.isActive, let datagramTarget {
                opened.close(promise: nil)
                return (current, datagramTarget)
            }
            connectionCount += 1
            channel = opened
            datagramTarget = target
            return (opened, target)
        } catch {
            throw OpsSendError(.connect, endpoint: endpoint, underlying: error)
        }
    }

    // MARK: Support

    private var timeout: TimeAmount { PushTransport.timeAmount(configuration.timeout) }

    private func drop(_ dropped: any Channel) {
        dropped.close(promise: nil)
        if channel === dropped {
            channel = nil
            datagramTarget = nil
        }
    }

    /// Thrown by ``wait(for:on:timeout:)`` when the timeout closed the channel.
    struct WaitTimeout: Error, CustomStringConvertible {
        var description: String { "no progress within the timeout; the connection was closed" }
    }

    /// Waits for `future`; after `timeout` closes `channel`, which fails what is pending.
    private static func wait(
        for future: EventLoopFuture<Void>, on channel: any Channel, timeout: TimeAmount
    ) async throws {
        let flag = TimeoutFlag()
        let scheduled = channel.eventLoop.scheduleTask(in: timeout) {
            flag.fire()
            channel.close(promise: nil)
        }
        defer { scheduled.cancel() }
        do {
            try await future.get()
        } catch {
            if flag.fired { throw WaitTimeout() }
            throw error
        }
    }
}

/// Set once when a timeout fires.
final class TimeoutFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func fire() { value.store(true, ordering: .relaxed) }
    var fired: Bool { value.load(ordering: .relaxed) }
}
