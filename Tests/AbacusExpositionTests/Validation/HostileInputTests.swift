import Testing

@testable import AbacusExposition

/// Inputs no real client sends, built to make a careless parser quadratic. Each must finish
/// quickly (they took minutes before the duplicate checks switched to hashing past 32 entries).
@Suite("Hostile input stays linear")
struct HostileInputTests {
    static let manyLabels = (0..<50_000).map { "l\($0)=\"v\"" }.joined(separator: ",")

    @Test func openMetricsManyLabels() throws {
        let families = try OpenMetricsParser.parse(Array("# TYPE a gauge\na{\(Self.manyLabels)} 1\n# EOF\n".utf8))
        #expect(families[0].metrics[0].labels.count == 50_000)
        #expect(throws: ExpositionError.self) {
            try OpenMetricsParser.parse(Array("# TYPE a gauge\na{\(Self.manyLabels),l9=\"x\"} 1\n# EOF\n".utf8))
        }
    }

    @Test func openMetricsManyQuantilesAndStates() throws {
        let quantiles = (0..<50_000).map { "s{quantile=\"\(Double($0) / 100_000)\"} 1\n" }.joined()
        let summary = try OpenMetricsParser.parse(Array("# TYPE s summary\n\(quantiles)# EOF\n".utf8))
        #expect(summary[0].metrics.count == 1)
        #expect(throws: ExpositionError.self) {
            try OpenMetricsParser.parse(Array("# TYPE s summary\n\(quantiles)s{quantile=\"0.0001\"} 1\n# EOF\n".utf8))
        }
        let states = (0..<50_000).map { "d{d=\"s\($0)\"} 0\n" }.joined()
        let stateSet = try OpenMetricsParser.parse(Array("# TYPE d stateset\n\(states)# EOF\n".utf8))
        #expect(stateSet[0].metrics.count == 1)
        #expect(throws: ExpositionError.self) {
            try OpenMetricsParser.parse(Array("# TYPE d stateset\n\(states)d{d=\"s7\"} 1\n# EOF\n".utf8))
        }
    }

    @Test func textManyQuantiles() throws {
        let quantiles = (0..<50_000).map { "s{quantile=\"\(Double($0) / 100_000)\"} 1\n" }.joined()
        #expect(try TextParser.parse(Array("# TYPE s summary\n\(quantiles)".utf8))[0].metrics.count == 1)
        #expect(throws: ExpositionError.self) {
            try TextParser.parse(Array("# TYPE s summary\n\(quantiles)s{quantile=\"0.0001\"} 1\n".utf8))
        }
    }

    @Test func validatorManyLabelsFromTheModel() {
        var labels = (0..<50_000).map { Label("l\($0)", "v") }
        let family = MetricFamily(name: "g", type: .gauge, metrics: [Metric(labels: labels, value: .gauge(1))])
        #expect(ExpositionValidator.problems(in: family).isEmpty)
        labels.append(Label("l9", "x"))
        let duplicate = MetricFamily(name: "g", type: .gauge, metrics: [Metric(labels: labels, value: .gauge(1))])
        #expect(ExpositionValidator.problems(in: duplicate).count == 1)
    }

    @Test func manySeriesInOneFamily() throws {
        let lines = (0..<100_000).map { "a{i=\"\($0)\"} 1\n" }.joined()
        #expect(try TextParser.parse(Array(lines.utf8))[0].metrics.count == 100_000)
        #expect(throws: ExpositionError(line: 100_001, "duplicate series a{i=\"5\"}")) {
            try TextParser.parse(Array((lines + "a{i=\"5\"} 2\n").utf8))
        }
    }
}
