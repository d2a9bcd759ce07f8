import AbacusTesting
import Testing

@testable import AbacusExposition

@Suite("Number formatting and parsing")
struct NumberFormattingTests {
    /// Expected strings are what Go's `strconv.FormatFloat(v, 'g', -1, 64)` prints, which is what
    /// Prometheus' expfmt writes.
    @Test(
        arguments: [
            (0.0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (0.5, "0.5"), (0.1, "0.1"), (1e6, "1e+06"),
            (123456, "123456"), (999999, "999999"), (1234567, "1.234567e+06"), (0.0001, "0.0001"),
            (0.00001, "1e-05"), (1.5e-7, "1.5e-07"), (1e21, "1e+21"), (1e100, "1e+100"), (5e-324, "5e-324"),
            (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"), (0.1 + 0.2, "0.30000000000000004"),
            (123.456, "123.456"), (-2.5, "-2.5"), (100000.5, "100000.5"), (9007199254740992, "9.007199254740992e+15"),
            (0.005, "0.005"), (1.0 / 3, "0.3333333333333333"), (1458255915, "1.458255915e+09"), (-0.00012, "-0.00012"),
            (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"), (12.47, "12.47"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"), (1e15, "1e+15"), (123456.7, "123456.7"),
        ] as [(Double, String)])
    func formatsLikeGo(value: Double, expected: String) {
        #expect(NumberFormatting.string(value) == expected)
    }

    @Test(
        arguments: [
            ("1", 1.0), ("-1", -1), ("+1", 1), ("1.", 1), (".5", 0.5), ("1e5", 1e5), ("1E5", 1e5), ("1e+5", 1e5),
            ("1e-5", 1e-5), ("Inf", .infinity), ("+Inf", .infinity), ("-Inf", -.infinity), ("inf", .infinity),
            ("INF", .infinity), ("Infinity", .infinity), ("-infinity", -.infinity), ("0.30000000000000004", 0.1 + 0.2),
            ("1e-400", 0), ("00012", 12), ("1.458255915e9", 1458255915),
            ("123456789012345678901234567890", 1.2345678901234568e29),
            ("0.000000000000000000000000000001", 1e-30), ("4.9406564584124654e-324", 5e-324),
        ] as [(String, Double)])
    func parsesPrometheusSyntax(text: String, expected: Double) {
        #expect(FloatParsing.parse(text) == expected)
    }

    @Test func parsesLongLiteralsCorrectlyRounded() {
        #expect(
            FloatParsing.parse("17976931348623157" + String(repeating: "0", count: 292)) == .greatestFiniteMagnitude)
        #expect(FloatParsing.parse("17976931348623159" + String(repeating: "0", count: 292)) == nil)  // overflows
        #expect(FloatParsing.parse("0." + String(repeating: "3", count: 40)) == 1.0 / 3)
    }

    @Test func parsesNaN() {
        #expect(FloatParsing.parse("NaN")?.isNaN == true)
        #expect(FloatParsing.parse("nan")?.isNaN == true)
        #expect(FloatParsing.parse("NAN")?.isNaN == true)
    }

    @Test(arguments: [
        "", "+", "-", ".", "e5", "1e", "1e+", "0x1p3", "1_000", "+nan", "-NaN", "1.2.3", "1 ", " 1", "infin",
        "1e400", "-1e400", "--1", "1,5", "Infinit", "0x10", "١",
    ])
    func rejectsWhatPrometheusRejects(text: String) {
        #expect(FloatParsing.parse(text) == nil)
    }

    @Test func parsesInt64() {
        func parse(_ s: String) -> Int64? {
            var s = s
            return s.withUTF8 { FloatParsing.parseInt64($0) }
        }
        #expect(parse("1395066363000") == 1395066363000)
        #expect(parse("-3982045") == -3982045)
        #expect(parse("9223372036854775807") == .max)
        #expect(parse("-9223372036854775808") == .min)
        #expect(parse("9223372036854775808") == nil)
        #expect(parse("1.5") == nil)
        #expect(parse("") == nil)
        #expect(parse("-") == nil)
    }

    /// Property: every double formats to the shortest digits that read back as itself — the same
    /// digits the standard library's shortest printer finds.
    @Test func roundTripsAndIsShortest() {
        var rng = SplitMix64(seed: 0xABAC05)
        for i in 0..<200_000 {
            let value: Double
            switch i % 4 {
            case 0: value = Double(bitPattern: rng.next())
            case 1: value = Double(Int64(bitPattern: rng.next()) % 1_000_000_000) / 1000
            case 2: value = Double(rng.next() % 100_000) * [1e-9, 1e-3, 0.01, 0.1, 1, 1e3, 1e12][Int(rng.next() % 7)]
            default: value = Double(Int64(bitPattern: rng.next() >> UInt64(rng.next() % 64)))
            }
            if !value.isFinite { continue }
            let text = NumberFormatting.string(value)
            #expect(FloatParsing.parse(text) == value, "\(value.bitPattern) formatted as \(text)")
            if value != 0 {
                let ours = NumberFormatting.shortestDigits(value.magnitude)
                let reference = NumberFormatting.digitsFromDescription(value.magnitude)
                #expect(ours.digits == reference.digits && ours.point == reference.point, "\(value) → \(text)")
            }
        }
    }
}
