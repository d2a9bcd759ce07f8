import Abacus
import AbacusExposition
import AbacusMetrics
import Metrics
import Testing

@Suite("nothing traps")
struct RobustnessTests {
    @Test("a name taken by another type gets a working, unexported handler, and the error is kept")
    func typeClashes() throws {
        let registry = Registry(processMetrics: false)
        try registry.gauge("preexisting", help: "Registered by the application.").set(1)
        let factory = AbacusMetricsFactory(
            registry: registry,
            configuration: .init(
                timers: .histogram([1]),
                recorderOverrides: ["t_seconds": .summary(.init()), "bad": .histogram([2, 1])]
            ))
        withMetricsFactory(factory) {
            Counter(label: "clash").increment()
            Timer(label: "t").recordNanoseconds(500_000_000)
            // Refused, each with every call made on it.
            let gauge = Gauge(label: "clash_total")
            let meter = Meter(label: "clash")
            let recorder = Recorder(label: "t_seconds")
            let mine = Meter(label: "preexisting", dimensions: [("a", "b")])
            let bad = Recorder(label: "bad")
            for _ in 0..<3 {
                gauge.record(5)
                meter.set(5)
                meter.set(5.5)
                meter.increment(by: 1)
                meter.decrement(by: 1)
                recorder.record(5)
                recorder.record(5.5)
                mine.set(9)
                bad.record(1)
            }
            for destroy in [gauge.destroy, recorder.destroy, bad.destroy] { destroy() }
            meter.destroy()
            mine.destroy()
            // Asked again: the same refusals, kept once each.
            Gauge(label: "clash_total").record(1)
            Meter(label: "clash").set(1)
        }
        #expect(
            text(registry) == """
                # TYPE clash_total counter
                clash_total 1
                # HELP preexisting Registered by the application.
                # TYPE preexisting gauge
                preexisting 1
                # TYPE t_seconds histogram
                t_seconds_bucket{le="1"} 1
                t_seconds_bucket{le="+Inf"} 1
                t_seconds_sum 0.5
                t_seconds_count 1

                """)
        let rejections = factory.rejections
        #expect(
            Array(rejections.prefix(4)) == [
                RegistrationError(name: "clash_total", reason: .conflict(with: "clash_total")),
                RegistrationError(name: "clash", reason: .conflict(with: "clash_total")),
                RegistrationError(name: "t_seconds", reason: .conflict(with: "t_seconds")),
                RegistrationError(name: "preexisting", reason: .conflict(with: "preexisting")),
            ])
        #expect(rejections.count == 5)
        let last = try #require(rejections.last)
        #expect(last.name == "bad")
        guard case .invalidBuckets = last.reason else {
            Issue.record("expected invalid buckets, got \(last)")
            return
        }
    }

    @Test("every refused handler accepts every handler call")
    func unexportedHandlerCalls() {
        let (registry, factory) = makeFactory()
        withMetricsFactory(factory) {
            Counter(label: "x").increment()
            Meter(label: "x_seconds").set(1)
        }
        // x_seconds_total also claims x_seconds, the gauge's name.
        let counter = factory.makeCounter(label: "x_seconds", dimensions: [])
        let floating = factory.makeFloatingPointCounter(label: "x_seconds", dimensions: [("a", "b")])
        let meter = factory.makeMeter(label: "x_total", dimensions: [])
        let recorder = factory.makeRecorder(label: "x_total", dimensions: [], aggregate: true)
        let timer = factory.makeTimer(label: "x", dimensions: [])
        let gauge = factory.makeRecorder(label: "x_total", dimensions: [], aggregate: false)
        counter.increment(by: 1)
        counter.reset()
        floating.increment(by: 0.5)
        floating.reset()
        meter.set(Int64(1))
        meter.set(1.5)
        meter.increment(by: 1)
        meter.decrement(by: 1)
        recorder.record(Int64(1))
        recorder.record(1.5)
        timer.recordNanoseconds(1)
        timer.preferDisplayUnit(.milliseconds)
        gauge.record(Int64(1))
        gauge.record(2.5)
        factory.destroyCounter(counter)
        factory.destroyFloatingPointCounter(floating)
        factory.destroyMeter(meter)
        factory.destroyRecorder(recorder)
        factory.destroyTimer(timer)
        factory.destroyRecorder(gauge)
        #expect(
            text(registry) == """
                # TYPE x_seconds gauge
                x_seconds 1
                # TYPE x_total counter
                x_total 1

                """)
        #expect(
            factory.rejections == [
                RegistrationError(name: "x_seconds_total", reason: .conflict(with: "x_seconds")),
                RegistrationError(name: "x_total", reason: .conflict(with: "x_total")),
                RegistrationError(name: "x_seconds", reason: .conflict(with: "x_seconds")),
            ])
    }

    @Test("hostile names: every metric is exported under a valid name, and the exposition parses")
    func hostileNames() throws {
        let (registry, factory) = makeFactory(.init(timers: .histogram([1]), recorders: .histogram([1])))
        let names = [
            "", " ", "💥", "\u{0}", "0", "__", "le", "quantile", "a\"b\\c\nd", "_total",
            String(repeating: "ä", count: 10_000),
        ]
        withMetricsFactory(factory) {
            let dimensions = names.map { ($0, "\($0)\"\\\n\u{0}") }
            for (index, name) in names.enumerated() {
                Counter(label: name + "\(index)", dimensions: dimensions).increment()
                FloatingPointCounter(label: name + "\(index)f", dimensions: dimensions).increment(by: 0.5)
                Meter(label: name + "\(index)m", dimensions: dimensions).set(1)
                Recorder(label: name + "\(index)r", dimensions: dimensions).record(1)
                Timer(label: name + "\(index)t", dimensions: dimensions).recordNanoseconds(1)
            }
        }
        #expect(factory.rejections.isEmpty)
        let exposition = registry.exposition(format: .text)
        let families = try Exposition.parse(exposition, format: .text)
        #expect(families.count == names.count * 5)
        for family in families {
            #expect(NameRules.isValidMetricName(family.name))
            #expect(family.metrics.count == 1)
            let labelNames = family.metrics.first?.labels.map(\.name).filter { $0 != "le" }
            #expect(labelNames == ["_", "_0", "_le", "_quantile", "_total", "a_b_c_d"])
        }
        _ = registry.exposition(format: .openMetrics)
        _ = registry.exposition(format: .protobuf)
    }

    @Test("hostile values: negative, NaN, infinite and huge values, with exact results")
    func hostileValues() {
        let (registry, factory) = makeFactory(.init(timers: .histogram([1]), recorders: .histogram([1])))
        withMetricsFactory(factory) {
            let counter = Counter(label: "c")
            counter.increment(by: 3)
            counter.reset()  // back to zero
            counter.increment(by: -5)
            counter.increment(by: Int64.max)
            counter.increment(by: Int64.min)
            let floating = FloatingPointCounter(label: "f")
            floating.increment(by: 2.5)
            floating.reset()
            for value: Double in [-1, .nan, .infinity, -.infinity, .greatestFiniteMagnitude, 0.5] {
                floating.increment(by: value)
            }
            let meter = Meter(label: "m")
            meter.set(Int64.min)
            meter.increment(by: Double.nan)
            Meter(label: "m2").set(Double.infinity)
            Gauge(label: "m3").record(Int64.min)
            let recorder = Recorder(label: "r")
            for value: Double in [.nan, .infinity, -.infinity, -1, .greatestFiniteMagnitude] { recorder.record(value) }
            recorder.record(Int64.min)
            let timer = Timer(label: "t")
            timer.recordNanoseconds(Int64.max)
            timer.recordNanoseconds(Int64.min)
            timer.recordNanoseconds(-1)
            timer.recordSeconds(Int.max)
            timer.recordSeconds(Double.greatestFiniteMagnitude)
        }
        #expect(
            text(registry) == """
                # TYPE c_total counter
                c_total 9.223372036854776e+18
                # TYPE f_total counter
                f_total 1.7976931348623157e+308
                # TYPE m gauge
                m NaN
                # TYPE m2 gauge
                m2 +Inf
                # TYPE m3 gauge
                m3 -9.223372036854776e+18
                # TYPE r histogram
                r_bucket{le="1"} 3
                r_bucket{le="+Inf"} 5
                r_sum NaN
                r_count 5
                # TYPE t_seconds histogram
                t_seconds_bucket{le="1"} 2
                t_seconds_bucket{le="+Inf"} 5
                t_seconds_sum 1.8446744073709553e+10
                t_seconds_count 5

                """)
    }
}
