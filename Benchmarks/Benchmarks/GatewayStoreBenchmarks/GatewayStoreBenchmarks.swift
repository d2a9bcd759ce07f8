import AbacusExposition
import AbacusGateway
import Benchmark

// The store without HTTP: what a push costs from parsed families to stored bytes, on an empty
// store and on one holding 100,000 groups of 10 series (1M series), and what rendering a text
// scrape of those 1M series costs. Bodies are those of Benchmarks/gateway/bodies.py.

/// The 10-series group body of Benchmarks/gateway/bodies.py (`group`).
func groupBody(_ i: Int) -> [UInt8] {
    Array(
        """
        # HELP populate_items_total Items processed.
        # TYPE populate_items_total counter
        populate_items_total{kind="a"} \(i)
        populate_items_total{kind="b"} \(i * 2)
        # HELP populate_last_success_seconds Last success.
        # TYPE populate_last_success_seconds gauge
        populate_last_success_seconds 1.7636e+09
        # HELP populate_queue_depth Queue depth.
        # TYPE populate_queue_depth gauge
        populate_queue_depth \(i % 97)
        # HELP populate_duration_seconds Duration.
        # TYPE populate_duration_seconds histogram
        populate_duration_seconds_bucket{le="0.1"} 1
        populate_duration_seconds_bucket{le="1"} 3
        populate_duration_seconds_bucket{le="+Inf"} 4
        populate_duration_seconds_sum 2.5
        populate_duration_seconds_count 4

        """.utf8)
}

/// A 100-series body like bodies.py `bench`: labelled counters and gauges and a histogram.
let benchBody: [UInt8] = {
    var text = "# HELP bench_queue_depth Items waiting per queue.\n# TYPE bench_queue_depth gauge\n"
    for q in 0..<60 { text += "bench_queue_depth{queue=\"queue-\(q)\",shard=\"\(q % 4)\"} \(q * 11 % 97)\n" }
    text += "# HELP bench_errors_total Errors by kind.\n# TYPE bench_errors_total counter\n"
    for k in 0..<26 { text += "bench_errors_total{kind=\"kind-\(k)\"} \(k * 7 + 3)\n" }
    text += "# HELP bench_run_duration_seconds Duration.\n# TYPE bench_run_duration_seconds histogram\n"
    var cumulative = 0
    for (i, le) in ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"].enumerated()
    {
        cumulative += i + 1
        text += "bench_run_duration_seconds_bucket{le=\"\(le)\"} \(cumulative)\n"
    }
    text += "bench_run_duration_seconds_sum 512.25\nbench_run_duration_seconds_count \(cumulative)\n"
    return Array(text.utf8)
}()

func makeStore() -> GroupStore {
    GroupStore(limits: StoreLimits(), journal: nil, ownFamilies: GatewayMetrics.names)
}

func populate(_ store: GroupStore, groups: Int) throws {
    for i in 0..<groups {
        let key = try GroupingKey(job: "populate", labels: [Label("instance", "p\(i)")])
        let families = try TextParser.parse(groupBody(i))
        let push = try PreparedPush.prepare(families: families, key: key, limits: StoreLimits())
        _ = try store.apply([push], mode: .replaceGroup, nowMs: 1_763_600_000_000, ttlMs: nil)
    }
}

nonisolated(unsafe) var populated: GroupStore?

func populatedStore() throws -> GroupStore {
    if let populated { return populated }
    let store = makeStore()
    try populate(store, groups: 100_000)
    populated = store
    return store
}

let benchmarks: @Sendable () -> Void = {
    opsBenchmarks()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 3, maxDuration: .seconds(5))

    let keys = (0..<1000).map { try! GroupingKey(job: "bench", labels: [Label("instance", "i\($0)")]) }

    Benchmark("Push: parse+prepare+apply 100 series, empty store") { benchmark in
        let store = makeStore()
        var i = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let families = try TextParser.parse(benchBody)
            let push = try PreparedPush.prepare(families: families, key: keys[i % keys.count], limits: StoreLimits())
            blackHole(try store.apply([push], mode: .replaceGroup, nowMs: 1_763_600_000_000, ttlMs: nil))
            i += 1
        }
    }

    Benchmark("Push: parse+prepare+apply 100 series, 1M series stored") { benchmark in
        let store = try populatedStore()
        var i = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let families = try TextParser.parse(benchBody)
            let push = try PreparedPush.prepare(families: families, key: keys[i % keys.count], limits: StoreLimits())
            blackHole(try store.apply([push], mode: .replaceGroup, nowMs: 1_763_600_000_000, ttlMs: nil))
            i += 1
        }
    }

    Benchmark(
        "Scrape: render text, 1M series stored",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], warmupIterations: 1, maxIterations: 10)
    ) { benchmark in
        let store = try populatedStore()
        let own = GatewayMetrics(version: "bench").families(groups: 100_000, lines: 1_000_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let snapshot = store.snapshot()
            blackHole(ScrapeRenderer.render(snapshot, own: own, format: .text))
        }
    }

    Benchmark(
        "Scrape: render OpenMetrics, 1M series stored",
        configuration: .init(metrics: [.wallClock], warmupIterations: 1, maxIterations: 10)
    ) { benchmark in
        let store = try populatedStore()
        let own = GatewayMetrics(version: "bench").families(groups: 100_000, lines: 1_000_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(ScrapeRenderer.render(store.snapshot(), own: own, format: .openMetrics))
        }
    }
}
