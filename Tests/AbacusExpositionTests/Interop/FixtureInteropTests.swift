import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// The expositions captured from real peers (`Fixtures/`, rewritten by the live tests with
/// `ABACUS_UPDATE_FIXTURES=1`) read the same through our parsers as through Python's, without
/// starting any server.
@Suite("Interop: captured peer expositions")
struct FixtureInteropTests {
    @Test(
        "text fixtures: TextParser agrees with prometheus_client",
        arguments: ["pushgateway-1.5.1.txt", "prometheus-2.42.txt", "python-client-0.26.txt"])
    func text(_ name: String) async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        let bytes = try TestFiles.bytes("Fixtures/" + name)
        let ours = try TextParser.parse(bytes)
        #expect(ours.count >= 15)
        try await expectPythonAgrees(bytes, ours, python: python, name)
    }

    @Test("OpenMetrics fixture: OpenMetricsParser agrees with prometheus_client")
    func openMetrics() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        let bytes = try TestFiles.bytes("Fixtures/python-client-0.26.om.txt")
        let ours = try OpenMetricsParser.parse(bytes)
        let parsed = try await PythonReferee.parse(bytes, format: .openMetrics, python: python)
        #expect(parsed.families == ExpectedSamples.pythonFamilies(of: ours, in: .openMetrics))
        expectSameSamples(parsed.samples, ExpectedSamples.samples(of: ours, in: .openMetrics), "python-client OM")
        #expect(parsed.samples.contains { $0.exemplar != nil })
    }

    /// Each `.pb` was fetched right after its `.txt`: values may have moved, families not.
    @Test(
        "protobuf fixtures: ProtobufDecoder finds the families the text parser finds",
        arguments: ["pushgateway-1.5.1", "prometheus-2.42"])
    func protobuf(_ name: String) throws {
        let decoded = try ProtobufDecoder.decode(try TestFiles.bytes("Fixtures/\(name).pb"))
        let text = try TextParser.parse(try TestFiles.bytes("Fixtures/\(name).txt"))
        #expect(
            decoded.map { "\($0.name) \($0.type) \($0.help ?? "-")" }
                == text.map { "\($0.name) \($0.type) \($0.help ?? "-")" })
        // Every series (name and labels) of the text is in the protobuf, bucket bounds included.
        func series(_ families: [MetricFamily]) -> Set<String> {
            Set(
                ExpectedSamples.samples(of: families, in: .text).map { sample in
                    sample.name + "{" + sample.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",") + "}"
                })
        }
        let volatile = ["pushgateway_http_", "prometheus_http_", "promhttp_"]
        let stable = { (family: MetricFamily) in !volatile.contains { family.name.hasPrefix($0) } }
        #expect(series(decoded.filter(stable)) == series(text.filter(stable)))
    }
}
