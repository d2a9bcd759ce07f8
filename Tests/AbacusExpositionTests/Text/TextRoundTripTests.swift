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
