import Testing

@testable import AbacusExposition

/// What a framer produced, in a form easy to compare: a decoded message's name, or a reason.
enum FramedItem: Equatable, CustomStringConvertible {
    case ok(String)
    case rejected(String)

    init(_ result: Result<OpsMessage, OpsRejection>) {
        switch result {
        case .success(let m): self = .ok(m.name)
        case .failure(let r): self = .rejected(r.reason.rawValue)
        }
    }

    var description: String {
        switch self {
        case .ok(let name): "ok(\(name))"
        case .rejected(let reason): "rejected(\(reason))"
        }
    }
}

@Suite("JSONOps: stream and datagram framing")
struct JSONOpsFramerTests {
    /// Feeds `chunks` one by one and pulls every message after each.
    func run(_ chunks: [[UInt8]], maxMessageSize: Int = OpsFramer.defaultMaxMessageSize, finish: Bool = true)
        -> [FramedItem]
    {
        var framer = OpsFramer(maxMessageSize: maxMessageSize)
        var items: [FramedItem] = []
        for chunk in chunks {
            framer.append(chunk)
            while let result = framer.pull() { items.append(FramedItem(result)) }
        }
        if finish, let rejection = framer.finish() { items.append(.rejected(rejection.reason.rawValue)) }
        return items
    }

    func run(_ text: String, maxMessageSize: Int = OpsFramer.defaultMaxMessageSize) -> [FramedItem] {
        run([Array(text.utf8)], maxMessageSize: maxMessageSize)
    }

    func msg(_ name: String, _ extra: String = "") -> String {
        #"{"name":"\#(name)","op":"inc","value":1\#(extra)}"#
    }

    @Test("newline-separated, concatenated, whitespace-separated")
    func separators() {
        #expect(run(msg("a") + "\n" + msg("b") + "\n") == [.ok("a"), .ok("b")])
        #expect(run(msg("a") + msg("b") + msg("c")) == [.ok("a"), .ok("b"), .ok("c")])
        #expect(run(" \t" + msg("a") + "\r\n\r\n  " + msg("b") + " ") == [.ok("a"), .ok("b")])
        #expect(run("") == [])
        #expect(run("\n\n \n") == [])
    }

    @Test("pretty-printed objects over many lines")
    func prettyPrinted() {
        let pretty = """
            {
                "name": "pretty",
                "labels": {
                    "a": "b"
                },
                "op": "inc",
                "value": 1
            }
            {"name":"next","op":"set","value":2}
            """
        #expect(run(pretty) == [.ok("pretty"), .ok("next")])
    }

    @Test("braces, brackets and escaped quotes inside strings are characters")
    func bracesInStrings() {
        let tricky = #"{"name":"a","help":"} { ] [ \" \\\" \\","labels":{"x":"{\"y\":\"}\"}"},"op":"inc","value":1}"#
        #expect(run(tricky + tricky) == [.ok("a"), .ok("a")])
        var framer = OpsFramer()
        framer.append(Array((tricky + "\n").utf8))
        #expect(framer.next() == .value(Array(tricky.utf8)))
        #expect(framer.next() == nil)
    }

    static let stream: String = [
        #"{"name":"a","op":"inc","value":1}"#,
        "\n",
        #"{"name":"b","help":"é € 😀 }{","labels":{"k":"v\"}"},"op":"set","value":-2.5e-3}"#,
        #"{"name":"c","op":"obs","value":3,"bucket_custom":[1,2,3]}"#,
        "\n  \n",
        "{\n  \"name\": \"d\",\n  \"op\": \"add\",\n  \"value\": 4\n}\n",
        #"{"name":"e","op":"inc","value":-1}"#,
        #"{"op":"shutdown"}"#,
    ].joined()

    static let expected: [FramedItem] = [
        .ok("a"), .ok("b"), .ok("c"), .ok("d"), .rejected("negative_increment"), .ok(""),
    ]

    @Test("a stream split at every byte offset gives the same messages")
    func everySplit() {
        let bytes = Array(Self.stream.utf8)
        #expect(run([bytes]) == Self.expected)
        for split in 0...bytes.count {
            let items = run([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(items == Self.expected, "split at \(split)")
        }
    }

    @Test("a stream split at every pair of offsets, and byte by byte")
    func manySplits() {
        let bytes = Array(Self.stream.utf8)
        for i in stride(from: 0, through: bytes.count, by: 3) {
            for j in stride(from: i, through: bytes.count, by: 7) {
                let items = run([Array(bytes[..<i]), Array(bytes[i..<j]), Array(bytes[j...])])
                #expect(items == Self.expected, "split at \(i), \(j)")
            }
        }
        #expect(run(bytes.map { [$0] }) == Self.expected)
    }

    @Test("raw frames through next()")
    func rawFrames() {
        var framer = OpsFramer()
        var frames: [OpsFrame] = []
        for byte in Self.stream.utf8 {
            framer.append([byte])
            while let frame = framer.next() { frames.append(frame) }
        }
        #expect(frames.count == 6)
        if case .value(let first) = frames.first { #expect(first == Array(#"{"name":"a","op":"inc","value":1}"#.utf8)) }
        #expect(OpsFramer.frames(inDatagram: Array(Self.stream.utf8)) == frames)
    }

    @Test("a message over the size limit is reported once and skipped; memory stays bounded")
    func oversize() {
        let big = #"{"name":"big","help":""# + String(repeating: "x", count: 1000) + #"","op":"inc","value":1}"#
        let stream = msg("a") + big + "\n" + msg("b")
        #expect(run(stream, maxMessageSize: 200) == [.ok("a"), .rejected("message_too_large"), .ok("b")])
        // Arriving in small reads: the buffer never holds much more than the limit.
        var framer = OpsFramer(maxMessageSize: 200)
        var items: [FramedItem] = []
        var peak = 0
        for chunk in Array(stream.utf8).chunked(by: 16) {
            framer.append(chunk)
            while let result = framer.pull() { items.append(FramedItem(result)) }
            peak = max(peak, framer.bufferedByteCount)
        }
        #expect(items == [.ok("a"), .rejected("message_too_large"), .ok("b")])
        #expect(peak <= 200 + 16)
        // An endless value (never closed) is reported once and discarded as it arrives.
        var endless = OpsFramer(maxMessageSize: 100)
        endless.append(Array(#"{"name":"x","help":""#.utf8))
        var reports = 0
        for _ in 0..<1000 {
            endless.append(Array(repeating: UInt8(ascii: "y"), count: 64))
            while let result = endless.pull() {
                if case .failure(let r) = result, r.reason == .messageTooLarge { reports += 1 }
            }
            #expect(endless.bufferedByteCount <= 100 + 64)
        }
        #expect(reports == 1)
        // A complete message exactly at the limit is accepted; one byte more is not.
        let exact = msg("e")
        #expect(run(exact, maxMessageSize: exact.utf8.count) == [.ok("e")])
        #expect(run(exact, maxMessageSize: exact.utf8.count - 1) == [.rejected("message_too_large")])
        #expect(
            run([Array(exact.utf8.prefix(10)), Array(exact.utf8.dropFirst(10))], maxMessageSize: exact.utf8.count - 1)
                == [.rejected("message_too_large")])
    }

    @Test("garbage between messages is reported once, then the framer resynchronises at '{'")
    func garbage() {
        #expect(
            run("hello " + msg("a") + " world\n" + msg("b")) == [
                .rejected("invalid_json"), .ok("a"), .rejected("invalid_json"), .ok("b"),
            ])
        #expect(
            run([Array("garb".utf8), Array("age".utf8), Array(msg("a").utf8)]) == [.rejected("invalid_json"), .ok("a")])
        #expect(
            run("[" + msg("a") + "," + msg("b") + "]") == [
                .rejected("invalid_json"), .ok("a"), .rejected("invalid_json"), .ok("b"), .rejected("invalid_json"),
            ])
        #expect(run("\u{FEFF}" + msg("a")) == [.rejected("invalid_json"), .ok("a")])
        #expect(run("}}}" + msg("a")) == [.rejected("invalid_json"), .ok("a")])
    }

    @Test("malformed and truncated messages do not swallow the ones after them")
    func recovery() {
        // A line cut short (inside a string, after a value, after a key), then a new message.
        #expect(run(#"{"name":"trunc"# + "\n" + msg("a")) == [.rejected("invalid_json"), .ok("a")])
        #expect(run(#"{"name":"trunc","op":"inc""# + "\n" + msg("a")) == [.rejected("invalid_json"), .ok("a")])
        #expect(
            run(#"{"name":"t","value":12"# + "\n" + msg("a") + msg("b")) == [
                .rejected("invalid_json"), .ok("a"), .ok("b"),
            ])
        // Cut right after a key: the next object is a legal value, so that one is lost too.
        #expect(run(#"{"name":"# + "\n" + msg("a") + "\n" + msg("b")) == [.rejected("invalid_json"), .ok("b")])
        // Syntax errors inside a balanced object: skipped to its end.
        #expect(run(#"{"name":"x","op":"inc","value":tru}"# + msg("a")) == [.rejected("invalid_json"), .ok("a")])
        #expect(run(#"{"name":"x\q","op":"inc","value":1}"# + msg("a")) == [.rejected("invalid_json"), .ok("a")])
        #expect(run(#"{"a":[1,2,]}"# + msg("a")) == [.rejected("invalid_json"), .ok("a")])
        #expect(
            run("{{}}" + msg("a")) == [
                .rejected("invalid_json"), .rejected("missing_field"), .rejected("invalid_json"), .ok("a"),
            ])
        // The same, split byte by byte.
        let text = #"{"name":"trunc"# + "\n" + msg("a") + #"{"name":"x\q","op":"inc","value":1}"# + msg("b")
        #expect(
            run(Array(text.utf8).map { [$0] }) == [
                .rejected("invalid_json"), .ok("a"), .rejected("invalid_json"), .ok("b"),
            ])
    }

    @Test("the end of a stream in the middle of a message is reported by finish()")
    func finish() {
        #expect(run(msg("a") + #"{"name":"b""#) == [.ok("a"), .rejected("invalid_json")])
        var framer = OpsFramer()
        framer.append(Array(#"{"name":"#.utf8))
        #expect(framer.pull() == nil)
        #expect(framer.finish()?.reason == .invalidJSON)
        #expect(framer.bufferedByteCount == 0)
        framer.append(Array(msg("again").utf8))
        #expect(framer.pull().map(FramedItem.init) == .ok("again"))
        #expect(framer.finish() == nil)
    }

    @Test("datagrams: one or more values, a cut-off value is rejected")
    func datagrams() {
        func items(_ text: String) -> [FramedItem] {
            OpsFramer.messages(inDatagram: Array(text.utf8)).map(FramedItem.init)
        }
        #expect(items(msg("a")) == [.ok("a")])
        #expect(items(msg("a") + "\n" + msg("b") + "\n") == [.ok("a"), .ok("b")])
        #expect(items(msg("a") + #"{"name":"b","op":"inc","value":1"#) == [.ok("a"), .rejected("invalid_json")])
        #expect(items(#"{"name":"b","op":"inc","value":1"#) == [.rejected("invalid_json")])
        #expect(items("x") == [.rejected("invalid_json")])
        #expect(items("") == [])
        #expect(
            OpsFramer.messages(inDatagram: Array(msg("a").utf8), maxMessageSize: 10).map(FramedItem.init) == [
                .rejected("message_too_large")
            ])
        var seen: [FramedItem] = []
        Array((msg("a") + msg("b")).utf8).withUnsafeBytes { raw in
            OpsFramer.forEachMessage(inDatagram: raw) { seen.append(FramedItem($0)) }
        }
        #expect(seen == [.ok("a"), .ok("b")])
    }
}

extension OpsFramer {
    /// `nextMessage()` as a `Result`, `nil` when more bytes are needed.
    mutating func pull(limits: OpsLimits = .default) -> Result<OpsMessage, OpsRejection>? {
        do throws(OpsRejection) {
            guard let message = try nextMessage(limits: limits) else { return nil }
            return .success(message)
        } catch {
            return .failure(error)
        }
    }
}

extension Array {
    func chunked(by size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
