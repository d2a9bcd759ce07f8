import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// Our encoders' output, judged by real Prometheus software: promtool (Go, Prometheus 2.42) and
/// Python's prometheus_client parsers must read exactly what we meant to write.
@Suite("Interop: encoders judged by promtool and prometheus_client")
struct EncoderInteropTests {
    @Test("promtool check metrics accepts our text 0.0.4, lint included")
    func promtoolAcceptsText() async throws {
        guard let promtool = Peers.require(.promtool) else { return }
        let text = TextEncoder.encode(RichFamilies.all)
        let result = try await ProcessRunner.run(promtool, ["check", "metrics"], stdin: text)
        // 0: parsed and lint-clean; 3: lint problems; 1: parse error.
        #expect(
            result.status == 0,
            "promtool exit \(result.status):\n\(result.stdoutText)\(result.stderrText)\n--- input ---\n\(String(decoding: text, as: UTF8.self))"
        )
        #expect(result.stdoutText.isEmpty && result.stderrText.isEmpty)
    }

    @Test("promtool is a real referee: it rejects a broken text exposition with exit 1")
    func promtoolRejectsBrokenText() async throws {
        guard let promtool = Peers.require(.promtool) else { return }
        // Our valid output with one sample's value cut off.
        var text = TextEncoder.encode(RichFamilies.all)
        text.append(contentsOf: "legacy_value{x=\"1\"}\n".utf8)
        let result = try await ProcessRunner.run(promtool, ["check", "metrics"], stdin: text)
        #expect(result.status == 1)
        #expect(result.stderrText.contains("text format parsing error"))
    }

    /// promtool 2.42's `check metrics` reads only text 0.0.4 (it fails on `# EOF` and on
    /// exemplars), but `promtool tsdb create-blocks-from openmetrics` runs Prometheus' own
    /// OpenMetrics parser over a file. It needs a timestamp on every sample, and prints a table
    /// with the number of samples and series it stored.
    @Test("promtool's OpenMetrics reader (tsdb backfill) stores every sample we wrote")
    func promtoolBackfillsOpenMetrics() async throws {
        guard let promtool = Peers.require(.promtool) else { return }
        let families = RichFamilies.withTimestamps(RichFamilies.all)
        let expected = ExpectedSamples.samples(of: families, in: .openMetrics)
        let directory = try Peers.temporaryDirectory("backfill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.om")
        try Data(OpenMetricsEncoder.encode(families)).write(to: input)

        let result = try await ProcessRunner.run(
            promtool,
            ["tsdb", "create-blocks-from", "openmetrics", input.path, directory.appendingPathComponent("out").path])
        try #require(result.status == 0, "promtool exit \(result.status): \(result.stderrText)\(result.stdoutText)")

        // BLOCK ULID  MIN TIME  MAX TIME  DURATION  NUM SAMPLES  NUM CHUNKS  NUM SERIES  SIZE
        let rows = result.stdoutText.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true)
        }
        let header = try #require(rows.first)
        #expect(header.starts(with: ["BLOCK", "ULID", "MIN", "TIME", "MAX", "TIME", "DURATION", "NUM", "SAMPLES"]))
        let blocks = rows.dropFirst()
        let samples = blocks.reduce(0) { $0 + (Int($1[4]) ?? -1) }
        let series = blocks.reduce(0) { $0 + (Int($1[6]) ?? -1) }
        #expect(samples == expected.count)
        #expect(series == expected.count)  // one sample per series: one timestamp each
        let minTime = blocks.compactMap { Int64($0[1]) }.min()
        let maxTime = blocks.compactMap { Int64($0[2]) }.max()
        let timestamps = families.flatMap { $0.metrics.compactMap(\.timestampMs) }
        #expect(minTime == timestamps.min())
        #expect(maxTime == timestamps.max().map { $0 + 1 })  // the block's end is exclusive
    }

    @Test("prometheus_client's text parser reads back exactly our text samples")
    func pythonReadsText() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        let parsed = try await PythonReferee.parse(TextEncoder.encode(RichFamilies.all), format: .text, python: python)
        #expect(parsed.families == ExpectedSamples.pythonFamilies(of: RichFamilies.all, in: .text))
        expectSameSamples(parsed.samples, ExpectedSamples.samples(of: RichFamilies.all, in: .text), "text")
        #expect(parsed.samples.count == 47)
    }

    @Test("prometheus_client's OpenMetrics parser reads back exactly our samples and exemplars")
    func pythonReadsOpenMetrics() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        for families in [RichFamilies.all, RichFamilies.withTimestamps(RichFamilies.all)] {
            let bytes = OpenMetricsEncoder.encode(families)
            let parsed = try await PythonReferee.parse(bytes, format: .openMetrics, python: python)
            #expect(parsed.families == ExpectedSamples.pythonFamilies(of: families, in: .openMetrics))
            let expected = ExpectedSamples.samples(of: families, in: .openMetrics)
            expectSameSamples(parsed.samples, expected, "OpenMetrics")
            #expect(parsed.samples.filter { $0.exemplar != nil }.count == 4)
            #expect(parsed.samples.count == 50)
        }
    }

    @Test("prometheus_client rejects what OpenMetrics forbids, so agreement above means something")
    func pythonRejectsInvalidOpenMetrics() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        let negativeCounter = [
            MetricFamily(name: "x_total", type: .counter, metrics: [Metric(value: .counter(CounterValue(-1)))])
        ]
        await #expect(throws: PeerError.self) {
            _ = try await PythonReferee.parse(
                OpenMetricsEncoder.encode(negativeCounter), format: .openMetrics, python: python)
        }
        var unterminated = OpenMetricsEncoder.encode(RichFamilies.all)
        unterminated.removeLast("# EOF\n".utf8.count)
        await #expect(throws: PeerError.self) {
            _ = try await PythonReferee.parse(unterminated, format: .openMetrics, python: python)
        }
    }
}
