import Abacus
import AbacusExposition
import AbacusMetrics
import Metrics
import Testing

@Suite("name sanitisation")
struct NamingTests {
    @Test(
        "metric names",
        arguments: [
            ("http_requests", "http_requests"),  // valid names are kept
            ("ns:sub_system", "ns:sub_system"),  // colons are allowed in metric names
            ("http.server/requests", "http_server_requests"),  // [^a-zA-Z0-9_:] → _
            ("a..b", "a__b"),  // runs are not collapsed
            ("größe", "gr__e"),  // one _ per Unicode scalar
            ("e\u{301}", "e_"),  // a combining accent is a scalar of its own
            ("💥", "_"),
            ("5xx", "_5xx"),  // a leading digit gets a _ prefix
            ("0", "_0"),
            (".5", "_5"),  // a leading non-digit that becomes _ needs no prefix
            ("", "_"),  // empty → _
            ("__internal", "__internal"),  // leading underscores are fine in metric names
            ("a b\"c\n", "a_b_c_"),
        ])
    func metricNames(label: String, expected: String) {
        let name = AbacusMetricsFactory.sanitizedMetricName(label)
        #expect(name == expected)
        #expect(NameRules.isValidMetricName(name))
    }

    @Test(
        "label names",
        arguments: [
            ("method", "method"),
            ("http.method", "http_method"),  // [^a-zA-Z0-9_] → _
            ("a:b", "a_b"),  // label names cannot hold a colon
            ("größe", "gr__e"),
            ("2fa", "_2fa"),  // a leading digit gets a _ prefix
            ("", "_"),  // empty → _
            ("__name__", "_name__"),  // a leading run of _ is cut to one (__ is reserved)
            ("___x", "_x"),
            ("__", "_"),
            ("..", "_"),  // becomes __, then _
            ("_ok", "_ok"),
            ("le", "_le"),  // reserved by histograms
            ("quantile", "_quantile"),  // reserved by summaries
            ("__le", "_le"),
            ("le_", "le_"),
            ("Le", "Le"),
        ])
    func labelNames(dimension: String, expected: String) {
        let name = AbacusMetricsFactory.sanitizedLabelName(dimension)
        #expect(name == expected)
        #expect(NameRules.isValidLabelName(name) && !NameRules.isReservedLabelName(name))
    }

    @Test("counters get _total and timers _seconds, unless the name ends with it; other types get no suffix")
    func suffixes() {
        let (registry, factory) = makeFactory(.init(timers: .summary(.init()), recorders: .summary(.init())))
        withMetricsFactory(factory) {
            Counter(label: "jobs").increment()
            Counter(label: "jobs.done_total").increment()
            FloatingPointCounter(label: "5xx.errors").increment(by: 1)
            Counter(label: "a.total").increment()  // `.total` becomes `_total`: no second suffix
            Timer(label: "rpc").recordNanoseconds(1_000_000_000)
            Timer(label: "rpc.latency_seconds").recordNanoseconds(1_000_000_000)
            Timer(label: "rpc.latency.ms").recordNanoseconds(1_000_000_000)
            Timer(label: "seconds").recordNanoseconds(1_000_000_000)
            Recorder(label: "size_seconds_total").record(1)
            Meter(label: "open_total").set(1)
            Gauge(label: "").record(1)
        }
        #expect(
            text(registry) == """
                # TYPE _ gauge
                _ 1
                # TYPE _5xx_errors_total counter
                _5xx_errors_total 1
                # TYPE a_total counter
                a_total 1
                # TYPE jobs_done_total counter
                jobs_done_total 1
                # TYPE jobs_total counter
                jobs_total 1
                # TYPE open_total gauge
                open_total 1
                # TYPE rpc_latency_ms_seconds summary
                rpc_latency_ms_seconds_sum 1
                rpc_latency_ms_seconds_count 1
                # TYPE rpc_latency_seconds summary
                rpc_latency_seconds_sum 1
                rpc_latency_seconds_count 1
                # TYPE rpc_seconds summary
                rpc_seconds_sum 1
                rpc_seconds_count 1
                # TYPE seconds_seconds summary
                seconds_seconds_sum 1
                seconds_seconds_count 1
                # TYPE size_seconds_total summary
                size_seconds_total_sum 1
                size_seconds_total_count 1

                """)
        #expect(factory.rejections.isEmpty)
    }

    @Test("labels that sanitise to one name share the family")
    func collidingLabelsShareFamily() {
        let (registry, factory) = makeFactory()
        withMetricsFactory(factory) {
            Counter(label: "a.b").increment()
            Counter(label: "a/b").increment(by: 2)
            Counter(label: "a_b_total").increment(by: 4)
        }
        #expect(text(registry) == "# TYPE a_b_total counter\na_b_total 7\n")
    }
}
