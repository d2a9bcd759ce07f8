import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// Python's prometheus_client as a *writer*: its text and OpenMetrics expositions (process,
/// platform and GC collectors plus one family of every kind, with exemplars and escapes) must
/// read the same through our parsers as through its own.
///
/// Prometheus 2.42 and Pushgateway 1.5.1 do not serve OpenMetrics on `/metrics`, so this is the
/// real OpenMetrics writer we test against. With `ABACUS_UPDATE_FIXTURES=1` the two expositions
/// are saved as `Fixtures/python-client-0.26.txt` and `Fixtures/python-client-0.26.om.txt`.
@Suite("Interop: prometheus_client's expositions through our parsers")
struct PythonClientInteropTests {
    static let writer = #"""
        import sys
        from prometheus_client import (CollectorRegistry, Counter, Enum, GCCollector, Gauge, Histogram, Info,
                                       PlatformCollector, ProcessCollector, Summary, generate_latest)
        from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

        r = CollectorRegistry()
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        jobs = Counter("jobs", 'Jobs run.\nSecond line: "quoted" \\ backslash.', ["queue"], registry=r)
        jobs.labels("mail").inc(3)
        jobs.labels('ünï "q" \\ \n end').inc(exemplar={"trace_id": "abc123"})
        temperature = Gauge("temperature_celsius", "Temperature.", ["sensor"], registry=r)
        temperature.labels("nan").set(float("nan"))
        temperature.labels("hot").set(float("inf"))
        temperature.labels("cold").set(float("-inf"))
        temperature.labels("tiny").set(-1e-300)
        temperature.labels("big").set(1.5e300)
        latency = Histogram("request_duration", "Latency.", ["handler"], unit="seconds",
                            buckets=[0.005, 0.1, 1, 2.5], registry=r)
        latency.labels("/").observe(0.05, exemplar={"trace_id": "t1"})
        latency.labels("/").observe(2)
        latency.labels("/").observe(30)
        rpc = Summary("rpc_size_bytes", "RPC sizes.", registry=r)
        rpc.observe(512)
        Info("build", "Build information.", registry=r).info({"version": "1.2.3", "revision": "abc"})
        Enum("feature_state", "Feature state.", states=["enabled", "disabled"], registry=r).state("disabled")
        write = generate_latest if sys.argv[1] == "text" else generate_openmetrics
        sys.stdout.buffer.write(write(r))
        """#

    func exposition(_ format: ExpectedSamples.Format, python: URL) async throws -> [UInt8] {
        let result = try await ProcessRunner.run(python, ["-c", Self.writer, format == .text ? "text" : "openmetrics"])
        try #require(result.status == 0, "\(result.stderrText)")
        return result.stdout
    }

    @Test("prometheus_client's text exposition: TextParser reads what Python's parser reads")
    func text() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        let bytes = try await exposition(.text, python: python)
        try FixtureCapture.save(bytes, as: "python-client-0.26.txt")
        let ours = try TextParser.parse(bytes)
        try await expectPythonAgrees(bytes, ours, python: python, "prometheus_client text")
        let jobs = try #require(ours.first { $0.name == "jobs_total" })
        #expect(jobs.type == .counter)
        #expect(jobs.help == "Jobs run.\nSecond line: \"quoted\" \\ backslash.")
        #expect(jobs.metrics.map(\.labels) == [[Label("queue", "mail")], [Label("queue", "ünï \"q\" \\ \n end")]])
        #expect(jobs.metrics.map(\.value) == [.counter(CounterValue(3)), .counter(CounterValue(1))])
        // The Python client writes `_created` as separate gauge families in text.
        #expect(ours.first { $0.name == "jobs_created" }?.type == .gauge)
    }

    @Test("prometheus_client's OpenMetrics exposition: OpenMetricsParser reads what Python's parser reads")
    func openMetrics() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        let bytes = try await exposition(.openMetrics, python: python)
        try FixtureCapture.save(bytes, as: "python-client-0.26.om.txt")
        let ours = try OpenMetricsParser.parse(bytes)
        let parsed = try await PythonReferee.parse(bytes, format: .openMetrics, python: python)
        #expect(parsed.families == ExpectedSamples.pythonFamilies(of: ours, in: .openMetrics))
        expectSameSamples(parsed.samples, ExpectedSamples.samples(of: ours, in: .openMetrics), "prometheus_client OM")

        let jobs = try #require(ours.first { $0.name == "jobs_total" })
        #expect(jobs.type == .counter)
        guard case .counter(let counter) = jobs.metrics.last?.value else {
            Issue.record("jobs_total has no counter value: \(jobs)")
            return
        }
        #expect(counter.value == 1)
        #expect(counter.created != nil)
        #expect(counter.exemplar?.labels == [Label("trace_id", "abc123")])
        #expect(counter.exemplar?.value == 1)
        #expect((counter.exemplar?.timestamp ?? 0) > 1_600_000_000)
        let latency = try #require(ours.first { $0.name == "request_duration_seconds" })
        #expect(latency.unit == "seconds" && latency.type == .histogram)
        #expect(ours.first { $0.name == "build" }?.type == .info)
        #expect(
            ours.first { $0.name == "feature_state" }?.metrics.first?.value
                == .stateSet([State("enabled", isSet: false), State("disabled", isSet: true)]))
    }
}
