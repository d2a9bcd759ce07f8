/// One unit cut from an ops stream by ``OpsFramer/next()``.
public enum OpsFrame: Sendable, Equatable {
    /// The bytes of one complete top-level JSON value (not yet decoded or validated).
    case value([UInt8])
    /// Bytes that cannot be a message (stray bytes, a malformed or truncated value, a value
    /// over the size limit), already skipped; reported once per stretch.
    case rejected(OpsRejection)
}

/// Cuts a byte stream (one per connection: Unix socket, TCP, an HTTP body) into JSON-lines
/// ops messages, as docs/ops.md frames them: JSON objects separated by any whitespace or
/// nothing at all (`}{`), possibly pretty-printed over many lines, possibly split across any
/// number of reads; braces and escaped quotes inside strings are ordinary characters.
///
/// Feed bytes with ``append(_:)`` and pull with ``nextMessage(limits:)`` (decoded and
/// validated) or ``next()`` (raw frames) until it returns `nil`, then read again. Bad input is
/// reported and skipped, never fatal:
/// - stray bytes between messages: one `invalid_json`, then resynchronisation at the next `{`;
/// - a value over ``maxMessageSize`` (default 64 KiB): one `message_too_large`; the rest of
///   the value is discarded as it arrives, so memory stays bounded by the limit plus one read;
/// - a malformed value: one `invalid_json`; the framer resumes after it, or at the start of
///   the next message when the malformed one was truncated (a line cut short, then a new line
///   starting with `{`).
///
/// A well-formed message that arrives whole is decoded in a single pass straight from the
/// buffer (no framing pre-pass, no copy); a message split across reads is scanned once.
public struct OpsFramer: Sendable {
    /// The default ``maxMessageSize``: 64 KiB.
    public static let defaultMaxMessageSize = 64 * 1024

    /// The longest accepted message, in bytes.
    public var maxMessageSize: Int { core.maxMessageSize }

    var core: OpsFramerCore
    var buffer: [UInt8] = []
    var read = 0

    /// Creates a framer for one stream.
    public init(maxMessageSize: Int = OpsFramer.defaultMaxMessageSize) {
        core = OpsFramerCore(maxMessageSize: maxMessageSize)
    }

    /// Bytes received but not yet consumed (at most about ``maxMessageSize`` plus the last read).
    public var bufferedByteCount: Int { buffer.count - read }

    /// Adds bytes read from the stream. O(bytes).
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if read == buffer.count && read > 0 {
            buffer.removeAll(keepingCapacity: true)
            core.shift(by: read)
            read = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next decoded message, or `nil` when more bytes are needed. Throws the rejection of
    /// a message (or of stray, malformed or oversized bytes); the framer has already skipped
    /// them, so keep calling. O(size of the message).
    public mutating func nextMessage(limits: OpsLimits = .default) throws(OpsRejection) -> OpsMessage? {
        switch step(limits: limits) {
        case .message(let message): return message
        case .rejected(let rejection): throw rejection
        case .frame, .needMore: return nil
        }
    }

    /// The next complete value's bytes (or a rejection), or `nil` when more bytes are needed.
    public mutating func next() -> OpsFrame? {
        switch step(limits: nil) {
        case .frame(let range): return .value(Array(buffer[range]))
        case .rejected(let rejection): return .rejected(rejection)
        case .message, .needMore: return nil
        }
    }

    /// Call when the stream ends: the rejection of a message left incomplete, if any. The
    /// framer is then empty and can be reused.
    public mutating func finish() -> OpsRejection? {
        let rejection = core.finish()
        buffer.removeAll(keepingCapacity: true)
        read = 0
        core.shift(by: Int.max / 2)
        return rejection
    }

    mutating func step(limits: OpsLimits?) -> OpsFramerEvent {
        var read = self.read
        var core = self.core
        let event = buffer.withUnsafeBytes { core.next($0, read: &read, final: false, limits: limits) }
        self.core = core
        self.read = read
        if case .needMore = event { compact() }
        return event
    }

    /// Drops consumed bytes so the buffer holds only the unfinished value.
    mutating func compact() {
        guard read > 0 else { return }
        if read == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * maxMessageSize)
        } else {
            buffer.removeSubrange(0..<read)
        }
        core.shift(by: read)
        read = 0
    }
}

extension OpsFramer {
    /// Decodes every message of one datagram (one or more values, framed as on a stream; a
    /// value cut off at the end of the datagram is rejected), calling `body` for each in order.
    /// O(size of the datagram); nothing is copied.
    public static func forEachMessage(
        inDatagram bytes: UnsafeRawBufferPointer, limits: OpsLimits = .default,
        maxMessageSize: Int = defaultMaxMessageSize,
        _ body: (Result<OpsMessage, OpsRejection>) -> Void
    ) {
        var core = OpsFramerCore(maxMessageSize: maxMessageSize)
        var read = 0
        while true {
            switch core.next(bytes, read: &read, final: true, limits: limits) {
            case .message(let message): body(.success(message))
            case .rejected(let rejection): body(.failure(rejection))
            case .frame: continue
            case .needMore: return
            }
        }
    }

    /// Every message of one datagram, in order (see ``forEachMessage(inDatagram:limits:maxMessageSize:_:)``).
    public static func messages(
        inDatagram bytes: some Collection<UInt8>, limits: OpsLimits = .default,
        maxMessageSize: Int = defaultMaxMessageSize
    ) -> [Result<OpsMessage, OpsRejection>] {
        var results: [Result<OpsMessage, OpsRejection>] = []
        let run = { (raw: UnsafeRawBufferPointer) in
            forEachMessage(inDatagram: raw, limits: limits, maxMessageSize: maxMessageSize) { results.append($0) }
        }
        if bytes.withContiguousStorageIfAvailable({ run(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes(run)
        }
        return results
    }

    /// Every raw frame of one datagram, in order, without decoding.
    public static func frames(inDatagram bytes: some Collection<UInt8>, maxMessageSize: Int = defaultMaxMessageSize)
        -> [OpsFrame]
    {
        let array = Array(bytes)
        var frames: [OpsFrame] = []
        array.withUnsafeBytes { raw in
            var core = OpsFramerCore(maxMessageSize: maxMessageSize)
            var read = 0
            while true {
                switch core.next(raw, read: &read, final: true, limits: nil) {
                case .frame(let range): frames.append(.value(Array(raw[range])))
                case .rejected(let rejection): frames.append(.rejected(rejection))
                case .message: continue
                case .needMore: return
                }
            }
        }
        return frames
    }
}
