// This file imports swift-metrics' `Metrics` and `CoreMetrics` together with every Abacus module
// a backend user imports, and names `Counter`, `FloatingPointCounter`, `Meter`, `Gauge`,
// `Recorder` and `Timer` unqualified: it compiling proves the combination is unambiguous.
import Abacus
import AbacusExposition
import AbacusMetrics
import CoreMetrics
import Metrics
import Testing

/// A registry without process metrics and a factory over it.
func makeFactory(_ configuration: AbacusMetricsFactory.Configuration = .init()) -> (Registry, AbacusMetricsFactory) {
    let registry = Registry(processMetrics: false)
    return (registry, AbacusMetricsFactory(registry: registry, configuration: configuration))
}

/// The registry's text exposition as a string.
func text(_ registry: Registry) -> String { String(decoding: registry.exposition(format: .text), as: UTF8.self) }

/// swift-metrics → Prometheus, through the real swift-metrics API with the factory bound to the
/// task (`withMetricsFactory`), checked on the exact exposition bytes.
@Suite("swift-metrics mapping")
struct MappingTests {
    @Test("every metric type, with exact exposition")
    func everyType() {
        let (registry, factory) = makeFactory(
            .init(
                timers: .histogram([0.1, 1]), recorders: .histogram([10, 100]), help: ["http.requests": "Requests."]))
        withMetricsFactory(factory) {
            let requests = Counter(label: "http.requests", dimensions: [("method", "GET"), ("code", "200")])
            requests.increment(by: 3)
            requests.increment()
            let sent = FloatingPointCounter(label: "bytes.sent")
            sent.increment(by: 1.5)
            sent.increment(by: 2.25)
            let depth = Meter(label: "queue.depth")
            depth.set(10)
            depth.increment(by: 2.5)
            depth.decrement(by: 0.5)
            let temperature = Gauge(label: "room.temperature", dimensions: [("room", "lab")])
            temperature.record(21.5)
            temperature.record(19)
            let sizes = Recorder(label: "payload.size")
            sizes.record(5)
            sizes.record(50.5)
            sizes.record(500)
            let latency = Timer(label: "request.latency")
            latency.recordNanoseconds(62_500_000)
            latency.recordMilliseconds(500)
            latency.recordSeconds(2)
        }
        #expect(
            text(registry) == """
                # TYPE bytes_sent_total counter
                bytes_sent_total 3.75
                # HELP http_requests_total Requests.
                # TYPE http_requests_total counter
                http_requests_total{code="200",method="GET"} 4
                # TYPE payload_size histogram
                payload_size_bucket{le="10"} 1
                payload_size_bucket{le="100"} 2
                payload_size_bucket{le="+Inf"} 3
                payload_size_sum 555.5
                payload_size_count 3
                # TYPE queue_depth gauge
                queue_depth 12
                # TYPE request_latency_seconds histogram
                request_latency_seconds_bucket{le="0.1"} 1
                request_latency_seconds_bucket{le="1"} 2
                request_latency_seconds_bucket{le="+Inf"} 3
                request_latency_seconds_sum 2.5625
                request_latency_seconds_count 3
                # TYPE room_temperature gauge
                room_temperature{room="lab"} 19

                """)
        #expect(factory.rejections.isEmpty)
    }

    @Test("defaults: timers and recorders are histograms with the default buckets, timers in seconds")
    func defaults() {
        let (registry, factory) = makeFactory()
        withMetricsFactory(factory) {
            Timer(label: "job").recordNanoseconds(30_000_000)
            Recorder(label: "load").record(7)
        }
        let bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
        let job = bounds.enumerated().map { #"job_seconds_bucket{le="\#($1)"} \#($0 >= 3 ? 1 : 0)"# }
        let load = bounds.enumerated().map { #"load_bucket{le="\#($1)"} \#($0 >= 10 ? 1 : 0)"# }
        let expected =
            ["# TYPE job_seconds histogram"] + job + ["job_seconds_sum 0.03", "job_seconds_count 1"]
            + ["# TYPE load histogram"] + load + ["load_sum 7", "load_count 1"]
        #expect(text(registry) == expected.joined(separator: "\n") + "\n")
    }

    @Test("summaries instead of histograms: defaults and per-label overrides, timers and recorders apart")
    func summaries() {
        let configuration = AbacusMetricsFactory.Configuration(
            timers: .summary(SummaryObjectives()),
            timerOverrides: ["db.query": .histogram([0.5]), "slow": .summary(.common)],
            recorderOverrides: ["batch.size": .summary(SummaryObjectives())])
        let (registry, factory) = makeFactory(configuration)
        withMetricsFactory(factory) {
            let rpc = Timer(label: "rpc.call", dimensions: [("service", "auth")])
            rpc.recordNanoseconds(250_000_000)
            rpc.recordNanoseconds(500_000_000)
            Timer(label: "db.query").recordNanoseconds(125_000_000)
            Timer(label: "slow").recordSeconds(0.25)
            let batch = Recorder(label: "batch.size")
            batch.record(3)
            batch.record(4.5)
            Recorder(label: "fill").record(0.5)
        }
        #expect(
            text(registry) == """
                # TYPE batch_size summary
                batch_size_sum 7.5
                batch_size_count 2
                # TYPE db_query_seconds histogram
                db_query_seconds_bucket{le="0.5"} 1
                db_query_seconds_bucket{le="+Inf"} 1
                db_query_seconds_sum 0.125
                db_query_seconds_count 1
                # TYPE fill histogram
                fill_bucket{le="0.005"} 0
                fill_bucket{le="0.01"} 0
                fill_bucket{le="0.025"} 0
                fill_bucket{le="0.05"} 0
                fill_bucket{le="0.1"} 0
                fill_bucket{le="0.25"} 0
                fill_bucket{le="0.5"} 1
                fill_bucket{le="1"} 1
                fill_bucket{le="2.5"} 1
                fill_bucket{le="5"} 1
                fill_bucket{le="10"} 1
                fill_bucket{le="+Inf"} 1
                fill_sum 0.5
                fill_count 1
                # TYPE rpc_call_seconds summary
                rpc_call_seconds_sum{service="auth"} 0.75
                rpc_call_seconds_count{service="auth"} 2
                # TYPE slow_seconds summary
                slow_seconds{quantile="0.5"} 0.25
                slow_seconds{quantile="0.9"} 0.25
                slow_seconds{quantile="0.99"} 0.25
                slow_seconds_sum 0.25
                slow_seconds_count 1

                """)
    }

    @Test("Counter and FloatingPointCounter of one label share one series; so do Meter and Gauge")
    func sharedSeries() {
        let (registry, factory) = makeFactory()
        withMetricsFactory(factory) {
            Counter(label: "events", dimensions: [("kind", "a")]).increment(by: 2)
            FloatingPointCounter(label: "events", dimensions: [("kind", "a")]).increment(by: 0.5)
            Counter(label: "events_total", dimensions: [("kind", "a")]).increment()
            Meter(label: "level").set(4)
            Gauge(label: "level").record(5)
            Meter(label: "level").increment(by: 1)
        }
        #expect(
            text(registry) == """
                # TYPE events_total counter
                events_total{kind="a"} 3.5
                # TYPE level gauge
                level 6

                """)
    }

    @Test("a handler holds its series: values keep arriving without making the metric again")
    func handlerHoldsSeries() {
        let (registry, factory) = makeFactory()
        let counter = withMetricsFactory(factory) { Counter(label: "hits", dimensions: [("path", "/")]) }
        for _ in 0..<1000 { counter.increment() }
        #expect(text(registry) == "# TYPE hits_total counter\nhits_total{path=\"/\"} 1000\n")
    }

    @Test("the factory: parameter of the metric initialisers works too; the default registry is the shared one")
    func explicitFactory() {
        let (registry, factory) = makeFactory()
        Counter(label: "direct", factory: factory).increment(by: 7)
        Timer(label: "direct.timer", factory: factory).recordNanoseconds(1_000_000_000)
        #expect(text(registry).hasPrefix("# TYPE direct_timer_seconds histogram\n"))
        #expect(text(registry).contains("\ndirect_timer_seconds_sum 1\ndirect_timer_seconds_count 1\n"))
        #expect(text(registry).contains("# TYPE direct_total counter\ndirect_total 7\n"))
        #expect(AbacusMetricsFactory().registry === Registry.shared)
    }

    @Test("metrics made and updated from many tasks at once add up exactly")
    func concurrentUse() async {
        let (registry, factory) = makeFactory()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<500 {
                        Counter(label: "c", dimensions: [("t", "\(task % 2)")], factory: factory).increment()
                        Timer(label: "t", factory: factory).recordNanoseconds(1_000_000_000)
                    }
                }
            }
        }
        let exposition = text(registry)
        #expect(exposition.hasPrefix("# TYPE c_total counter\nc_total{t=\"0\"} 2000\nc_total{t=\"1\"} 2000\n"))
        #expect(exposition.hasSuffix("t_seconds_sum 4000\nt_seconds_count 4000\n"))
    }
}
