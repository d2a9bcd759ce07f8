/// What one step of the framer produced.
enum OpsFramerEvent {
    /// The bytes of one complete top-level value.
    case frame(Range<Int>)
    /// One decoded, valid message, when decoding.
    case message(OpsMessage)
    /// A rejected message, or bytes that are not a usable value (already skipped).
    case rejected(OpsRejection)
    /// Everything available was used; more bytes are needed.
    case needMore
}

/// The framing state machine shared by ``OpsFramer`` (a stream, over its own buffer) and the
/// datagram helpers (over the caller's bytes). It works on absolute indices of the buffer it
/// is given; the owner rebases them when it drops consumed bytes.
///
/// The fast path decodes a message straight from the buffer in one pass. When a value is
/// incomplete, or is not valid JSON, a cheap structural scanner (braces, brackets, strings)
/// finds where it ends, remembering its state between reads so a value split over many reads
/// is scanned once. The scanner also detects a value that cannot continue — a raw control
/// character inside a string (e.g. the newline after a truncated line) or a `{`/`[` that does
/// not follow `:`, `,` or `[` (the start of the next message after a truncated one) — and
/// resynchronises there instead of swallowing the messages that follow.
struct OpsFramerCore: Sendable {
    enum Mode: Sendable {
        /// Between values.
        case idle
        /// Skipping stray bytes up to the next `{` (already reported).
        case garbage
        /// A value starts at `read` and is incomplete; `scanIndex` is where scanning resumes.
        case pending
        /// Skipping the rest of a value already reported (too large, or malformed).
        case discarding
    }

    let maxMessageSize: Int
    var mode = Mode.idle
    var scanIndex = 0
    var depth = 0
    var inString = false
    var escaped = false
    var previous: UInt8 = 0

    init(maxMessageSize: Int) {
        self.maxMessageSize = Swift.max(2, maxMessageSize)
    }

    enum ScanOutcome {
        case complete(end: Int)
        case broken(at: Int)
        case needMore
    }

    mutating func beginScan(at index: Int) {
        scanIndex = index
        depth = 0
        inString = false
        escaped = false
        previous = 0
    }

    /// Scans from `scanIndex` to the end of `p`.
    mutating func scan(_ p: UnsafeRawBufferPointer) -> ScanOutcome {
        var i = scanIndex
        let end = p.count
        defer { scanIndex = i }
        while i < end {
            let b = p[i]
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                    previous = b
                } else if b < 0x20 {
                    return .broken(at: i)
                }
            } else {
                switch b {
                case 0x20, 0x0A, 0x0D, 0x09:
                    break
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if depth > 0 && previous != UInt8(ascii: ":") && previous != UInt8(ascii: ",")
                        && previous != UInt8(ascii: "[")
                    {
                        return .broken(at: i)
                    }
                    depth += 1
                    previous = b
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    previous = b
                    if depth <= 0 {
                        i += 1
                        return .complete(end: i)
                    }
                default:
                    previous = b
                }
            }
            i += 1
        }
        return .needMore
    }

    /// Produces the next event from `p[read...]`, advancing `read` past what it used.
    /// `final` means no more bytes will come (a datagram, or the end of a stream). With
    /// `limits`, complete values are decoded into messages; without, they are returned as frames.
    mutating func next(_ p: UnsafeRawBufferPointer, read: inout Int, final: Bool, limits: OpsLimits?) -> OpsFramerEvent
    {
        let end = p.count
        while true {
            switch mode {
            case .idle:
                while read < end, JSONCursor.isWhitespace(p[read]) { read += 1 }
                guard read < end else { return .needMore }
                guard p[read] == UInt8(ascii: "{") else {
                    let found = JSONCursor.describe(p[read])
                    read += 1
                    mode = .garbage
                    return .rejected(
                        OpsRejection(.invalidJSON, "unexpected \(found) between messages (a message is a JSON object)"))
                }
                guard let limits else {
                    mode = .pending
                    beginScan(at: read)
                    continue
                }
                let viewEnd = Swift.min(end, read + maxMessageSize)
                var cursor = JSONCursor(p, start: read, end: viewEnd, isComplete: final && viewEnd == end)
                var rejection: OpsRejection?
                do {
                    let message = try OpsDecoder.decodeObject(&cursor, limits: limits, rejection: &rejection)
                    read = cursor.index
                    if let message { return .message(message) }
                    return .rejected(rejection ?? OpsRejection(.invalidJSON, "unreadable message"))
                } catch let error where error.kind == .endOfInput {
                    beginScan(at: read)
                    if viewEnd < end {
                        mode = .discarding
                        return .rejected(tooLarge())
                    }
                    mode = .pending
                } catch {
                    // Not JSON: report once, then let the scanner find where the value ends.
                    beginScan(at: read)
                    mode = .discarding
                    return .rejected(OpsDecoder.rejection(for: error))
                }
            case .garbage:
                while read < end, p[read] != UInt8(ascii: "{") { read += 1 }
                guard read < end else { return .needMore }
                mode = .idle
            case .pending:
                switch scan(p) {
                case .complete(let valueEnd):
                    let start = read
                    read = valueEnd
                    mode = .idle
                    if valueEnd - start > maxMessageSize { return .rejected(tooLarge()) }
                    guard let limits else { return .frame(start..<valueEnd) }
                    do {
                        return .message(
                            try OpsDecoder.decode(UnsafeRawBufferPointer(rebasing: p[start..<valueEnd]), limits: limits)
                        )
                    } catch {
                        return .rejected(error)
                    }
                case .broken(let at):
                    read = at
                    resynchronise(p, &read)
                    return .rejected(
                        OpsRejection(
                            .invalidJSON,
                            "malformed or truncated message (\(JSONCursor.describe(p[at])) cannot continue it); skipped"
                        ))
                case .needMore:
                    if end - read > maxMessageSize {
                        read = end
                        mode = .discarding
                        return .rejected(tooLarge())
                    }
                    if final {
                        read = end
                        mode = .idle
                        return .rejected(OpsRejection(.invalidJSON, "truncated message at the end of the input"))
                    }
                    return .needMore
                }
            case .discarding:
                switch scan(p) {
                case .complete(let valueEnd):
                    read = valueEnd
                    mode = .idle
                case .broken(let at):
                    read = at
                    resynchronise(p, &read)
                case .needMore:
                    read = end
                    if final { mode = .idle }
                    return .needMore
                }
            }
        }
    }

    /// After a value broke at `read`: restart there if it is a `{`, else skip to the next `{`.
    mutating func resynchronise(_ p: UnsafeRawBufferPointer, _ read: inout Int) {
        if p[read] == UInt8(ascii: "{") {
            mode = .idle
        } else {
            read += 1
            mode = .garbage
        }
    }

    func tooLarge() -> OpsRejection {
        OpsRejection(.messageTooLarge, "a message is longer than \(maxMessageSize) bytes; skipped")
    }

    /// At the end of a stream: the rejection for a value left incomplete, if any. Resets.
    mutating func finish() -> OpsRejection? {
        defer { mode = .idle }
        if mode == .pending {
            return OpsRejection(.invalidJSON, "the stream ended in the middle of a message")
        }
        return nil
    }

    /// Rebases the stored index after the owner dropped `count` bytes from the front.
    mutating func shift(by count: Int) {
        scanIndex = Swift.max(0, scanIndex - count)
    }
}
