import Testing

@testable import AbacusExposition

/// parse(encode(x)) == x over generated families, for every type OpenMetrics can express.
@Suite struct OpenMetricsRoundTripTests {
    static let everyType = Set(MetricType.allCases)

    @Test(arguments: 0..<40)
    func roundTripsGeneratedFamilies(seed: Int) throws {
        var generator = FamilyGenerator(seed: UInt64(seed) &* 0x9E37_79B9 &+ 17)
        let families = generator.families(
            count: 12, types: Self.everyType, exemplars: true, timestamps: true,
            units: true, created: true)
        let encoded = OpenMetricsEncoder.encode(families)
        let parsed = try OpenMetricsParser.parse(encoded)
        #expect(parsed == families, "\(String(decoding: encoded, as: UTF8.self))")
        #expect(OpenMetricsEncoder.encode(parsed) == encoded)
    }

    @Test(arguments: [MetricType.counter, .gauge, .histogram, .gaugeHistogram, .summary, .untyped, .info, .stateSet])
    func roundTripsOneTypeAtATime(type: MetricType) throws {
        var generator = FamilyGenerator(seed: 7)
        for _ in 0..<20 {
            let families = generator.families(
                count: 5, types: [type], exemplars: true, timestamps: true,
                units: true, created: true)
            let encoded = OpenMetricsEncoder.encode(families)
            #expect(try OpenMetricsParser.parse(encoded) == families)
        }
    }

    @Test func generatorIsDeterministic() {
        var a = FamilyGenerator(seed: 99)
        var b = FamilyGenerator(seed: 99)
        let x = a.families(count: 10, types: Self.everyType, exemplars: true, timestamps: true)
        let y = b.families(count: 10, types: Self.everyType, exemplars: true, timestamps: true)
        #expect(x == y)
        #expect(x.count == 10)
    }

    @Test func generatedFamiliesAreValid() throws {
        var generator = FamilyGenerator(seed: 3)
        let families = generator.families(
            count: 64, types: Self.everyType, exemplars: true, timestamps: true,
            units: true, created: true, fractionalCounts: true)
        try ExpositionValidator.validate(families)
    }

    @Test func appendMatchesEncode() {
        var generator = FamilyGenerator(seed: 11)
        let families = generator.families(count: 8, types: Self.everyType, exemplars: true, timestamps: true)
        var buffer: [UInt8] = []
        for family in families { OpenMetricsEncoder.append(family, to: &buffer) }
        OpenMetricsEncoder.appendEOF(to: &buffer)
        #expect(buffer == OpenMetricsEncoder.encode(families))
        #expect(buffer.suffix(6).elementsEqual("# EOF\n".utf8))
    }
}
