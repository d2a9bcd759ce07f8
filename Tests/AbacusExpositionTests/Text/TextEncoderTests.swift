import Testing

@testable import AbacusExposition

@Suite("Text 0.0.4 encoder")
struct TextEncoderTests {
    @Test func matchesGoldenFile() throws {
        let encoded = TextEncoder.encode(SampleFamilies.text)
        let golden = try TestFiles.golden("text/sample-families.txt", encoded)
        #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: golden, as: UTF8.self))
    }

    @Test func parsesBackToTheSameFamilies() throws {
        #expect(try TextParser.parse(TextEncoder.encode(SampleFamilies.text)) == SampleFamilies.text)
    }

    @Test func writesWhatTextCannotExpressTheWayPrometheusDoes() throws {
        let families = [
            MetricFamily(
                name: "build", type: .info, help: "Build.",
                metrics: [
                    Metric(labels: [Label("version", "1.2")], value: .info)
                ]),
            MetricFamily(
                name: "door", type: .stateSet,
                metrics: [
                    Metric(
                        labels: [Label("room", "a")],
                        value: .stateSet([State("open", isSet: true), State("shut", isSet: false)]))
                ]),
            MetricFamily(
                name: "queue_bytes", type: .gaugeHistogram, unit: "bytes",
                metrics: [
                    Metric(
                        value: .histogram(
                            HistogramValue(
                                buckets: [Bucket(upperBound: .infinity, cumulativeCount: 4)],
                                count: 4, sum: 10, created: 12)))
                ]),
            MetricFamily(
                name: "jobs_total", type: .counter,
                metrics: [
                    Metric(value: .counter(CounterValue(3, created: 1_700_000_000, exemplar: SampleFamilies.exemplar)))
                ]),
        ]
        let expected = """
            # HELP build_info Build.
            # TYPE build_info gauge
            build_info{version="1.2"} 1
            # TYPE door gauge
            door{room="a",door="open"} 1
            door{room="a",door="shut"} 0
            # TYPE queue_bytes histogram
            queue_bytes_bucket{le="+Inf"} 4
            queue_bytes_sum 10
            queue_bytes_count 4
            # TYPE jobs_total counter
            jobs_total 3

            """
        #expect(String(decoding: TextEncoder.encode(families), as: UTF8.self) == expected)
    }

    @Test func emptyFamilyListIsEmptyOutput() {
        #expect(TextEncoder.encode([]).isEmpty)
    }
}
