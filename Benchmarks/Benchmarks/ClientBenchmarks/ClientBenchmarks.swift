import Abacus
import AbacusExposition
import Benchmark
import Prometheus

/// Abacus' client library side by side with swift-prometheus 2.4.1, one pair per goal of the
/// client-library issue. Each pair does the same work; "(sp)" marks swift-prometheus.
/// Per-operation benchmarks loop `scaledIterations` times, so their time per iteration is the
/// time per operation (scale ×1M for the increments and observations).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .mega,
        maxDuration: .seconds(3), maxIterations: 20)

    // MARK: Held counter increment

    let abacusRegistry = Registry(processMetrics: false)
    let held = try! abacusRegistry.counter("held_total", help: "Held.")
    Benchmark("Counter increment, held (abacus)") { benchmark in
        for _ in benchmark.scaledIterations { held.increment() }
        blackHole(held.value)
    }
    let spRegistry = PrometheusCollectorRegistry()
    let spHeld = spRegistry.makeCounter(name: "held_total")
    Benchmark("Counter increment, held (sp)") { benchmark in
        for _ in benchmark.scaledIterations { spHeld.increment() }
    }

    // MARK: Labelled get-or-create + increment (10 label sets, cycled)

    let family = try! abacusRegistry.counter("requests_total", help: "Requests.", labelNames: ["method", "code"])
    // Eight label sets, cycled with a mask (no division in the loop: it would cost as much as
    // what is measured).
    let labelSets = [
        ("GET", "200"), ("POST", "200"), ("PUT", "200"), ("DELETE", "200"), ("GET", "500"), ("POST", "500"),
        ("PATCH", "200"), ("GET", "404"),
    ]
    Benchmark("Labelled get-or-create + increment (abacus)", configuration: .init(scalingFactor: .kilo)) {
        benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            let (method, code) = labelSets[index & 7]
            try? family.labels(method, code).increment()
            index &+= 1
        }
    }
    Benchmark("Labelled get-or-create + increment (sp)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            let (method, code) = labelSets[index & 7]
            spRegistry.makeCounter(name: "requests_total", labels: [("method", method), ("code", code)]).increment()
            index &+= 1
        }
    }

    // MARK: Histogram observe (client_golang's default buckets)

    let histogram = try! abacusRegistry.histogram("latency_seconds", help: "Latency.")
    let values = (0..<1024).map { Double($0 % 97) / 50 }
    Benchmark("Histogram observe (abacus)") { benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            histogram.observe(values[index & 1023])
            index &+= 1
        }
    }
    let spHistogram = spRegistry.makeValueHistogram(
        name: "latency_seconds", buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    Benchmark("Histogram observe (sp)") { benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            spHistogram.record(values[index & 1023])
            index &+= 1
        }
    }

    // MARK: Register 30k series in one family

    let once = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 5)
    Benchmark("Register 30k series in one family (abacus)", configuration: once) { benchmark in
        let registry = Registry(processMetrics: false)
        let family = try! registry.counter("series_total", help: "Series.", labelNames: ["id"])
        benchmark.startMeasurement()
        for id in 0..<30_000 { try? family.labels(String(id)).increment() }
        benchmark.stopMeasurement()
        blackHole(registry)
    }
    Benchmark(
        "Register 30k series in one family (sp)",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 2)
    ) { benchmark in
        let registry = PrometheusCollectorRegistry()
        benchmark.startMeasurement()
        for id in 0..<30_000 { registry.makeCounter(name: "series_total", labels: [("id", String(id))]).increment() }
        benchmark.stopMeasurement()
        blackHole(registry)
    }

    // MARK: Render 100k series (text 0.0.4)

    let render = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 30)
    Benchmark("Render 100k series, text (abacus)", configuration: render) { benchmark in
        let registry = RenderFixture.abacus  // built on first use, outside the measurement
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(registry.exposition()) }
        benchmark.stopMeasurement()
    }
    Benchmark("Render 100k series, text (sp)", configuration: render) { benchmark in
        let registry = RenderFixture.swiftPrometheus  // minutes to build: registration is O(n²)
        var buffer: [UInt8] = []
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            registry.emit(into: &buffer)
            blackHole(buffer)
        }
        benchmark.stopMeasurement()
    }
}

/// 100,000 counter series in one family with two labels, the same in both libraries. Static
/// properties are built lazily, so only the benchmark that renders pays for its fixture (each
/// benchmark runs in a process of its own).
enum RenderFixture {
    static func labels(_ id: Int) -> (instance: String, path: String) {
        ("host-\(id % 100)", "/api/v1/items/\(id / 100)")
    }

    static let abacus: Registry = {
        let registry = Registry(processMetrics: false)
        let family = try! registry.counter("render_total", help: "Render.", labelNames: ["instance", "path"])
        for id in 0..<100_000 {
            let (instance, path) = labels(id)
            try! family.labels(instance, path).increment(by: id)
        }
        _ = registry.exposition()  // sorted once; later scrapes reuse the order
        return registry
    }()

    static let swiftPrometheus: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        for id in 0..<100_000 {
            let (instance, path) = labels(id)
            registry.makeCounter(name: "render_total", labels: [("instance", instance), ("path", path)])
                .increment(by: Int64(id))
        }
        return registry
    }()
}
