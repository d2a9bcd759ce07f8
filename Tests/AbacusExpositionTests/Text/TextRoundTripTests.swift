import Testing

@testable import AbacusExposition

@Suite("Text 0.0.4 round trips")
struct TextRoundTripTests {
    static let textTypes: Set<MetricType> = [.counter, .gauge, .histogram, .summary, .untyped]

    /// parse(encode(x)) == x over generated families of every type text 0.0.4 can express,
    /// with escapes, special floats, timestamps and fractional counts.
    @Test(arguments: 0..<200)
    func parseOfEncodeIsIdentity(seed: Int) throws {
        var generator = FamilyGenerator(seed: UInt64(seed) &* 0x9E37_79B9 &+ 17)
        let families = generator.families(
            count: 1 + seed % 9, types: Self.textTypes, exemplars: false,
            timestamps: seed % 2 == 0, fractionalCounts: seed % 3 == 0)
        let encoded = TextEncoder.encode(families)
        let parsed = try TextParser.parse(encoded)
        #expect(parsed == families, "\(String(decoding: encoded, as: UTF8.self))")
        // And the encoder is stable: encoding what was parsed gives the same bytes.
        #expect(TextEncoder.encode(parsed) == encoded)
    }

    /// Chunked feeding agrees with the one-shot parse for generated expositions.
    /// The same with UTF-8 names: every family name and every other label name prefixed with
    /// non-legacy characters (a prefix keeps the `_bucket`/`_total` relations), written quoted
    /// and read back with ``NameValidation/utf8``.
    @Test(arguments: 0..<100)
    func parseOfEncodeIsIdentityWithUTF8Names(seed: Int) throws {
        var generator = FamilyGenerator(seed: UInt64(seed) &* 0x5851_F42D &+ 3)
        var families = generator.families(
            count: 1 + seed % 7, types: Self.textTypes, exemplars: false, timestamps: seed % 2 == 0)
        for f in families.indices {
            families[f].name = "é." + families[f].name
            for m in families[f].metrics.indices {
                families[f].metrics[m].labels = families[f].metrics[m].labels.enumerated().map { index, label in
                    index % 2 == 0 ? Label("ü→" + label.name, label.value) : label
                }
            }
        }
        let encoded = TextEncoder.encode(families)
        let parsed = try TextParser.parse(encoded, names: .utf8)
        #expect(parsed == families, "\(String(decoding: encoded, as: UTF8.self))")
        #expect(throws: ExpositionError.self) { try TextParser.parse(encoded) }
    }

    @Test(arguments: 0..<40)
    func streamingMatchesOneShot(seed: Int) throws {
        var generator = FamilyGenerator(seed: UInt64(seed) + 1000)
        let encoded = TextEncoder.encode(
            generator.families(
                count: 6, types: Self.textTypes, exemplars: false,
                timestamps: true))
        let whole = try TextParser.parse(encoded)
        var parser = TextParser()
        var streamed: [MetricFamily] = []
        var offset = 0
        while offset < encoded.count {
            let end = min(encoded.count, offset + generator.int(1...64))
            streamed += try parser.feed(encoded[offset..<end])
            offset = end
        }
        streamed += try parser.finish()
        #expect(streamed == whole)
    }

    /// Every generated family is valid by the shared rules, so the generator tests what it claims.
    @Test func generatedFamiliesAreValid() throws {
        var generator = FamilyGenerator(seed: 7)
        let families = generator.families(
            count: 50, types: Set(MetricType.allCases), exemplars: true, timestamps: true,
            units: true, created: true)
        try ExpositionValidator.validate(families)
    }
}
