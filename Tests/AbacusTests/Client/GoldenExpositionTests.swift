import AbacusExposition
import AbacusTesting
import Foundation
import Testing

@testable import Abacus

/// Every instrument, labelled and not, in every format, against golden files
/// (`ABACUS_UPDATE_GOLDEN=1 swift test --filter GoldenExposition` rewrites them).
@Suite("Client exposition: golden files")
struct GoldenExpositionTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden")

    /// A registry holding one of everything, with fixed values.
    static func everything() throws -> Registry {
        let registry = Registry(processMetrics: false)
        let jobs = try registry.counter("jobs_processed", help: "Jobs processed.")
        jobs.increment(by: 3)
        jobs.increment(by: 0.5)
        let requests = try registry.counter(
            "http_requests_total", help: "HTTP requests by method and code.", labelNames: ["method", "code"])
        try requests.labels("GET", "200").increment(by: 1027)
        try requests.labels("POST", "500").increment()
        try requests.labels(["method": "DELETE", "code": "404"]).increment(by: 2)
        let temperature = try registry.gauge("room_temperature_celsius", help: "Temperature.", unit: "celsius")
        temperature.set(21.5)
        let queues = try registry.gauge(
            "queue_length", help: "Items waiting.\nPer queue \\ shard.", labelNames: ["queue"])
        try queues.labels("mail \"fast\"").set(3)
        try queues.labels("line\nbreak\\").set(-1)
        try queues.labels("ünïcode").set(1e-7)
        let latency = try registry.histogram(
            "request_duration_seconds", help: "Latency.", unit: "seconds", buckets: [0.1, 0.5, 1])
        for value in [0.05, 0.1, 0.3, 0.7, 2.0] { latency.observe(value) }
        let sizes = try registry.histogram(
            "response_size_bytes", help: "Sizes.", buckets: .exponential(start: 100, factor: 10, count: 3),
            labelNames: ["handler"])
        try sizes.labels("/api").observe(150)
        try sizes.labels("/api").observe(1e6)
        try sizes.labels("/").observe(50)
        let plain = try registry.summary("batch_size", help: "Batch sizes.")
        plain.observe(10)
        plain.observe(20)
        let quantiles = try registry.summary(
            "rpc_duration_seconds", help: "RPC latency.", objectives: .common, labelNames: ["service"])
        for value in 1...100 { try quantiles.labels("auth").observe(Double(value) / 100) }
        try registry.gauge("build_info_seconds", help: "A callback gauge.") { 1_700_000_000 }
        try registry.counter("callback_events_total", help: "A callback counter.") { 42 }
        try registry.gauge("no_help", help: "").set(1)
        return registry
    }

    @Test("text 0.0.4", arguments: [false, true])
    func text(extraLabels: Bool) throws {
        let registry = try Self.everything()
        let extra = extraLabels ? [Label("job", "batch"), Label("queue", "ignored: the series' own wins")] : []
        let bytes = registry.exposition(format: .text, extraLabels: extra)
        let name = extraLabels ? "everything-extra-labels.txt" : "everything.txt"
        let expected = try GoldenFiles.expected(at: Self.golden.appendingPathComponent(name), actual: bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        // The fast path writes what the shared encoder writes for the same families.
        #expect(bytes == TextEncoder.encode(registry.collect(extraLabels: extra)))
        // It parses back to the same families (text carries no unit).
        var families = registry.collect(extraLabels: extra)
        for index in families.indices { families[index].unit = nil }
        #expect(try Exposition.parse(bytes, format: .text) == families)
    }

    @Test func openMetrics() throws {
        let bytes = try Self.everything().exposition(format: .openMetrics)
        let expected = try GoldenFiles.expected(
            at: Self.golden.appendingPathComponent("everything.om.txt"), actual: bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        _ = try Exposition.parse(bytes, format: .openMetrics)
    }

    @Test func protobuf() throws {
        let registry = try Self.everything()
        let bytes = registry.exposition(format: .protobuf)
        let expected = try GoldenFiles.expected(at: Self.golden.appendingPathComponent("everything.pb"), actual: bytes)
        #expect(bytes == expected)
        #expect(try Exposition.parse(bytes, format: .protobuf) == registry.collect())
    }

    @Test("promtool check metrics accepts the registry's text, lint included (process metrics too)")
    func promtool() async throws {
        guard let promtool = Peers.require(.promtool) else { return }
        let registry = try Self.everything()
        registry.unregister("no_help")  // lint would rightly say it has no HELP
        try registry.register(ProcessMetrics())
        let text = registry.exposition()
        let result = try await ProcessRunner.run(promtool, ["check", "metrics"], stdin: text)
        #expect(
            result.status == 0,
            "promtool exit \(result.status):\n\(result.stdoutText)\(result.stderrText)\n\(String(decoding: text, as: UTF8.self))"
        )
    }

    @Test("exemplars on counters and histogram buckets appear in OpenMetrics only")
    func exemplars() throws {
        let registry = Registry(processMetrics: false)
        let counter = try registry.counter("orders_total", help: "Orders.")
        counter.increment(by: 2, exemplar: ["trace_id": "abc123"])
        let histogram = try registry.histogram("op_seconds", help: "Op.", buckets: [0.1, 1])
        histogram.observe(0.5, exemplar: ["trace_id": "def456"])
        histogram.observe(0.05)
        let before = Date().timeIntervalSince1970
        let families = try Exposition.parse(registry.exposition(format: .openMetrics), format: .openMetrics)
        let after = Date().timeIntervalSince1970 + 1
        guard
            case .counter(let value) = try #require(families.first { $0.name == "orders_total" }?.metrics.first?.value)
        else { Issue.record("not a counter"); return }
        #expect(value.value == 2)
        #expect(value.exemplar?.labels == [Label("trace_id", "abc123")])
        #expect(value.exemplar?.value == 2)
        #expect((value.exemplar?.timestamp ?? 0) >= before - 1 && (value.exemplar?.timestamp ?? .infinity) <= after)
        guard case .histogram(let h) = try #require(families.first { $0.name == "op_seconds" }?.metrics.first?.value)
        else { Issue.record("not a histogram"); return }
        #expect(h.buckets.map(\.cumulativeCount) == [1, 2, 2])
        #expect(h.buckets[0].exemplar == nil)
        #expect(h.buckets[1].exemplar?.labels == [Label("trace_id", "def456")])
        #expect(h.buckets[1].exemplar?.value == 0.5)
        // Text cannot carry exemplars.
        #expect(!String(decoding: registry.exposition(), as: UTF8.self).contains("#" + " {"))
        // Too long (over 128 characters together): the increment counts, the exemplar is dropped.
        counter.increment(by: 1, exemplar: ["trace_id": String(repeating: "x", count: 130)])
        #expect(counter.value == 3)
        #expect(counter.exemplar?.labels == [Label("trace_id", "abc123")])
    }
}
