import AbacusExposition
import AbacusTesting
import Testing

@testable import Abacus

/// The text fast path against the shared encoder, on random registries: same bytes, always.
@Suite("Client rendering properties")
struct RenderPropertyTests {
    static let alphabet: [String] = ["a", "b", "\"", "\\", "\n", "é", "_", "0", " ", "}", "=", ","]

    static func value(_ random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<(random.next() % 6) { text += alphabet[Int(random.next() % UInt64(alphabet.count))] }
        return text
    }

    static func number(_ random: inout SplitMix64) -> Double {
        switch random.next() % 6 {
        case 0: 0
        case 1: Double(random.next() % 1000)
        case 2: Double(random.next() % 1_000_000) / 997
        case 3: Double(random.next() % 10) * 1e9
        case 4: -Double(random.next() % 100) / 3
        default: 1e-9 * Double(random.next() % 7)
        }
    }

    @Test("registry text == TextEncoder(collect()) and parses back", arguments: 0..<40)
    func textMatchesEncoder(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let registry = Registry(processMetrics: false)
        for index in 0..<Int(1 + random.next() % 6) {
            let labelNames = (0..<Int(random.next() % 3)).map { "l\($0)" }
            let name = "m\(index)"
            // Text cannot carry a HELP that starts with a blank: parsers skip blanks after the name.
            let help = "h" + Self.value(&random)
            let series = Int(random.next() % 5)
            func values() -> [String] { labelNames.map { _ in Self.value(&random) } }
            switch random.next() % 4 {
            case 0:
                let family = try registry.counter(name, help: help, labelNames: labelNames)
                for _ in 0..<series { try family.labels(values()).increment(by: abs(Self.number(&random))) }
            case 1:
                let family = try registry.gauge(name, help: help, labelNames: labelNames)
                for _ in 0..<series { try family.labels(values()).set(Self.number(&random)) }
            case 2:
                let family = try registry.histogram(name, help: help, buckets: [0, 1, 10.5], labelNames: labelNames)
                for _ in 0..<series { try family.labels(values()).observe(abs(Self.number(&random))) }
            default:
                let family = try registry.summary(name, help: help, objectives: .common, labelNames: labelNames)
                for _ in 0..<series { try family.labels(values()).observe(abs(Self.number(&random))) }
            }
        }
        let extra = random.next() % 2 == 0 ? [] : [Label("job", Self.value(&random)), Label("l0", "shadowed")]
        let text = registry.exposition(extraLabels: extra)
        #expect(text == TextEncoder.encode(registry.collect(extraLabels: extra)))
        #expect(try Exposition.parse(text, format: .text) == registry.collect(extraLabels: extra))

        _ = try Exposition.parse(registry.exposition(format: .openMetrics, extraLabels: extra), format: .openMetrics)
        #expect(
            try Exposition.parse(registry.exposition(format: .protobuf, extraLabels: extra), format: .protobuf)
                == registry.collect(extraLabels: extra))
    }
}
