import AbacusExposition
import AbacusTesting
import Foundation
import Testing

@testable import Abacus

/// What each instrument does with every kind of input, including the inputs it ignores.
@Suite("Client instruments")
struct InstrumentTests {
    let registry = Registry(processMetrics: false)

    @Test func counters() throws {
        let counter = try registry.counter("c", help: "")
        counter.increment()
        counter.increment(by: 3)  // an integer literal: the Int overload
        counter.increment(by: 0.25)
        counter.increment(by: 2.0)  // integral Double: exact integer cell
        counter.increment(by: -1)
        counter.increment(by: -0.5)
        counter.increment(by: .nan)
        #expect(counter.value == 6.25)
        counter.increment(by: .infinity)
        #expect(counter.value == .infinity)
        // Integral increments stay exact past 2^53, where a Double total would not.
        let big = try registry.counter("big", help: "")
        big.increment(by: 1 << 53)
        big.increment()
        big.increment()
        #expect(String(decoding: registry.exposition(), as: UTF8.self).contains("big_total 9.007199254740994e+15\n"))
    }

    @Test func gauges() throws {
        let gauge = try registry.gauge("g", help: "")
        gauge.set(5)
        gauge.increment()
        gauge.decrement(by: 2.5)
        #expect(gauge.value == 3.5)
        gauge.set(.nan)
        #expect(gauge.value.isNaN)
        gauge.set(-.infinity)
        #expect(String(decoding: registry.exposition(), as: UTF8.self) == "# TYPE g gauge\ng -Inf\n")
        let before = Date().timeIntervalSince1970
        gauge.setToCurrentTime()
        #expect(gauge.value >= before - 0.001 && gauge.value <= Date().timeIntervalSince1970 + 0.001)
        let duration = gauge.setToDuration { usleep(20_000) }
        _ = duration
        // At least the 20 ms slept; no upper bound: a loaded machine may take any time.
        #expect(gauge.value >= 0.019)
    }

    @Test func inProgress() async throws {
        let gauge = try registry.gauge("in_flight", help: "")
        let seen = await gauge.trackInProgress { gauge.value }
        #expect(seen == 1)
        #expect(gauge.value == 0)
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await gauge.trackInProgress { throw Failure() } }
        #expect(gauge.value == 0)
    }

    @Test("histogram: bounds are inclusive, +Inf catches the rest, NaN is ignored")
    func histograms() throws {
        let histogram = try registry.histogram("h", help: "", buckets: [1, 2, 5])
        for value in [0.5, 1, 1.0000001, 2, 5, 5.5, .infinity, -3, .nan] { histogram.observe(value) }
        histogram.observe(2)  // the Int overload
        let (cumulative, sum) = histogram.read()
        #expect(cumulative == [3, 6, 7, 9])
        #expect(sum == .infinity)
        #expect(histogram.count == 9)
    }

    @Test("histogram: 24 threads (more than its 16 shards) count exactly; threads exit; freed series' slots are reused")
    func histogramThreads() async throws {
        let histogram = try registry.histogram("threads", help: "", buckets: [1, 10])
        try await RawSockets.offThread {
            let group = DispatchGroup()
            for _ in 0..<24 {
                group.enter()
                Thread.detachNewThread {
                    for k in 0..<3000 { histogram.observe([0.5, 5, 50][k % 3]) }
                    group.leave()
                }
            }
            group.wait()
        }
        let (cumulative, sum) = histogram.read()
        #expect(cumulative == [24_000, 48_000, 72_000])
        #expect(sum == 24_000 * 55.5)
        // The threads are gone; their shards stay with the series. A new thread adds to them.
        try await RawSockets.offThread { histogram.observe(2) }
        #expect(histogram.read().cumulative == [24_000, 48_001, 72_001])
        // Series made and freed in turn reuse shard-table slots; a thread's entry for a freed
        // series must never be taken for the new one (a wrong count, or a use after free).
        for round in 0..<200 {
            let scratch = Registry(processMetrics: false)
            let short = try scratch.histogram("short", help: "", buckets: [1])
            short.observe(Double(round % 2))
            short.observe(3)
            #expect(short.read().cumulative == [1, 2], "round \(round)")
        }
    }

    @Test("histogram bucket search: the binary search (more than 16 bounds) agrees with a linear scan")
    func bucketSearch() throws {
        var random = SplitMix64(seed: 7)
        for bounds in [
            Buckets.linear(start: 0, width: 1, count: 40), .exponential(start: 0.001, factor: 1.5, count: 30),
        ] {
            let layout = HistogramLayout(bounds: try #require(try? bounds.validated().get()))
            for _ in 0..<2000 {
                let value = Double(random.next() % 100_000) / 1000 - 5
                let linear = layout.bounds.firstIndex { value <= $0 }!
                #expect(layout.index(of: value) == linear, "\(value)")
            }
            for bound in layout.bounds { #expect(layout.bounds[layout.index(of: bound)] == bound) }
        }
    }

    @Test func bucketGenerators() {
        #expect(Buckets.linear(start: 100, width: 100, count: 5).upperBounds == [100, 200, 300, 400, 500])
        #expect(Buckets.linear(start: 1, width: 1, count: 0).upperBounds == [])
        #expect(Buckets.exponential(start: 0.001, factor: 2, count: 4).upperBounds == [0.001, 0.002, 0.004, 0.008])
        let range = Buckets.exponentialRange(from: 1, to: 1000, count: 4).upperBounds
        #expect(range.count == 4)
        #expect(range.first == 1 && range.last == 1000)
        #expect(abs(range[1] - 10) < 1e-9 && abs(range[2] - 100) < 1e-9)
        #expect(Buckets.exponentialRange(from: 1, to: 10, count: 1).upperBounds == [1])
        #expect(Buckets.default.upperBounds == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    }

    @Test func timing() async throws {
        let histogram = try registry.histogram("t_seconds", help: "", buckets: [0.001, 3600])
        let result = try await histogram.time {
            try await Task.sleep(for: .milliseconds(5)); return 7
        }
        #expect(result == 7)
        // In seconds: above 1 ms (it slept 5), below an hour (in milliseconds it would be 5 or
        // more, still fine; in nanoseconds 5,000,000); no bound a loaded machine could break.
        #expect(histogram.read().cumulative == [0, 1, 1])
        #expect(histogram.sum >= 0.005 && histogram.sum < 3600)
        let start = ContinuousClock.now
        histogram.observeDuration(since: start)
        #expect(histogram.count == 2)
        let summary = try registry.summary("s_seconds", help: "")
        _ = await summary.time { 1 }
        #expect(summary.count == 1)
    }

    @Test("summary without objectives: only sum and count")
    func plainSummary() throws {
        let summary = try registry.summary("s", help: "")
        for value in [1.0, 2, .nan, 3] { summary.observe(value) }
        #expect(summary.count == 3)
        #expect(summary.sum == 6)
        #expect(summary.quantiles().isEmpty)
        #expect(String(decoding: registry.exposition(), as: UTF8.self) == "# TYPE s summary\ns_sum 6\ns_count 3\n")
    }

    @Test("summary quantiles stay within their rank error (random streams, several orders)")
    func summaryAccuracy() throws {
        var random = SplitMix64(seed: 42)
        let objectives: [Double: Double] = [0.01: 0.001, 0.5: 0.05, 0.9: 0.01, 0.99: 0.001]
        for round in 0..<6 {
            let summary = try registry.summary(
                "acc_\(round)", help: "", objectives: SummaryObjectives(quantiles: objectives))
            let count = [10, 100, 1000, 5000, 20000, 777][round]
            var values: [Double] = []
            for index in 0..<count {
                let value: Double =
                    switch round % 3 {
                    case 0: Double(random.next() % 1_000_000) / 1000  // uniform
                    case 1: Double(index)  // ascending
                    default: exp(Double(random.next() % 10_000) / 1000)  // skewed
                    }
                values.append(value)
                summary.observe(value)
            }
            let sorted = values.sorted()
            for (quantile, value) in summary.quantiles() {
                let epsilon = objectives[quantile]!
                // The rank of the answer must lie within ε·n of φ·n (one rank of slack for ties).
                let low = sorted.firstIndex { $0 >= value } ?? count
                let high = sorted.lastIndex { $0 <= value } ?? -1
                let target = quantile * Double(count)
                let slack = epsilon * Double(count) + 1
                #expect(
                    Double(low) <= target + slack && Double(high + 1) >= target - slack,
                    "round \(round) φ=\(quantile): \(value) has ranks \(low)...\(high), wanted \(target) ± \(slack)")
            }
        }
    }

    @Test("summary window: observations age out after maxAge")
    func summaryWindow() async throws {
        // The median of a window no stall can outlast (an hour)…
        let long = try registry.summary(
            "w_long", help: "", objectives: SummaryObjectives(quantiles: [0.5: 0.05], maxAge: .seconds(3600)))
        for value in 1...100 { long.observe(Double(value)) }
        let median = try #require(long.quantiles().first?.value)
        #expect(abs(median - 50) <= 6)
        // …and a 300 ms window that empties: NaN (count and sum keep everything), and not
        // sooner than 200 ms (two of its three age buckets) after the observations, measured
        // from before them so that only a lower bound is asserted.
        let summary = try registry.summary(
            "w", help: "",
            objectives: SummaryObjectives(quantiles: [0.5: 0.05], maxAge: .milliseconds(300), ageBuckets: 3))
        let start = Date()
        for value in 1...100 { summary.observe(Double(value)) }
        while !(summary.quantiles().first?.value.isNaN ?? false), Date().timeIntervalSince(start) < Patience.seconds {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(summary.quantiles().first?.value.isNaN == true)
        #expect(Date().timeIntervalSince(start) >= 0.2)
        #expect(summary.count == 100)
        summary.observe(7)
        #expect(summary.quantiles().first?.value == 7)
    }

    @Test func familiesRemoveAndSort() throws {
        let family = try registry.gauge("f", help: "", labelNames: ["k"])
        for key in ["b", "a", "c", "ab", "B"] { try family.labels(key).set(1) }
        #expect(
            String(decoding: registry.exposition(), as: UTF8.self)
                == "# TYPE f gauge\nf{k=\"B\"} 1\nf{k=\"a\"} 1\nf{k=\"ab\"} 1\nf{k=\"b\"} 1\nf{k=\"c\"} 1\n")
        #expect(family.remove("ab"))
        #expect(!family.remove("ab"))
        #expect(!family.remove("a", "b"))
        try family.labels("0").set(2)
        #expect(
            String(decoding: registry.exposition(), as: UTF8.self)
                == "# TYPE f gauge\nf{k=\"0\"} 2\nf{k=\"B\"} 1\nf{k=\"a\"} 1\nf{k=\"b\"} 1\nf{k=\"c\"} 1\n")
        family.removeAll()
        #expect(String(decoding: registry.exposition(), as: UTF8.self) == "# TYPE f gauge\n")
        // A fresh series, not the removed one.
        #expect(try family.labels("a").value == 0)
    }

    @Test("concurrent get-or-create: one series per label set, no increment lost")
    func concurrentFamilies() async throws {
        let family = try registry.counter("conc", help: "", labelNames: ["worker", "slot"])
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for round in 0..<2000 {
                        try? family.labels("w\(round % 10)", "\(round % 7)").increment()
                        if round % 100 == 0 { _ = worker; await Task.yield() }
                    }
                }
            }
        }
        let metrics = try #require(registry.collect().first?.metrics)
        #expect(metrics.count == 70)
        var total = 0.0
        for metric in metrics { if case .counter(let c) = metric.value { total += c.value } }
        #expect(total == 16000)
        let held = try family.labels("w1", "1")
        #expect(held === (try family.labels("w1", "1")))
    }

    @Test("many series with colliding and similar values stay distinct")
    func hashTable() throws {
        let family = try registry.counter("many", help: "", labelNames: ["a", "b"])
        for index in 0..<5000 { try family.labels("\(index)", "x").increment(by: index) }
        // Split differently, same bytes: different series.
        try family.labels("ab", "c").increment()
        try family.labels("a", "bc").increment(by: 2)
        for index in stride(from: 0, to: 5000, by: 499) {
            #expect(try family.labels("\(index)", "x").value == Double(index))
        }
        #expect(try family.labels("ab", "c").value == 1)
        #expect(try family.labels("a", "bc").value == 2)
        #expect(registry.collect().first?.metrics.count == 5002)
    }
}
