import AbacusExposition
import Testing

@testable import Abacus

/// Every way a registration or a label set can be refused, and what registering twice does.
@Suite("Client registration")
struct RegistrationTests {
    /// Why `body` was refused; `nil` when it was not. Any other error fails the test.
    func reason(_ body: () throws -> Void) -> RegistrationError.Reason? {
        do {
            try body()
            return nil
        } catch let error as RegistrationError {
            return error.reason
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func invalidNamesAndLabels() {
        let registry = Registry(processMetrics: false)
        #expect(reason { _ = try registry.gauge("1abc", help: "") } == .invalidName)
        #expect(reason { _ = try registry.gauge("a-b", help: "") } == .invalidName)
        #expect(reason { _ = try registry.gauge("", help: "") } == .invalidName)
        #expect(reason { _ = try registry.counter("é", help: "") } == .invalidName)
        #expect(reason { _ = try registry.gauge("g", help: "", labelNames: ["__x"]) } == .invalidLabelName("__x"))
        #expect(reason { _ = try registry.gauge("g", help: "", labelNames: ["a:b"]) } == .invalidLabelName("a:b"))
        #expect(reason { _ = try registry.gauge("g", help: "", labelNames: ["a", "a"]) } == .invalidLabelName("a"))
        #expect(reason { _ = try registry.histogram("h", help: "", labelNames: ["le"]) } == .invalidLabelName("le"))
        #expect(
            reason { _ = try registry.summary("s", help: "", labelNames: ["quantile"]) }
                == .invalidLabelName("quantile"))
        // `le` and `quantile` are only reserved where the type uses them.
        #expect(reason { _ = try registry.gauge("g2", help: "", labelNames: ["le", "quantile"]) } == nil)
        #expect(
            reason { _ = try registry.gauge("temp", help: "", unit: "celsius") }
                == .invalidUnit("OpenMetrics wants the name to end with _celsius"))
        #expect(
            reason { _ = try registry.gauge("temp_c", help: "", unit: "c-1") }
                == .invalidUnit("unit c-1 is not a valid name part"))
        #expect(reason { _ = try registry.counter("bytes_sent", help: "", unit: "sent") } == nil)
        // Nothing was registered by the refusals.
        #expect(registry.collect().map(\.name) == ["bytes_sent_total", "g2"])
    }

    @Test func invalidBucketsAndObjectives() {
        let registry = Registry(processMetrics: false)
        #expect(
            reason { _ = try registry.histogram("h1", help: "", buckets: [1, 1]) }
                == .invalidBuckets("bounds must increase: 1.0 then 1.0"))
        #expect(
            reason { _ = try registry.histogram("h2", help: "", buckets: [2, 1]) }
                == .invalidBuckets("bounds must increase: 2.0 then 1.0"))
        #expect(
            reason { _ = try registry.histogram("h3", help: "", buckets: [.nan]) }
                == .invalidBuckets("bound nan is not finite"))
        #expect(
            reason { _ = try registry.histogram("h4", help: "", buckets: [-.infinity, 1]) }
                == .invalidBuckets("bound -inf is not finite"))
        // +Inf may be listed; it is there anyway. No bounds at all: just +Inf.
        #expect(reason { _ = try registry.histogram("h5", help: "", buckets: [1, .infinity]) } == nil)
        #expect(reason { _ = try registry.histogram("h6", help: "", buckets: []) } == nil)
        #expect(
            reason { _ = try registry.summary("s1", help: "", objectives: .init(quantiles: [1.5: 0.01])) }
                == .invalidObjectives("quantile 1.5 is not in [0, 1]"))
        #expect(
            reason { _ = try registry.summary("s2", help: "", objectives: .init(quantiles: [0.5: -1])) }
                == .invalidObjectives("error -1.0 is not in [0, 1)"))
        #expect(
            reason { _ = try registry.summary("s3", help: "", objectives: .init(quantiles: [0.5: 0.1], ageBuckets: 0)) }
                == .invalidObjectives("ageBuckets must be at least 1"))
        #expect(
            reason { _ = try registry.summary("s4", help: "", objectives: .init(quantiles: [0.5: 0.1], maxAge: .zero)) }
                == .invalidObjectives("maxAge must be positive"))
        let text = String(decoding: registry.exposition(), as: UTF8.self)
        #expect(
            text
                == "# TYPE h5 histogram\nh5_bucket{le=\"1\"} 0\nh5_bucket{le=\"+Inf\"} 0\nh5_sum 0\nh5_count 0\n# TYPE h6 histogram\nh6_bucket{le=\"+Inf\"} 0\nh6_sum 0\nh6_count 0\n"
        )
    }

    @Test("the same registration twice returns the first instrument; anything different conflicts")
    func registeringTwice() throws {
        let registry = Registry(processMetrics: false)
        let first = try registry.counter("events", help: "Events.")
        #expect(try registry.counter("events_total", help: "Events.") === first)
        let family = try registry.histogram("lat_seconds", help: "L.", buckets: [1, 2], labelNames: ["a"])
        #expect(try registry.histogram("lat_seconds", help: "L.", buckets: [1, 2], labelNames: ["a"]) === family)
        #expect(
            reason { _ = try registry.histogram("lat_seconds", help: "L.", buckets: [1, 3], labelNames: ["a"]) }
                == .conflict(with: "lat_seconds"))
        #expect(
            reason { _ = try registry.histogram("lat_seconds", help: "Other.", buckets: [1, 2], labelNames: ["a"]) }
                == .conflict(with: "lat_seconds"))
        #expect(
            reason { _ = try registry.histogram("lat_seconds", help: "L.", buckets: [1, 2]) }
                == .conflict(with: "lat_seconds"))
        #expect(reason { _ = try registry.gauge("events_total", help: "Events.") } == .conflict(with: "events_total"))
        // Names a family exposes besides its own: a counter's base name, a histogram's suffixes.
        #expect(reason { _ = try registry.gauge("events", help: "") } == .conflict(with: "events_total"))
        #expect(reason { _ = try registry.gauge("lat_seconds_count", help: "") } == .conflict(with: "lat_seconds"))
        #expect(reason { _ = try registry.gauge("lat_seconds_bucket", help: "") } == .conflict(with: "lat_seconds"))
        #expect(reason { _ = try registry.summary("lat", help: "") } == nil)
        #expect(reason { _ = try registry.histogram("events_created", help: "") } == .conflict(with: "events_total"))
        // Callbacks are never shared.
        try registry.gauge("queue", help: "") { 1 }
        #expect(reason { try registry.gauge("queue", help: "") { 2 } } == .conflict(with: "queue"))
        // A name that is free again after unregister.
        #expect(registry.unregister("events"))
        #expect(!registry.unregister("events"))
        #expect(try registry.gauge("events", help: "").value == 0)
    }

    @Test func collectors() throws {
        struct Fixed: MetricCollector {
            let names: [String]
            func collect() -> [MetricFamily] {
                names.map { MetricFamily(name: $0, type: .gauge, metrics: [Metric(value: .gauge(1))]) }
            }
        }
        let registry = Registry(processMetrics: false)
        _ = try registry.gauge("b", help: "")
        try registry.register(Fixed(names: ["c", "a"]))
        #expect(reason { try registry.register(Fixed(names: ["b"])) } == .conflict(with: "b"))
        #expect(reason { try registry.register(Fixed(names: ["a"])) } == .conflict(with: "collector #1"))
        #expect(reason { try registry.register(Fixed(names: ["d", "d"])) } == .conflict(with: "d"))
        #expect(reason { _ = try registry.gauge("c", help: "") } == .conflict(with: "collector #1"))
        #expect(
            String(decoding: registry.exposition(), as: UTF8.self)
                == "# TYPE a gauge\na 1\n# TYPE b gauge\nb 0\n# TYPE c gauge\nc 1\n")
    }

    @Test func processMetricsByDefault() throws {
        let names = Registry().collect().map(\.name)
        #expect(names.contains("process_cpu_seconds_total"))
        #expect(names.contains("process_resident_memory_bytes"))
        #expect(names.contains("process_open_fds"))
        #expect(names.contains("process_threads"))
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(Registry(processMetrics: false).collect().isEmpty)
        // Their names are taken.
        #expect(reason { _ = try Registry().gauge("process_open_fds", help: "") } != nil)
    }

    @Test func labelErrors() throws {
        let registry = Registry(processMetrics: false)
        let family = try registry.counter("c", help: "", labelNames: ["a", "b"])
        #expect(throws: LabelError.wrongValueCount(family: "c_total", expected: 2, got: 1)) { try family.labels("x") }
        #expect(throws: LabelError.wrongValueCount(family: "c_total", expected: 2, got: 3)) {
            try family.labels("x", "y", "z")
        }
        #expect(throws: LabelError.wrongValueCount(family: "c_total", expected: 2, got: 4)) {
            try family.labels(["1", "2", "3", "4"])
        }
        #expect(throws: LabelError.missingLabel(family: "c_total", label: "b")) { try family.labels(["a": "1"]) }
        #expect(throws: LabelError.unknownLabel(family: "c_total", label: "z")) {
            try family.labels(["a": "1", "b": "2", "z": "3"])
        }
        #expect(try family.labels(["b": "2", "a": "1"]) === family.labels("1", "2"))
        #expect(try family.labels(["1", "2"]) === family.labels("1", "2"))
        #expect(
            "\(LabelError.wrongValueCount(family: "c_total", expected: 2, got: 1))"
                == "c_total has 2 label name(s), 1 value(s) given")
        #expect(registry.collect().first?.metrics.count == 1)
    }
}
