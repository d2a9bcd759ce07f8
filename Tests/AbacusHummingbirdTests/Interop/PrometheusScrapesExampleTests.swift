import AbacusTesting
import Foundation
import Testing

/// The real peer: the example service built from Examples/HummingbirdService runs as its own
/// process, takes some traffic, and a real Prometheus 2.42 scrapes its /metrics; what
/// Prometheus stored, read back through its HTTP query API, must be exactly what was sent.
@Suite("Interop: Prometheus scrapes the Hummingbird example")
struct PrometheusScrapesExampleTests {
    /// The traffic: path, method, status expected from the example.
    static let traffic: [(path: String, method: String, status: Int)] = [
        ("/hello", "GET", 200), ("/hello", "GET", 200), ("/hello", "GET", 200),
        ("/work/20", "GET", 200), ("/work/30", "GET", 200),
        ("/work/lots", "GET", 400), ("/work/5000", "GET", 400),
        ("/no/such/page", "GET", 404), ("/hello", "POST", 404),
    ]

    /// `http_requests_total` for the traffic above, by `method route code` (scrapes left out).
    static let expectedRequests: [String: String] = [
        "GET /hello 200": "3",
        "GET /work/{n} 200": "2",
        "GET /work/{n} 400": "2",
        "GET NotFound 404": "1",
        "POST NotFound 404": "1",
    ]

    /// How Prometheus scrapes: by default it asks for OpenMetrics; with native histograms on it
    /// asks for protobuf first.
    enum Scrape: String, CaseIterable, Sendable {
        case openMetrics
        case protobuf
    }

    @Test(
        "request counts, durations, in-flight and a business counter read back from Prometheus",
        arguments: Scrape.allCases)
    func scrape(_ scrape: Scrape) async throws {
        guard let prometheus = Peers.require(.prometheus) else { return }
        try await ExampleProcess.with { example in
            for request in Self.traffic {
                let response = try await RawHTTP.request(request.method, port: example.port, path: request.path)
                #expect(response.status == request.status, "\(request.method) \(request.path): \(response.text)")
            }
            let config = """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: example
                    static_configs:
                      - targets: ['127.0.0.1:\(example.port)']

                """
            var arguments = [
                "--config.file=$DIR/prometheus.yml", "--storage.tsdb.path=$DIR/data",
                "--web.listen-address=127.0.0.1:$PORT",
            ]
            if scrape == .protobuf { arguments.append("--enable-feature=native-histograms") }
            try await withServer(
                prometheus, name: "prometheus", arguments: arguments, files: ["prometheus.yml": config],
                readyPath: "/-/ready"
            ) { server in
                try await check(server, scrape: scrape)
            }
        }
    }

    func check(_ server: PeerServer, scrape: Scrape) async throws {
        // Two successful scrapes, so the /metrics route has counted one of its own.
        let deadline = Date().addingTimeInterval(2 * Patience.seconds)
        var scrapes: [PrometheusQuery.Series] = []
        while Date() < deadline {
            scrapes = try await PrometheusQuery.run(
                server, #"http_requests_total{job="example",route="/metrics",code="200"}"#)
            if let value = scrapes.first?.value, Double(value) ?? 0 >= 1 { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        let targets = try await HTTP.request("GET", server.baseURL + "/api/v1/targets").text
        try #require(!scrapes.isEmpty, "Prometheus never stored a scrape of the example: \(targets)\n\(server.log)")
        #expect(try await PrometheusQuery.run(server, #"up{job="example"}"#).first?.value == "1")

        // Every request sent, by method, route template and code.
        let requests = try await PrometheusQuery.run(server, #"http_requests_total{job="example",route!="/metrics"}"#)
        #expect(byRequest(requests) == Self.expectedRequests)

        // The histogram: as many observations; /work/{n} slept 20 and 30 ms, over the 10 ms bucket.
        let counts = try await PrometheusQuery.run(
            server, #"http_request_duration_seconds_count{job="example",route!="/metrics"}"#)
        #expect(byRequest(counts) == Self.expectedRequests)
        let work = #"job="example",route="/work/{n}",code="200""#
        #expect(
            try await PrometheusQuery.run(server, "http_request_duration_seconds_bucket{\(work),le=\"0.01\"}").first?
                .value == "0")
        #expect(
            try await PrometheusQuery.run(server, "http_request_duration_seconds_bucket{\(work),le=\"+Inf\"}").first?
                .value == "2")
        let sum = try await PrometheusQuery.run(server, "http_request_duration_seconds_sum{\(work)}").first?.value
        #expect((0.05..<10).contains(Double(sum ?? "") ?? -1), "sum \(String(describing: sum))")

        // The scrape sees itself in flight; the example's own counter.
        #expect(try await PrometheusQuery.run(server, #"http_requests_in_flight{job="example"}"#).first?.value == "1")
        #expect(try await PrometheusQuery.run(server, #"example_work_units_total{job="example"}"#).first?.value == "50")
        // Metadata Prometheus kept, which tells the format it read: a counter's family is named
        // without `_total` in OpenMetrics, with it in protobuf.
        let counterSuffix = scrape == .openMetrics ? "" : "_total"
        for (metric, type) in [
            ("http_requests\(counterSuffix)", "counter"), ("http_request_duration_seconds", "histogram"),
            ("http_requests_in_flight", "gauge"), ("example_work_units\(counterSuffix)", "counter"),
        ] {
            let metadata = try await HTTP.request("GET", server.baseURL + "/api/v1/metadata?metric=\(metric)")
            #expect(metadata.text.contains(#""type":"\#(type)""#), "\(metric): \(metadata.text)")
        }
        let otherName = scrape == .openMetrics ? "http_requests_total" : "http_requests"
        let none = try await HTTP.request("GET", server.baseURL + "/api/v1/metadata?metric=\(otherName)")
        #expect(none.text == #"{"status":"success","data":{}}"#)
    }
}

extension PrometheusScrapesExampleTests {
    /// Values by `method route code`.
    func byRequest(_ series: [PrometheusQuery.Series]) -> [String: String] {
        var values: [String: String] = [:]
        for one in series {
            let key = ["method", "route", "code"].map { one.metric[$0] ?? "" }.joined(separator: " ")
            values[key] = one.value
        }
        return values
    }
}

/// `GET /api/v1/query` of a Prometheus, instant vectors only.
enum PrometheusQuery {
    struct Series: Decodable {
        var metric: [String: String]
        var value: String
        enum CodingKeys: String, CodingKey { case metric, value }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            metric = try container.decode([String: String].self, forKey: .metric)
            var pair = try container.nestedUnkeyedContainer(forKey: .value)
            _ = try pair.decode(Double.self)
            value = try pair.decode(String.self)
        }
    }

    private struct Answer: Decodable {
        struct Payload: Decodable { var result: [Series] }
        var data: Payload
    }

    static func run(_ server: PeerServer, _ promql: String) async throws -> [Series] {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        let answer = try await HTTP.request("GET", server.baseURL + "/api/v1/query?query=" + encoded)
        guard answer.status == 200 else { throw PeerError("query \(promql): \(answer.status) \(answer.text)") }
        return try JSONDecoder().decode(Answer.self, from: Data(answer.body)).data.result
    }
}
