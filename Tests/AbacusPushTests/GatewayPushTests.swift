import Abacus
import AbacusExposition
import AbacusPush
import AbacusTesting
import AsyncHTTPClient
import Testing

@Suite("PushgatewayClient against abacus gateway (in process)")
struct GatewayPushTests {
    @Test(arguments: PushScenario.allCases)
    func scenario(_ scenario: PushScenario) async throws {
        try await InProcessGateway.with { baseURL, _ in
            try await scenario.run(baseURL)
        }
    }

    @Test("the gateway's reasons arrive in the error: a conflicting type and a timestamped sample")
    func refusalText() async throws {
        try await InProcessGateway.with { baseURL, _ in
            try await PushgatewayClient.withClient(url: baseURL) { client in
                let registry = Registry(processMetrics: false)
                try registry.gauge("abacus_pushes_total", help: "Not ours.").set(1)
                let conflict = await failure(PushError.self, "a gauge named like the gateway's own counter") {
                    try await client.push(registry, to: try GroupingKey(job: "refused"))
                }
                #expect(conflict?.status == 400)
                #expect(conflict?.body.contains("abacus_pushes_total") == true, "\(conflict?.body ?? "")")
                let stamped = MetricFamily(
                    name: "stamped", type: .gauge, metrics: [Metric(value: .gauge(1), timestampMs: 1_700_000_000_000)])
                let timestamped = await failure(PushError.self, "a sample with a timestamp") {
                    try await client.push(families: [stamped], to: try GroupingKey(job: "refused"))
                }
                #expect(timestamped?.status == 400)
                #expect(timestamped?.body.lowercased().contains("timestamp") == true, "\(timestamped?.body ?? "")")
            }
        }
    }

    @Test("a shared HTTPClient is used and never shut down by the push client")
    func sharedClient() async throws {
        try await InProcessGateway.with { baseURL, _ in
            try await HTTPClient.withHTTPClient { http in
                let registry = Registry(processMetrics: false)
                let gauge = try registry.gauge("shared_gauge", help: "A gauge.")
                gauge.set(1)
                let first = PushgatewayClient(url: baseURL, httpClient: http)
                try await first.push(registry, to: try GroupingKey(job: "shared"))
                try await first.shutdown()  // does nothing to a client passed in
                gauge.set(2)
                let second = PushgatewayClient(url: baseURL, httpClient: http)
                try await second.push(registry, to: try GroupingKey(job: "shared"))
                let scrape = try await Scraped.fetch(baseURL)
                #expect(scrape.value("shared_gauge", ["job": "shared", "instance": ""]) == 2)
            }
        }
    }

    @Test("a client that was shut down fails with a transport error instead of trapping")
    func afterShutdown() async throws {
        let client = PushgatewayClient(url: "http://127.0.0.1:9")
        try await client.shutdown()
        try await client.shutdown()  // twice is fine
        let error = await failure(PushError.self, "a request after shutdown") {
            try await client.delete(try GroupingKey(job: "x"))
        }
        #expect(error?.code == .transport)
    }
}
