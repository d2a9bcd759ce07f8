import Abacus
import AbacusMetrics
import Metrics
import Testing

@Suite("dimensions and destroy")
struct DimensionsAndDestroyTests {
    @Test("the first metric fixes the label names (sorted); missing ones get \"\", extra ones are dropped")
    func firstRegistrationFixesLabelNames() {
        let (registry, factory) = makeFactory()
        withMetricsFactory(factory) {
            Counter(label: "events", dimensions: [("zone", "eu"), ("kind", "a")]).increment()
            Counter(label: "events", dimensions: [("kind", "b")]).increment(by: 2)
            Counter(label: "events", dimensions: [("extra", "x"), ("zone", "us"), ("kind", "c")]).increment(by: 3)
            Counter(label: "events").increment(by: 4)
            // Two dimensions with one label name: the first value is kept.
            Counter(label: "events", dimensions: [("kind", "d"), ("kind", "ignored")]).increment(by: 5)
            Counter(label: "dup", dimensions: [("a.b", "1"), ("a:b", "2"), ("a_b", "3")]).increment(by: 6)
            // The same dimensions in another order are the same series.
            Counter(label: "events", dimensions: [("kind", "a"), ("zone", "eu")]).increment(by: 10)
        }
        #expect(
            text(registry) == """
                # TYPE dup_total counter
                dup_total{a_b="1"} 6
                # TYPE events_total counter
                events_total{kind="",zone=""} 4
                events_total{kind="a",zone="eu"} 11
                events_total{kind="b",zone=""} 2
                events_total{kind="c",zone="us"} 3
                events_total{kind="d",zone=""} 5

                """)
        #expect(factory.rejections.isEmpty)
    }

    @Test("a metric first made without dimensions keeps none: later dimensions are dropped")
    func noDimensionsFirst() {
        let (registry, factory) = makeFactory()
        withMetricsFactory(factory) {
            Meter(label: "workers").set(2)
            Meter(label: "workers", dimensions: [("pool", "io")]).increment(by: 3)
            Timer(label: "step").recordNanoseconds(1_000_000_000)
            Timer(label: "step", dimensions: [("phase", "x")]).recordNanoseconds(2_000_000_000)
        }
        let exposition = text(registry)
        #expect(exposition.contains("# TYPE workers gauge\nworkers 5\n"))
        #expect(exposition.contains("\nstep_seconds_sum 3\nstep_seconds_count 2\n"))
        #expect(!exposition.contains("pool") && !exposition.contains("phase"))
    }

    @Test("label names are sanitised: http.method, 2fa, __name__, le, quantile, a:b, empty")
    func labelNamesSanitised() {
        let (registry, factory) = makeFactory(.init(timers: .histogram([1])))
        withMetricsFactory(factory) {
            let dimensions = [
                ("http.method", "GET"), ("2fa", "on"), ("__name__", "n"), ("le", "l"), ("quantile", "q"),
                ("a:b", "ab"), ("", "empty"),
            ]
            Timer(label: "op", dimensions: dimensions).recordNanoseconds(500_000_000)
        }
        let labels = #"_="empty",_2fa="on",_le="l",_name__="n",_quantile="q",a_b="ab",http_method="GET""#
        #expect(
            text(registry) == """
                # TYPE op_seconds histogram
                op_seconds_bucket{\(labels),le="1"} 1
                op_seconds_bucket{\(labels),le="+Inf"} 1
                op_seconds_sum{\(labels)} 0.5
                op_seconds_count{\(labels)} 1

                """)
    }

    @Test("destroy removes the series of every metric type; the family stays")
    func destroyRemovesSeries() {
        let (registry, factory) = makeFactory(
            .init(timers: .histogram([1]), recorderOverrides: ["s": .summary(.init())]))
        let (keep, gone, fraction, meter, gauge, histogram, summary, timer) = withMetricsFactory(factory) {
            (
                Counter(label: "c", dimensions: [("k", "keep")]), Counter(label: "c", dimensions: [("k", "gone")]),
                FloatingPointCounter(label: "f"), Meter(label: "m"), Gauge(label: "g", dimensions: [("a", "1")]),
                Recorder(label: "h", dimensions: [("a", "1")]), Recorder(label: "s"),
                Timer(label: "t", dimensions: [("a", "1"), ("b", "2")])
            )
        }
        keep.increment()
        gone.increment()
        fraction.increment(by: 0.5)
        meter.set(1)
        gauge.record(1)
        histogram.record(1)
        summary.record(1)
        timer.recordNanoseconds(1)
        for metric in [gone.destroy, fraction.destroy, meter.destroy, gauge.destroy] { metric() }
        for metric in [histogram.destroy, summary.destroy, timer.destroy] { metric() }
        // A destroyed handler keeps working, unseen.
        gone.increment()
        timer.recordNanoseconds(1)
        #expect(
            text(registry) == """
                # TYPE c_total counter
                c_total{k="keep"} 1
                # TYPE f_total counter
                # TYPE g gauge
                # TYPE h histogram
                # TYPE m gauge
                # TYPE s summary
                # TYPE t_seconds histogram

                """)
        // Made again, the series starts afresh.
        withMetricsFactory(factory) {
            Counter(label: "c", dimensions: [("k", "gone")]).increment(by: 5)
            Timer(label: "t", dimensions: [("a", "1"), ("b", "2")]).recordNanoseconds(2_000_000_000)
        }
        let exposition = text(registry)
        #expect(exposition.contains("c_total{k=\"gone\"} 5\nc_total{k=\"keep\"} 1\n"))
        #expect(exposition.contains("t_seconds_sum{a=\"1\",b=\"2\"} 2\nt_seconds_count{a=\"1\",b=\"2\"} 1\n"))
    }

    @Test("destroy works for label sets of any size")
    func destroyManyLabels() {
        let (registry, factory) = makeFactory()
        let (ten, eleven) = withMetricsFactory(factory) {
            (
                Counter(label: "ten", dimensions: (0..<10).map { ("l\($0)", "v") }),
                Counter(label: "eleven", dimensions: (0..<11).map { ("l\($0)", "v") })
            )
        }
        ten.increment()
        eleven.increment()
        ten.destroy()
        eleven.destroy()
        let exposition = text(registry)
        #expect(exposition.contains("# TYPE ten_total counter\n") && !exposition.contains("ten_total{"))
        #expect(exposition.contains("# TYPE eleven_total counter\n") && !exposition.contains("eleven_total{"))
    }

    @Test("destroying a handler of another backend is ignored")
    func destroyForeignHandler() {
        let (registry, factory) = makeFactory()
        withMetricsFactory(factory) { Counter(label: "kept").increment() }
        factory.destroyCounter(NOOPMetricsHandler.instance)
        factory.destroyTimer(NOOPMetricsHandler.instance)
        factory.destroyRecorder(NOOPMetricsHandler.instance)
        factory.destroyMeter(NOOPMetricsHandler.instance)
        factory.destroyFloatingPointCounter(NOOPMetricsHandler.instance)
        #expect(text(registry) == "# TYPE kept_total counter\nkept_total 1\n")
    }
}
