import Abacus
import AbacusExposition
import Testing

@Suite struct RegistrySmoke {
    @Test func prints() throws {
        let registry = Registry(processMetrics: false)
        let c = try registry.counter("jobs", help: "Jobs.")
        c.increment(by: 3)
        let f = try registry.counter("http_requests_total", help: "Requests.", labelNames: ["method", "code"])
        try f.labels("GET", "200").increment()
        try f.labels("POST", "500").increment(by: 2.5)
        try f.labels("DELETE", "200").increment()
        let h = try registry.histogram("latency_seconds", help: "Latency.", buckets: [0.1, 1])
        h.observe(0.05)
        h.observe(3)
        let s = try registry.summary("size_bytes", help: "Size.", objectives: .common)
        for i in 0..<1000 { s.observe(Double(i)) }
        let text = String(decoding: registry.exposition(), as: UTF8.self)
        print(text)
        let viaModel = String(decoding: TextEncoder.encode(registry.collect()), as: UTF8.self)
        #expect(text == viaModel)
        print(
            String(decoding: registry.exposition(format: .openMetrics, extraLabels: [Label("job", "x")]), as: UTF8.self)
        )
    }
}
