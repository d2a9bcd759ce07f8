import AbacusTesting
import Foundation
import Testing

/// A real Prometheus 2.42 scraping the built `abacus gateway` every second with
/// `honor_labels: true`, as the Pushgateway's documentation configures it; the pushed values
/// are read back through Prometheus' query API.
@Suite("Interop: Prometheus scrapes abacus gateway")
struct PrometheusScrapeTests {
    static let batch = """
        # HELP prom_batch_processed_total Records processed.
        # TYPE prom_batch_processed_total counter
        prom_batch_processed_total{kind="mail"} 42
        # TYPE prom_batch_last_success_seconds gauge
        prom_batch_last_success_seconds 1.7e+09
        # TYPE prom_batch_duration_seconds histogram
        prom_batch_duration_seconds_bucket{le="1"} 2
        prom_batch_duration_seconds_bucket{le="+Inf"} 3
        prom_batch_duration_seconds_sum 4.5
        prom_batch_duration_seconds_count 3
        # TYPE prom_batch_size_bytes summary
        prom_batch_size_bytes{quantile="0.5"} 100
        prom_batch_size_bytes_sum 450
        prom_batch_size_bytes_count 4
        prom_batch_untyped 7
        # TYPE prom_plain_count counter
        prom_plain_count 9
        # TYPE prom_mem_alloc_bytes gauge
        prom_mem_alloc_bytes 1024
        # TYPE prom_mem_alloc_bytes_total counter
        prom_mem_alloc_bytes_total 4096

        """
    static let cron = "# TYPE prom_cron_runs_total counter\nprom_cron_runs_total 5\n"

    @Test("pushed values and the pushed job/instance labels (honor_labels) read back with /api/v1/query")
    func honorLabels() async throws {
        guard let prometheus = Peers.require(.prometheus) else { return }
        try await Interop.withGateway { gateway in
            let batchPush = try await HTTP.request(
                "PUT", gateway.baseURL + "/metrics/job/batch/instance/node-7", body: Array(Self.batch.utf8))
            #expect(batchPush.status == 200, "\(batchPush.text)")
            // `path` holds `/` (base64 in the URL); no instance: the gateway adds instance="".
            let cronPush = try await HTTP.request(
                "PUT", gateway.baseURL + "/metrics/job/cron/path@base64/L3Zhci90bXA", body: Array(Self.cron.utf8))
            #expect(cronPush.status == 200, "\(cronPush.text)")

            let config = """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: gateway
                    honor_labels: true
                    static_configs:
                      - targets: ['127.0.0.1:\(gateway.port)']

                """
            let arguments = [
                "--config.file=$DIR/prometheus.yml", "--storage.tsdb.path=$DIR/data",
                "--web.listen-address=127.0.0.1:$PORT",
            ]
            try await withServer(
                prometheus, name: "prometheus", arguments: arguments, files: ["prometheus.yml": config],
                readyPath: "/-/ready"
            ) { server in
                let up = try await PrometheusQueryAnswer.poll(server.baseURL, #"up{job="gateway"}"#)
                try #require(up.first?.number == 1, "the gateway was not scraped: \(up)\n\(server.log)")

                func one(_ query: String) async throws -> PrometheusQueryAnswer.Series? {
                    let series = try await PrometheusQueryAnswer.poll(server.baseURL, query)
                    #expect(series.count == 1, "\(query): \(series)")
                    return series.first
                }
                let node7 = ["instance": "node-7", "job": "batch"]
                func labels(_ name: String, _ extra: [String: String] = [:]) -> [String: String] {
                    node7.merging(extra) { $1 }.merging(["__name__": name]) { $1 }
                }

                // The pushed job and instance, not the scrape target's (honor_labels).
                let processed = try await one("prom_batch_processed_total")
                #expect(processed?.metric == labels("prom_batch_processed_total", ["kind": "mail"]))
                #expect(processed?.number == 42)
                let lastSuccess = try await one("prom_batch_last_success_seconds")
                #expect(lastSuccess?.metric == labels("prom_batch_last_success_seconds"))
                #expect(lastSuccess?.number == 1.7e9)
                let bucket = try await one(#"prom_batch_duration_seconds_bucket{le="1"}"#)
                #expect(bucket?.metric == labels("prom_batch_duration_seconds_bucket", ["le": "1"]))
                #expect(bucket?.number == 2)
                #expect(try await one(#"prom_batch_duration_seconds_bucket{le="+Inf"}"#)?.number == 3)
                #expect(try await one("prom_batch_duration_seconds_sum")?.number == 4.5)
                #expect(try await one("prom_batch_duration_seconds_count")?.number == 3)
                let quantile = try await one("prom_batch_size_bytes")
                #expect(quantile?.metric == labels("prom_batch_size_bytes", ["quantile": "0.5"]))
                #expect(quantile?.number == 100)
                #expect(try await one("prom_batch_size_bytes_sum")?.number == 450)
                #expect(try await one("prom_batch_size_bytes_count")?.number == 4)
                #expect(try await one("prom_batch_untyped")?.metric == labels("prom_batch_untyped"))
                #expect((try await one(#"push_time_seconds{job="batch"}"#)?.number ?? 0) > 1e9)
                #expect(try await one(#"push_failure_time_seconds{job="batch"}"#)?.number == 0)

                // instance="" is an absent label for Prometheus: the target's instance is not
                // attached (which is why the Pushgateway writes it).
                let cron = try await one("prom_cron_runs_total")
                #expect(cron?.metric == ["__name__": "prom_cron_runs_total", "job": "cron", "path": "/var/tmp"])
                #expect(cron?.number == 5)

                // Prometheus 2.42 asks for OpenMetrics first, and the gateway serves it; in
                // OpenMetrics a counter's sample is <name>_total, so a counter pushed without
                // `_total` is stored under another name than when the Pushgateway (text 0.0.4
                // only) serves it. Kept visible as a known issue until it is decided.
                let plain = try await PrometheusQueryAnswer.poll(
                    server.baseURL, #"{__name__=~"prom_plain_count(_total)?"}"#)
                #expect(plain.count == 1 && plain.first?.number == 9, "\(plain)")
                // Prometheus asks for OpenMetrics; the series keeps the name it has when Prometheus
                // scrapes the Pushgateway (docs/gateway.md: written as `unknown`, not renamed).
                #expect(plain.first?.metric["__name__"] == "prom_plain_count", "\(plain)")

                // A gauge and a counter whose names fold into one in OpenMetrics (as
                // client_golang's go_memstats_alloc_bytes and ..._total): both stored, each under
                // its own name.
                #expect(try await one("prom_mem_alloc_bytes")?.number == 1024)
                #expect(try await one("prom_mem_alloc_bytes_total")?.number == 4096)

                // A new push is seen at the next scrape.
                let again = try await HTTP.request(
                    "PUT", gateway.baseURL + "/metrics/job/batch/instance/node-7",
                    body: Array(Self.batch.replacingOccurrences(of: "} 42", with: "} 43").utf8))
                #expect(again.status == 200, "\(again.text)")
                let updated = try await PrometheusQueryAnswer.poll(
                    server.baseURL, #"prom_batch_processed_total == 43"#)
                #expect(updated.first?.number == 43, "\(updated)")
            }
        }
    }
}
