import AbacusTesting
import Testing

@testable import AbacusExposition

/// Generates valid ops messages, with awkward strings and numbers.
struct JSONOpsMessageGenerator {
    var rng: SplitMix64

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }

    mutating func name(label: Bool) -> String {
        let first = Array(label ? "abcxyzABZ_" : "abcxyzABZ_:")
        let rest = Array(label ? "abcxyz019AZ_" : "abcxyz019AZ_:")
        var s = String(pick(first))
        for _ in 0..<Int.random(in: 0..<12, using: &rng) { s.append(pick(rest)) }
        if label && s.hasPrefix("__") { s = "a" + s }
        return s
    }

    mutating func text() -> String {
        let pieces = [
            "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "😀", "{", "}", "[",
            "]",
            ",", ":", "\\u0041", "<&>", "\u{2028}", "ÿ",
        ]
        var s = ""
        for _ in 0..<Int.random(in: 0..<10, using: &rng) { s += pick(pieces) }
        return s
    }

    mutating func number(nonNegative: Bool) -> Double {
        var value: Double
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: value = Double(Int.random(in: -1000...1000, using: &rng))
        case 1: value = Double.random(in: -1...1, using: &rng)
        case 2: value = Double(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 3:
            value = pick([
                0, -0.0, 0.1, 1e-7, 5e-324, 1.7976931348623157e308, 9007199254740993, 1e16, 123456.789, 1e21, 0.3,
            ])
        default:
            repeat { value = Double(bitPattern: rng.next()) } while !value.isFinite
        }
        return nonNegative ? value.magnitude : value
    }

    mutating func layout() -> HistogramLayout {
        let count = Int.random(in: 1...40, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: return .default
        case 1:
            return .linear(
                start: pick([0, Double(Int.random(in: -50...50, using: &rng)), Double.random(in: -5...5, using: &rng)]),
                width: pick([10, 0.5, Double.random(in: 0.01...100, using: &rng)]), count: pick([20, count]))
        case 2:
            let min = Double.random(in: 0.001...10, using: &rng)
            return .exponentialRange(min: min, max: min * Double.random(in: 1.5...1000, using: &rng), count: count)
        case 3:
            return .exponentialFactor(
                start: pick([0.1, Double.random(in: 0.001...5, using: &rng)]),
                factor: Double.random(in: 1.01...10, using: &rng), count: count)
        default:
            var bounds = Set<Double>()
            for _ in 0..<count { bounds.insert(number(nonNegative: false)) }
            return .custom(bounds.sorted())
        }
    }

    mutating func message() -> OpsMessage {
        let op = pick(OpsOperation.allCases)
        var labels: [Label] = []
        var names = Set<String>()
        for _ in 0..<Int.random(in: 0..<5, using: &rng) {
            let n = name(label: true)
            if n != "le" && names.insert(n).inserted { labels.append(Label(n, text())) }
        }
        // An empty help is no help: the decoder reads "help":"" as absent.
        let help: String? = Bool.random(using: &rng) ? text() : nil
        let name = op == .shutdown && Bool.random(using: &rng) ? "" : self.name(label: false)
        let index: String? = op == .index && Bool.random(using: &rng) ? "a" + text() : nil
        // Whole seconds, milliseconds or nanoseconds, from 1900 to 2200.
        let timestampNs: Int64? =
            Bool.random(using: &rng)
            ? Int64.random(in: -2_208_988_800...7_258_118_400, using: &rng) * 1_000_000_000
                + pick([
                    0, Int64.random(in: 0..<1000, using: &rng) * 1_000_000,
                    Int64.random(in: 0..<1_000_000_000, using: &rng),
                ])
            : nil
        return OpsMessage(
            name: name, help: help.flatMap { $0.isEmpty ? nil : $0 }, labels: labels, op: op,
            value: number(nonNegative: op == .inc), histogram: op == .obs ? layout() : nil, index: index,
            timestampNs: timestampNs)
    }
}

@Suite("JSONOps: encoder and round trips")
struct JSONOpsRoundTripTests {
    func line(_ message: OpsMessage) -> String {
        String(decoding: OpsEncoder.encode(message), as: UTF8.self)
    }

    @Test("compact lines with the protocol's field names")
    func encoding() {
        #expect(
            line(OpsMessage(name: "jobs_total", help: "Jobs run", labels: [Label("queue", "mail")], op: .inc, value: 1))
                == #"{"name":"jobs_total","help":"Jobs run","labels":{"queue":"mail"},"op":"inc","value":1}"# + "\n")
        #expect(line(OpsMessage(name: "g", op: .set, value: -2.5)) == #"{"name":"g","op":"set","value":-2.5}"# + "\n")
        #expect(line(OpsMessage(name: "", op: .shutdown, value: 0)) == #"{"op":"shutdown","value":0}"# + "\n")
        #expect(line(OpsMessage(name: "h", op: .obs, value: 0.1)) == #"{"name":"h","op":"obs","value":0.1}"# + "\n")
        #expect(
            line(OpsMessage(name: "h", op: .obs, value: 3, histogram: .linear(start: 5, width: 2, count: 4)))
                == #"{"name":"h","op":"obs","value":3,"buckets":4,"bucket_width":2,"bucket_start":5}"# + "\n")
        #expect(
            line(OpsMessage(name: "h", op: .obs, value: 3, histogram: .exponentialRange(min: 1, max: 70, count: 10)))
                == #"{"name":"h","op":"obs","value":3,"buckets":10,"bucket_min":1,"bucket_max":70}"# + "\n")
        #expect(
            line(
                OpsMessage(
                    name: "h", op: .obs, value: 3, histogram: .exponentialFactor(start: 0.1, factor: 10.1, count: 20)))
                == #"{"name":"h","op":"obs","value":3,"bucket_factor":10.1}"# + "\n")
        #expect(
            line(OpsMessage(name: "h", op: .obs, value: 3, histogram: .custom([1, 2, 5.5])))
                == #"{"name":"h","op":"obs","value":3,"bucket_custom":[1,2,5.5]}"# + "\n")
        #expect(
            line(OpsMessage(name: "s", help: "a\"b\\c\nd\u{1}", op: .event, value: 1e-7))
                == #"{"name":"s","help":"a\"b\\c\nd\u0001","op":"event","value":1e-07}"# + "\n")
        #expect(
            line(OpsMessage(name: "big", op: .set, value: 1e300)) == #"{"name":"big","op":"set","value":1e+300}"# + "\n"
        )
        #expect(
            line(OpsMessage(name: "i", op: .set, value: 9007199254740991))
                == #"{"name":"i","op":"set","value":9007199254740991}"# + "\n")
        #expect(line(OpsMessage(name: "n", op: .set, value: -0.0)) == #"{"name":"n","op":"set","value":-0}"# + "\n")
        // Layouts of other operations are dropped; obs without one gets the default.
        #expect(OpsMessage(name: "c", op: .inc, value: 1, histogram: .custom([1])).histogram == nil)
        var encoded: [UInt8] = Array("prefix ".utf8)
        OpsEncoder.encode(OpsMessage(name: "c", op: .inc, value: 1), into: &encoded)
        #expect(String(decoding: encoded, as: UTF8.self) == "prefix " + #"{"name":"c","op":"inc","value":1}"# + "\n")
    }

    @Test("decode(encode(m)) == m for generated messages", arguments: [1, 2, 3, 4] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        var generator = JSONOpsMessageGenerator(rng: SplitMix64(seed: seed))
        var stream: [UInt8] = []
        var messages: [OpsMessage] = []
        for _ in 0..<500 {
            let message = generator.message()
            let bytes = OpsEncoder.encode(message)
            let decoded = Result { () throws(OpsRejection) in try OpsDecoder.decode(bytes) }
            #expect(decoded == .success(message), "\(String(decoding: bytes, as: UTF8.self))")
            guard case .success = decoded else { continue }
            // Every encoding is valid JSON for the general parser too.
            #expect(throws: Never.self) { try JSONValue.parse(bytes) }
            stream += bytes
            messages.append(message)
        }
        // The same messages through the framer, as one stream in random-sized reads.
        var framer = OpsFramer()
        var framed: [OpsMessage] = []
        var rng = SplitMix64(seed: seed)
        var offset = 0
        while offset < stream.count {
            let size = Int.random(in: 1...300, using: &rng)
            framer.append(stream[offset..<min(offset + size, stream.count)])
            offset += size
            while let message = try framer.nextMessage() { framed.append(message) }
        }
        #expect(framed == messages)
        #expect(framer.finish() == nil)
    }

    @Test("numbers keep their exact value through encoding", arguments: [1, 2] as [UInt64])
    func numberRoundTrip(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<5000 {
            var value: Double
            repeat { value = Double(bitPattern: rng.next()) } while !value.isFinite
            var out: [UInt8] = []
            OpsEncoder.appendNumber(value, to: &out)
            let parsed = try JSONValue.parse(out)
            #expect(parsed == .number(value), "\(value) → \(String(decoding: out, as: UTF8.self))")
        }
    }
}
