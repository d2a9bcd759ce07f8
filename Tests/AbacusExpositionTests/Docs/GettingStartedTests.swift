import AbacusExposition
import Testing

/// The code of the DocC article "Getting started", kept compiling and true.
@Suite("Docs: getting started")
struct GettingStartedTests {
    @Test func parseWhateverArrived() throws {
        let body: [UInt8] = Array(
            """
            # HELP jobs_total Jobs run.
            # TYPE jobs_total counter
            jobs_total{queue="mail"} 42

            """.utf8)
        let format = Exposition.format(contentType: "text/plain; version=0.0.4") ?? Exposition.detectFormat(body)
        let families = try Exposition.parse(body, format: format)
        #expect(families[0].name == "jobs_total")
        #expect(throws: ExpositionError(line: 4, "duplicate series jobs_total{queue=\"mail\"}")) {
            try Exposition.parse(body.dropLast() + Array("\njobs_total{queue=\"mail\"} 1\n".utf8), format: .text)
        }
    }

    @Test func buildFamiliesAndWriteThem() throws {
        let family = MetricFamily(
            name: "request_duration_seconds", type: .histogram, help: "Request latency.",
            metrics: [
                Metric(
                    labels: [Label("handler", "/api")],
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.1, cumulativeCount: 3),
                                Bucket(upperBound: .infinity, cumulativeCount: 4),
                            ],
                            count: 4, sum: 0.52)))
            ])
        try ExpositionValidator.validate([family])
        #expect(
            String(decoding: TextEncoder.encode([family]), as: UTF8.self) == """
                # HELP request_duration_seconds Request latency.
                # TYPE request_duration_seconds histogram
                request_duration_seconds_bucket{handler="/api",le="0.1"} 3
                request_duration_seconds_bucket{handler="/api",le="+Inf"} 4
                request_duration_seconds_sum{handler="/api"} 0.52
                request_duration_seconds_count{handler="/api"} 4

                """)
        #expect(OpenMetricsEncoder.encode([family]).suffix(6) == Array("# EOF\n".utf8))
        #expect(try ProtobufDecoder.decode(ProtobufEncoder.encode([family])) == [family])
    }

    @Test func decodeJSONLinesOps() {
        var framer = OpsFramer()
        framer.append(Array(#"{"name":"jobs_total","op":"inc","value":1}{"name":"x","op":"inc","value":-1}"#.utf8))
        var seen: [String] = []
        while true {
            do {
                guard let message = try framer.nextMessage() else { break }
                seen.append("\(message.name) \(message.op)")
            } catch {
                seen.append("\(error.reason)")
            }
        }
        #expect(seen == ["jobs_total inc", "negative_increment"])
    }
}
