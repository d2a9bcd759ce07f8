/// The common shape of an ops message, read without allocating: `inc`, `set`, `add` or `obs`
/// with a finite value (≥ 0 for `inc`), a `name`, optional `labels` (an object of strings),
/// an optional ASCII `help` within the limit, numeric bucket fields that are 0 (absent, as a
/// Go client's zero values), and no other field.
///
/// It exists for the gateway's hot path. The name and the labels are given as their raw JSON
/// bytes, exactly as the client sent them, so a receiver that has already seen a message with
/// the same bytes (and decoded it with ``OpsDecoder``) can find its series with one hash and
/// one comparison. Everything else the slow path would check on those fields (metric name
/// rules, label name rules, duplicates, lengths) is *not* checked here: use the raw bytes only
/// as a key to state built from a fully decoded message, and call ``decode(limits:)`` on a miss.
///
/// Valid only inside the callback that receives it: it points into the reader's buffer.
public struct OpsQuickMessage {
    /// The operation: `inc`, `set`, `add` or `obs`.
    public let op: OpsOperation
    /// The value: finite, ≥ 0 for `inc`.
    public let value: Double
    /// The bytes between the quotes of `name` (escapes not decoded; valid JSON string content).
    public let name: UnsafeRawBufferPointer
    /// The bytes of the `labels` object, braces included; empty when absent.
    public let labels: UnsafeRawBufferPointer
    /// The whole message, for ``decode(limits:)``.
    public let frame: UnsafeRawBufferPointer

    /// The message decoded and validated by ``OpsDecoder`` (the slow path).
    public func decode(limits: OpsLimits = .default) throws(OpsRejection) -> OpsMessage {
        try OpsDecoder.decode(frame, limits: limits)
    }
}

enum OpsQuickScan {
    /// Reads the object that starts at `start` (a `{`) in `p[..<end]`. Returns the message and
    /// the index after its `}`, or `nil` for anything not of the common shape, incomplete, or
    /// not JSON (the full decoder then handles it and says why).
    @inline(__always)
    static func scan(_ p: UnsafeRawBufferPointer, start: Int, end: Int, limits: OpsLimits)
        -> (OpsQuickMessage, Int)?
    {
        var c = JSONCursor(p, start: start, end: end, isComplete: false)
        var seen: UInt16 = 0
        var op: OpsOperation?
        var value: Double?
        var name = 0..<0
        var labels = 0..<0
        do throws(JSONSyntaxError) {
            c.index += 1  // `{`
            while true {
                guard try c.peekSignificant() == UInt8(ascii: "\"") else { return nil }
                guard case .raw(let keyRange) = try c.readString(decode: false) else { return nil }
                guard let field = OpsDecoder.field(UnsafeRawBufferPointer(rebasing: p[keyRange])),
                    seen & field.rawValue == 0
                else { return nil }
                seen |= field.rawValue
                try c.expect(UInt8(ascii: ":"), "':'")
                let b = try c.peekSignificant()
                switch field {
                case .name:
                    guard b == UInt8(ascii: "\""), case .raw(let range) = try c.readString(decode: false) else {
                        return nil
                    }
                    name = range
                case .help:
                    guard b == UInt8(ascii: "\"") else { return nil }
                    guard case .raw(let range) = try c.readString(decode: false), range.count <= limits.maxHelpLength
                    else { return nil }
                    // Escapes or non-ASCII: the slow path says whether the help is acceptable.
                    for i in range where p[i] == UInt8(ascii: "\\") || p[i] >= 0x80 { return nil }
                case .op:
                    guard b == UInt8(ascii: "\""), case .raw(let range) = try c.readString(decode: false),
                        let parsed = OpsDecoder.operation(UnsafeRawBufferPointer(rebasing: p[range])),
                        parsed.isMetric
                    else { return nil }
                    op = parsed
                case .value:
                    guard b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) else {
                        return nil
                    }
                    value = try c.readNumber()
                case .labels:
                    guard b == UInt8(ascii: "{") else { return nil }
                    let from = c.index
                    c.index += 1
                    if try c.peekSignificant() == UInt8(ascii: "}") {
                        c.index += 1
                    } else {
                        while true {
                            guard try c.peekSignificant() == UInt8(ascii: "\"") else { return nil }
                            _ = try c.readString(decode: false)
                            try c.expect(UInt8(ascii: ":"), "':'")
                            guard try c.peekSignificant() == UInt8(ascii: "\"") else { return nil }
                            _ = try c.readString(decode: false)
                            let next = try c.peekSignificant()
                            c.index += 1
                            if next == UInt8(ascii: "}") { break }
                            guard next == UInt8(ascii: ",") else { return nil }
                        }
                    }
                    labels = from..<c.index
                case .buckets, .bucketWidth, .bucketMin, .bucketMax, .bucketFactor, .bucketStart:
                    // 0 is the same as absent: what a Go client that marshals its whole struct
                    // sends with every message. Any other value: the slow path.
                    guard b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")),
                        try c.readNumber() == 0
                    else { return nil }
                default:
                    return nil
                }
                let next = try c.peekSignificant()
                c.index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        } catch {
            return nil
        }
        guard let op, let value, value.isFinite, !(op == .inc && value < 0),
            seen & OpsDecoder.Field.name.rawValue != 0
        else { return nil }
        let message = OpsQuickMessage(
            op: op, value: value, name: UnsafeRawBufferPointer(rebasing: p[name]),
            labels: UnsafeRawBufferPointer(rebasing: p[labels]),
            frame: UnsafeRawBufferPointer(rebasing: p[start..<c.index]))
        return (message, c.index)
    }
}

/// One item read from an ops stream or datagram by ``OpsFramer/forEachItem(limits:_:)`` or
/// ``OpsFramer/forEachItem(inDatagram:limits:maxMessageSize:_:)``.
public enum OpsItem {
    /// A message of the common shape, not yet fully validated (see ``OpsQuickMessage``).
    case quick(OpsQuickMessage)
    /// A message the full decoder read and validated.
    case message(OpsMessage)
    /// A rejected message, or skipped bytes.
    case rejected(OpsRejection)
}

extension OpsFramer {
    /// Calls `body` with every item the buffered bytes hold, in order, then keeps what is left
    /// of an incomplete message for the next ``append(_:)``. The common message shape is read
    /// in one pass without allocating (``OpsItem/quick(_:)``); everything else goes through
    /// ``nextMessage(limits:)``'s path. O(bytes).
    public mutating func forEachItem(limits: OpsLimits = .default, _ body: (OpsItem) -> Void) {
        var read = self.read
        var core = self.core
        buffer.withUnsafeBytes { p in
            Self.drain(p, core: &core, read: &read, final: false, limits: limits, body)
        }
        self.core = core
        self.read = read
        compact()
    }

    /// Calls `body` with every item of one datagram, in order (a value cut off at the end is
    /// rejected). O(size of the datagram); nothing is copied.
    public static func forEachItem(
        inDatagram bytes: UnsafeRawBufferPointer, limits: OpsLimits = .default,
        maxMessageSize: Int = defaultMaxMessageSize, _ body: (OpsItem) -> Void
    ) {
        var core = OpsFramerCore(maxMessageSize: maxMessageSize)
        var read = 0
        drain(bytes, core: &core, read: &read, final: true, limits: limits, body)
    }

    @inline(__always)
    static func drain(
        _ p: UnsafeRawBufferPointer, core: inout OpsFramerCore, read: inout Int, final: Bool, limits: OpsLimits,
        _ body: (OpsItem) -> Void
    ) {
        let end = p.count
        while true {
            if core.mode == .idle {
                while read < end, JSONCursor.isWhitespace(p[read]) { read += 1 }
                if read < end, p[read] == UInt8(ascii: "{"),
                    let (message, next) = OpsQuickScan.scan(
                        p, start: read, end: Swift.min(end, read + core.maxMessageSize), limits: limits)
                {
                    read = next
                    body(.quick(message))
                    continue
                }
            }
            switch core.next(p, read: &read, final: final, limits: limits) {
            case .message(let message): body(.message(message))
            case .rejected(let rejection): body(.rejected(rejection))
            case .frame: continue
            case .needMore: return
            }
        }
    }
}
