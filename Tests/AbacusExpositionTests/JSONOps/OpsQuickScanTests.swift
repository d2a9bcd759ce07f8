import AbacusTesting
import Testing

@testable import AbacusExposition

/// One item of a datagram in a comparable form: a decoded message, or a rejection.
private enum QuickOutcome: Equatable, CustomStringConvertible {
    case message(OpsMessage)
    case rejected(OpsRejection)

    init(_ result: Result<OpsMessage, OpsRejection>) {
        switch result {
        case .success(let message): self = .message(message)
        case .failure(let rejection): self = .rejected(rejection)
        }
    }

    /// Messages compared whole, rejections by reason only (their texts may name byte offsets,
    /// which depend on how the bytes were buffered).
    func sameReason(as other: QuickOutcome) -> Bool {
        switch (self, other) {
        case (.message(let a), .message(let b)): a == b
        case (.rejected(let a), .rejected(let b)): a.reason == b.reason
        default: false
        }
    }

    var description: String {
        switch self {
        case .message(let m):
            "message(\(m.op.rawValue) \(m.name) \(m.labels.map { "\($0.name)=\($0.value)" }) \(m.value))"
        case .rejected(let r): "rejected(\(r))"
        }
    }
}

/// Generates JSON-lines ops datagrams: mostly the common shape the quick path reads, with
/// escapes, Unicode, unknown fields, nulls, duplicate fields and labels, every op, awkward
/// numbers, whitespace anywhere, and now and then a malformed or truncated message.
private struct QuickScanCorpus {
    var rng: SplitMix64

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    mutating func ws() -> String { chance(0.65) ? "" : pick([" ", "\t", "\n", "\r\n", "  \t ", "\n\n", " \r\n  "]) }

    mutating func validName(label: Bool) -> String {
        let first = Array(label ? "abcxyzABZ_" : "abcxyzABZ_:")
        let rest = Array(label ? "abcxyz019AZ_" : "abcxyz019AZ_:")
        var s = String(pick(first))
        for _ in 0..<int(0...12) { s.append(pick(rest)) }
        if label && (s.hasPrefix("__") || s == "le") { s = "a" + s }
        return s
    }

    /// The JSON spelling of `text`: quotes, backslashes and control characters escaped, and
    /// (when `escapeAll`) every non-ASCII scalar as `\u` escapes (surrogate pairs above U+FFFF).
    mutating func quoted(_ text: String, escapeAll: Bool = false) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += chance(0.5) ? "\\n" : "\\u000a"
            case "\t": out += "\\t"
            case "/": out += chance(0.3) ? "\\/" : "/"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            case _ where scalar.value >= 0x80 && (escapeAll || chance(0.3)):
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    mutating func text() -> String {
        let pieces = [
            "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "€", "😀", "{", "}", "[", "]", ",", ":", "<&>",
            "\u{2028}", "mail", "queue-1",
        ]
        var s = ""
        for _ in 0..<int(0...8) { s += pick(pieces) }
        return s
    }

    mutating func nameToken() -> String {
        if chance(0.85) {
            let name = validName(label: false)
            // An escaped first letter decodes to the same name (the quick path keeps it raw).
            if chance(0.1), let first = name.unicodeScalars.first, first.isASCII {
                let hex = String(first.value, radix: 16)
                return "\"\\u" + String(repeating: "0", count: 4 - hex.count) + hex + name.dropFirst() + "\""
            }
            return "\"" + name + "\""
        }
        return pick([#""1abc""#, #""a-b""#, #""""#, #""é""#, "null", "12", #""a\u0000b""#, #""a b""#, "[]", #""ok""#])
    }

    mutating func labelsToken(op: String) -> String {
        if chance(0.08) { return pick(["null", "{}", "[]", #""x""#, "{ }", "1"]) }
        var pairs: [String] = []
        var used: [String] = []
        for _ in 0..<int(1...3) {
            var name: String
            if chance(0.85) {
                name = validName(label: true)
            } else {
                name = pick(["le", "__x", "1a", "a-b", "", "é", "quantile", used.first ?? "dup"])
            }
            if op == "obs" && chance(0.05) { name = "le" }
            used.append(name)
            let key = chance(0.05) ? quoted(name, escapeAll: true) : "\"" + name + "\""
            let value: String
            if chance(0.07) {
                value = pick(["1", "null", "true", "{}", "[\"a\"]"])
            } else if chance(0.02) {
                value = "\"" + String(repeating: "v", count: 4100) + "\""
            } else {
                value = quoted(text())
            }
            pairs.append(ws() + key + ws() + ":" + ws() + value + ws())
        }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    mutating func opToken() -> String {
        let r = Double.random(in: 0..<1, using: &rng)
        switch r {
        case ..<0.35: return #""inc""#
        case ..<0.5: return #""set""#
        case ..<0.6: return #""add""#
        case ..<0.75: return #""obs""#
        case ..<0.8: return #""event""#
        case ..<0.83: return #""shutdown""#
        default: return pick([#""dec""#, #""INC""#, "null", "1", #""in\u0063""#, #""""#, #""obs ""#])
        }
    }

    mutating func numberToken() -> String {
        if chance(0.75) {
            switch int(0...3) {
            case 0: return String(int(0...1000))
            case 1: return String(int(-1000...1000))
            case 2: return "\(Double.random(in: -1e6...1e6, using: &rng))"
            default:
                var value: Double
                repeat { value = Double(bitPattern: rng.next()) } while !value.isFinite
                return "\(value)"
            }
        }
        return pick([
            "0", "-0", "0.0", "-0.0", "2.5", "0.001", "1e3", "1E-3", "-2.5e+2", "123456789012345678901234", "1e400",
            "-1e400", "5e-324", "1.7976931348623157e308", "9007199254740993", "01", "+1", ".5", "1.", "NaN", "\"1\"",
            "null", "true", "-", "1e", "0x10",
        ])
    }

    mutating func helpToken() -> String {
        pick([
            #""Jobs run.""#, #""a \"quoted\" help""#, #""é and €""#, "null", "1", #""\u00e9""#, #""back\\slash""#,
            #""braces { } [ ]""#, "\"" + String(repeating: "h", count: 4097) + "\"", #""""#, quoted(text()),
        ])
    }

    mutating func unknownField() -> (String, String) {
        (
            pick(["extra", "ts", "x", "Name", "value2", "", "nam", "names", "labels_", "op\u{e9}"]),
            pick([
                "1", "null", "true", "false", "[1,{\"a\":[]}]", "{\"k\":{\"n\":null}}", "\"}{\"", "-2.5e3", "[]",
                "{\"name\":\"inner\",\"op\":\"inc\",\"value\":1}",
            ])
        )
    }

    mutating func bucketField() -> (String, String) {
        pick([
            ("buckets", pick(["3", "0", "-1", "2.5", "1001", "null"])),
            ("bucket_width", pick(["2", "0", "-1", "0.5"])),
            ("bucket_custom", pick(["[1,2,5]", "[2,1]", "[1,1]", "[]", "[1,\"a\"]", "null", "1"])),
            ("bucket_factor", pick(["2", "1", "0.5"])),
            ("bucket_min", pick(["1", "0", "-1"])),
            ("bucket_max", pick(["100", "0.5"])),
            ("bucket_start", pick(["0", "1", "-5"])),
        ])
    }

    /// One message, possibly malformed.
    mutating func message() -> [UInt8] {
        let op = opToken()
        var fields: [(String, String)] = []
        if chance(0.95) { fields.append(("name", nameToken())) }
        if chance(0.2) { fields.append(("help", helpToken())) }
        if chance(0.5) { fields.append(("labels", labelsToken(op: op))) }
        if chance(0.97) { fields.append(("op", op)) }
        if chance(0.94) { fields.append(("value", numberToken())) }
        if chance(0.12) { fields.append(unknownField()) }
        if chance(0.08) { fields.append(bucketField()) }
        if chance(0.05), let repeated = fields.randomElement(using: &rng) { fields.append(repeated) }
        if chance(0.04), let field = fields.randomElement(using: &rng) {
            // The same field twice with another value.
            fields.append((field.0, field.0 == "value" ? numberToken() : field.0 == "name" ? nameToken() : "null"))
        }
        if chance(0.3) { fields.shuffle(using: &rng) }
        var text = "{" + ws()
        text += fields.map { key, value in
            // Now and then the key is spelled with escapes ("\u0065" for each e): the same key.
            let spelled =
                chance(0.03) ? "\"" + key.map { $0 == "e" ? "\\u0065" : String($0) }.joined() + "\"" : "\"" + key + "\""
            return ws() + spelled + ws() + ":" + ws() + value + ws()
        }.joined(separator: ",")
        text += ws() + "}"
        var bytes = Array(text.utf8)
        if chance(0.06) {
            // Malformed: cut short, a byte dropped, a stray byte, or a trailing comma.
            switch int(0...3) {
            case 0: bytes = Array(bytes[..<int(1...bytes.count - 1)])
            case 1: bytes.remove(at: int(0...bytes.count - 1))
            case 2:
                bytes.insert(pick([0x7B, 0x7D, 0x22, 0x2C, 0x3A, 0x78, 0x00, 0xFF, 0x5C]), at: int(0...bytes.count))
            default: bytes.insert(0x2C, at: bytes.count - 1)
            }
        }
        return bytes
    }

    /// One to four messages, separated by whitespace or nothing, rarely after stray bytes.
    mutating func datagram() -> [UInt8] {
        var bytes: [UInt8] = chance(0.03) ? Array(pick(["xx ", "]", "\u{0}", "nul "]).utf8) : []
        for index in 0..<int(1...4) {
            if index > 0 { bytes += Array(pick(["", "\n", " ", "\r\n", "\t\n  "]).utf8) }
            // Messy messages, and as many of the clean common shape (so both paths get traffic).
            bytes += chance(0.4) ? validMessage().0 : message()
        }
        if chance(0.3) { bytes += Array("\n".utf8) }
        return bytes
    }

    /// A valid message of the common shape and the message it must decode to.
    mutating func validMessage() -> ([UInt8], OpsMessage) {
        let op = pick([OpsOperation.inc, .set, .add, .obs])
        let name = validName(label: false)
        var labels: [Label] = []
        for _ in 0..<int(0...4) {
            let labelName = validName(label: true)
            if labels.contains(where: { $0.name == labelName }) { continue }
            labels.append(Label(labelName, text()))
        }
        var value: Double
        repeat {
            value = chance(0.5) ? Double(int(-1000...1000)) : Double(bitPattern: rng.next())
        } while !value.isFinite
        if op == .inc { value = value.magnitude }
        let help: String? = chance(0.3) ? pick(["Jobs run.", "", "a { b } [ c ]: d, e"]) : nil
        var fields: [String] = ["\"name\"" + ws() + ":" + ws() + "\"" + name + "\""]
        if let help { fields.append("\"help\":" + ws() + "\"" + help + "\"") }
        if !labels.isEmpty || chance(0.2) {
            let pairs = labels.map { ws() + "\"" + $0.name + "\"" + ws() + ":" + ws() + quoted($0.value) + ws() }
            fields.append("\"labels\":" + ws() + "{" + pairs.joined(separator: ",") + ws() + "}")
        }
        fields.append("\"op\":" + ws() + "\"" + op.rawValue + "\"")
        fields.append("\"value\"" + ws() + ":" + ws() + "\(value)")
        if chance(0.4) { fields.shuffle(using: &rng) }
        let text = "{" + ws() + fields.joined(separator: ws() + "," + ws()) + ws() + "}"
        // "help": "" is no help.
        let decodedHelp = help.flatMap { $0.isEmpty ? nil : $0 }
        return (Array(text.utf8), OpsMessage(name: name, help: decodedHelp, labels: labels, op: op, value: value))
    }
}

@Suite("JSONOps: the quick path agrees with the full decoder")
struct OpsQuickScanTests {
    /// Every item of a datagram through the quick path, `.quick` items decoded; checks what
    /// a quick item promises on the way. Returns the outcomes and how many were quick.
    private static func quickOutcomes(
        _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) -> (outcomes: [QuickOutcome], quick: Int) {
        var outcomes: [QuickOutcome] = []
        var quick = 0
        bytes.withUnsafeBytes { raw in
            OpsFramer.forEachItem(inDatagram: raw) { item in
                switch item {
                case .quick(let q):
                    quick += 1
                    let shown = String(decoding: q.frame, as: UTF8.self)
                    // What the quick path itself checked holds.
                    #expect(
                        q.op == .inc || q.op == .set || q.op == .add || q.op == .obs, "\(shown)",
                        sourceLocation: sourceLocation)
                    #expect(
                        q.value.isFinite && !(q.op == .inc && q.value < 0), "\(shown)", sourceLocation: sourceLocation)
                    let decoded = Result { () throws(OpsRejection) in try q.decode() }
                    switch decoded {
                    case .success(let message):
                        #expect(message.op == q.op, "\(shown)", sourceLocation: sourceLocation)
                        #expect(
                            message.value == q.value && message.value.sign == q.value.sign, "\(shown)",
                            sourceLocation: sourceLocation)
                        // The raw name is the name, escapes aside.
                        if !q.name.contains(UInt8(ascii: "\\")) {
                            #expect(
                                Array(q.name) == Array(message.name.utf8), "\(shown)", sourceLocation: sourceLocation)
                        }
                    case .failure(let rejection):
                        // Only what the quick path leaves to the decoder may fail.
                        #expect(
                            [OpsRejection.Reason.invalidName, .invalidLabel, .limitExceeded].contains(rejection.reason),
                            "quick item rejected for \(rejection): \(shown)", sourceLocation: sourceLocation)
                    }
                    outcomes.append(QuickOutcome(decoded))
                case .message(let message): outcomes.append(.message(message))
                case .rejected(let rejection): outcomes.append(.rejected(rejection))
                }
            }
        }
        return (outcomes, quick)
    }

    @Test(
        "forEachItem(inDatagram:) gives what messages(inDatagram:) gives, item for item",
        arguments: [1, 2, 3, 4] as [UInt64])
    func datagramsAgree(seed: UInt64) async {
        var corpus = QuickScanCorpus(rng: SplitMix64(seed: 0x9C1C_5CA7_0000 + seed))
        var quick = 0
        var total = 0
        var failures = 0
        for round in 0..<1500 {
            // CPU-bound: let the other tests' tasks (gateways, timers) run now and then.
            if round % 100 == 99 { await Task.yield() }
            let bytes = corpus.datagram()
            let (viaQuick, quickCount) = Self.quickOutcomes(bytes)
            let full = OpsFramer.messages(inDatagram: bytes).map(QuickOutcome.init)
            quick += quickCount
            total += full.count
            if viaQuick != full {
                failures += 1
                if failures <= 5 {
                    Issue.record(
                        """
                        seed \(seed): quick path and decoder disagree on \(String(decoding: bytes, as: UTF8.self).debugDescription)
                        quick: \(viaQuick)
                        full:  \(full)
                        """)
                }
            }
        }
        #expect(failures == 0, "seed \(seed): \(failures) datagrams disagree")
        // Both paths are exercised: a good share of quick items, and plenty of others.
        #expect(quick * 4 > total, "only \(quick) quick items of \(total)")
        #expect(quick * 10 < total * 9, "\(quick) quick items of \(total): the slow path is hardly used")
    }

    @Test(
        "every valid message of the common shape is quick and decodes to what was written",
        arguments: [5, 6] as [UInt64])
    func validMessagesAreQuick(seed: UInt64) async {
        var corpus = QuickScanCorpus(rng: SplitMix64(seed: seed))
        for round in 0..<1000 {
            // CPU-bound: let the other tests' tasks (gateways, timers) run now and then.
            if round % 100 == 99 { await Task.yield() }
            var bytes: [UInt8] = []
            var expected: [OpsMessage] = []
            for index in 0..<corpus.int(1...3) {
                if index > 0 { bytes += Array(corpus.pick(["", "\n", " \r\n\t"]).utf8) }
                let (message, decoded) = corpus.validMessage()
                bytes += message
                expected.append(decoded)
            }
            let shown = String(decoding: bytes, as: UTF8.self).debugDescription
            var items: [QuickOutcome] = []
            var allQuick = true
            bytes.withUnsafeBytes { raw in
                OpsFramer.forEachItem(inDatagram: raw) { item in
                    guard case .quick(let q) = item else {
                        allQuick = false
                        return
                    }
                    items.append(QuickOutcome(Result { () throws(OpsRejection) in try q.decode() }))
                }
            }
            #expect(allQuick, "not all quick: \(shown)")
            #expect(items == expected.map { .message($0) }, "\(shown)")
            #expect(
                OpsFramer.messages(inDatagram: bytes).map(QuickOutcome.init) == expected.map { .message($0) },
                "\(shown)")
            if !allQuick || items != expected.map({ .message($0) }) { return }
        }
    }

    @Test("a stream read in random pieces gives the same items as the datagram", arguments: [7, 8] as [UInt64])
    func streamsAgree(seed: UInt64) async {
        var corpus = QuickScanCorpus(rng: SplitMix64(seed: seed))
        var failures = 0
        for round in 0..<600 {
            // CPU-bound: let the other tests' tasks (gateways, timers) run now and then.
            if round % 100 == 99 { await Task.yield() }
            let bytes = corpus.datagram()
            let datagram = OpsFramer.messages(inDatagram: bytes).map(QuickOutcome.init)
            // The quick path of the stream framer, fed in random pieces.
            var framer = OpsFramer()
            var viaItems: [QuickOutcome] = []
            // The decoding path (nextMessage), fed in the same pieces.
            var plain = OpsFramer()
            var viaNext: [QuickOutcome] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + corpus.int(1...max(1, bytes.count / 2)))
                framer.append(bytes[start..<end])
                framer.forEachItem { item in
                    switch item {
                    case .quick(let q):
                        viaItems.append(QuickOutcome(Result { () throws(OpsRejection) in try q.decode() }))
                    case .message(let m): viaItems.append(.message(m))
                    case .rejected(let r): viaItems.append(.rejected(r))
                    }
                }
                plain.append(bytes[start..<end])
                while true {
                    do throws(OpsRejection) {
                        guard let message = try plain.nextMessage() else { break }
                        viaNext.append(.message(message))
                    } catch {
                        viaNext.append(.rejected(error))
                    }
                }
                start = end
            }
            if let rejection = framer.finish() { viaItems.append(.rejected(rejection)) }
            if let rejection = plain.finish() { viaNext.append(.rejected(rejection)) }
            let agree =
                viaItems.count == datagram.count && zip(viaItems, datagram).allSatisfy { $0.sameReason(as: $1) }
                && viaNext.count == datagram.count && zip(viaNext, datagram).allSatisfy { $0.sameReason(as: $1) }
            if !agree {
                failures += 1
                if failures <= 5 {
                    Issue.record(
                        """
                        seed \(seed): stream and datagram disagree on \(String(decoding: bytes, as: UTF8.self).debugDescription)
                        forEachItem: \(viaItems)
                        nextMessage: \(viaNext)
                        datagram:    \(datagram)
                        """)
                }
            }
        }
        #expect(failures == 0, "seed \(seed): \(failures) inputs disagree")
    }

    @Test("hand-picked shapes: escapes, Unicode, unknown fields, nulls, duplicates, whitespace")
    func handPicked() {
        let cases: [String] = [
            #"{"name":"a","op":"inc","value":1}"#,
            #"{ "name" : "a" , "op" : "inc" , "value" : 1 }"#,
            "{\n\t\"name\":\"a\",\r\n\"op\":\"set\",\n\"value\":-0}",
            #"{"n\u0061me":"a","op":"inc","value":1}"#,
            #"{"name":"\u0061","op":"inc","value":1}"#,
            #"{"name":"a","labels":{"k":"\u00e9\ud83d\ude00"},"op":"inc","value":1}"#,
            #"{"name":"a","labels":{"k":"é😀"},"op":"inc","value":1}"#,
            #"{"name":"a","labels":{"k":"v","k":"w"},"op":"inc","value":1}"#,
            #"{"name":"a","name":"b","op":"inc","value":1}"#,
            #"{"name":"a","op":"inc","value":1,"value":2}"#,
            #"{"name":"a","op":"inc","value":1,"extra":{"x":[1,2,{"y":null}]}}"#,
            #"{"name":"a","help":null,"labels":null,"op":"inc","value":1}"#,
            #"{"name":"a","op":"inc","value":null}"#,
            #"{"name":null,"op":"inc","value":1}"#,
            #"{"name":"a","help":"h\"i","op":"inc","value":1}"#,
            #"{"name":"a","help":"é","op":"inc","value":1}"#,
            #"{"name":"1a","op":"inc","value":1}"#,
            #"{"name":"a","labels":{"__x":"v"},"op":"inc","value":1}"#,
            #"{"name":"a","labels":{"le":"v"},"op":"obs","value":1}"#,
            #"{"name":"a","labels":{"le":"v"},"op":"inc","value":1}"#,
            #"{"name":"a","op":"inc","value":-0}"#,
            #"{"name":"a","op":"inc","value":-1}"#,
            #"{"name":"a","op":"set","value":1e400}"#,
            #"{"name":"a","op":"event","value":1}"#,
            #"{"op":"shutdown"}"#,
            #"{"name":"a","op":"obs","value":1,"buckets":3}"#,
            #"{"name":"a","op":"inc","value":01}"#,
            #"{"name":"a","op":"inc","value":1,}"#,
            #"{"name":"a","op":"inc","value":1}}"#,
            #"{"name":"a","op":"inc","value":1"#,
            #"{"name":"a","op":"inc","value":1}{"name":"b","op":"inc","value":2}"#,
        ]
        for text in cases {
            let bytes = Array(text.utf8)
            let (viaQuick, _) = Self.quickOutcomes(bytes)
            let full = OpsFramer.messages(inDatagram: bytes).map(QuickOutcome.init)
            #expect(viaQuick == full, "\(text)")
        }
        // The common shape is quick; the others are not.
        func isQuick(_ text: String) -> Bool {
            var quick = false
            Array(text.utf8).withUnsafeBytes { raw in
                OpsFramer.forEachItem(inDatagram: raw) { if case .quick = $0 { quick = true } }
            }
            return quick
        }
        #expect(isQuick(#"{"name":"a","labels":{"k":"v"},"op":"inc","value":1}"#))
        #expect(isQuick(#"{ "value" : 2.5 , "op" : "obs" , "name" : "a" }"#))
        #expect(!isQuick(#"{"name":"a","op":"event","value":1}"#))
        #expect(!isQuick(#"{"name":"a","op":"inc","value":1,"x":1}"#))
        #expect(!isQuick(#"{"name":"a","op":"inc","value":-1}"#))
        #expect(!isQuick(#"{"name":"a","help":"h\"i","op":"inc","value":1}"#))
    }
}
