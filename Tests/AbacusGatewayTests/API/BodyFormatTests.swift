import AbacusExposition
import Foundation
import Testing

/// Push bodies in every format and encoding the gateway reads, and those it refuses.
@Suite("HTTP API: push bodies")
struct BodyFormatTests {
    static let textBody = """
        # HELP jobs_total Jobs run.
        # TYPE jobs_total counter
        jobs_total{queue="q1"} 3
        # TYPE latency_seconds histogram
        latency_seconds_bucket{le="0.5"} 1
        latency_seconds_bucket{le="+Inf"} 2
        latency_seconds_sum 1.5
        latency_seconds_count 2

        """

    /// ``textBody`` as stored for `job/p`, time families masked.
    static let stored = """
        # HELP jobs_total Jobs run.
        # TYPE jobs_total counter
        jobs_total{instance="",job="p",queue="q1"} 3
        # TYPE latency_seconds histogram
        latency_seconds_bucket{instance="",job="p",le="0.5"} 1
        latency_seconds_bucket{instance="",job="p",le="+Inf"} 2
        latency_seconds_sum{instance="",job="p"} 1.5
        latency_seconds_count{instance="",job="p"} 2
        \(PushAPITests.times(#"instance="",job="p""#))
        """

    static let families = [
        MetricFamily(
            name: "jobs_total", type: .counter, help: "Jobs run.",
            metrics: [Metric(labels: [Label("queue", "q1")], value: .counter(CounterValue(3)))]),
        MetricFamily(
            name: "latency_seconds", type: .histogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.5, cumulativeCount: 1),
                                Bucket(upperBound: .infinity, cumulativeCount: 2),
                            ], count: 2, sum: 1.5)))
            ]),
    ]

    func expectStored(_ response: RawHTTP.Response, _ api: GatewayAPI, _ comment: Comment? = nil) async throws {
        #expect(response.status == 200, comment)
        #expect(response.text == "", comment)
        #expect(try await api.scrape().masked == Self.stored, comment)
    }

    @Test(arguments: [
        [("Content-Type", GatewayAPI.curlType)],
        [("Content-Type", GatewayAPI.textType)],
        [("Content-Type", "text/plain")],
        [],
    ])
    func text(headers: [(String, String)]) async throws {
        try await withGateway { api async throws in
            let response = try await api.request(
                "PUT", "/metrics/job/p", headers: headers, body: Array(Self.textBody.utf8))
            try await expectStored(response, api, "\(headers)")
        }
    }

    @Test func protobufDelimited() async throws {
        try await withGateway { api async throws in
            let body = ProtobufEncoder.encode(Self.families)
            let response = try await api.request(
                "PUT", "/metrics/job/p", headers: [("Content-Type", GatewayAPI.protobufType)], body: body)
            try await expectStored(response, api)
        }
    }

    @Test func openMetricsWithItsOwnTypes() async throws {
        try await withGateway { api async throws in
            let body = """
                # TYPE requests counter
                # HELP requests Requests served.
                requests_total{path="/"} 3
                requests_created{path="/"} 1.7e+09
                # TYPE temperature_celsius gauge
                # UNIT temperature_celsius celsius
                temperature_celsius 21.5
                # TYPE build info
                build_info{version="1.2"} 1
                # TYPE door stateset
                door{door="open"} 1
                door{door="closed"} 0
                # EOF

                """
            let response = try await api.push(
                "PUT", "/metrics/job/om", body, headers: [("Content-Type", GatewayAPI.openMetricsType)])
            #expect(response.status == 200, "\(response)")
            #expect(
                try await api.scrape().masked == """
                    # TYPE build_info gauge
                    build_info{instance="",job="om",version="1.2"} 1
                    # TYPE door gauge
                    door{door="closed",instance="",job="om"} 0
                    door{door="open",instance="",job="om"} 1
                    \(PushAPITests.times(#"instance="",job="om""#).dropLast())
                    # HELP requests_total Requests served.
                    # TYPE requests_total counter
                    requests_total{instance="",job="om",path="/"} 3
                    # TYPE temperature_celsius gauge
                    temperature_celsius{instance="",job="om"} 21.5

                    """)
        }
    }

    @Test(arguments: ["gzip", "x-gzip", "GZIP"])
    func gzip(encoding: String) async throws {
        try await withGateway { api async throws in
            let body = try await Gzip.compress(Array(Self.textBody.utf8))
            let response = try await api.request(
                "PUT", "/metrics/job/p",
                headers: [("Content-Type", GatewayAPI.curlType), ("Content-Encoding", encoding)],
                body: body)
            try await expectStored(response, api)
        }
    }

    @Test func gzippedProtobuf() async throws {
        try await withGateway { api async throws in
            let body = try await Gzip.compress(ProtobufEncoder.encode(Self.families))
            let response = try await api.request(
                "PUT", "/metrics/job/p",
                headers: [("Content-Type", GatewayAPI.protobufType), ("Content-Encoding", "gzip")], body: body)
            try await expectStored(response, api)
        }
    }

    @Test func snappyFramed() async throws {
        try await withGateway { api async throws in
            let body = Snappy.compressFramed(Array(Self.textBody.utf8))
            let response = try await api.request(
                "PUT", "/metrics/job/p",
                headers: [("Content-Type", GatewayAPI.textType), ("Content-Encoding", "snappy")],
                body: body)
            try await expectStored(response, api)
        }
    }

    @Test func identityEncoding() async throws {
        try await withGateway { api async throws in
            let response = try await api.push(
                "PUT", "/metrics/job/p", Self.textBody, headers: [("Content-Encoding", "identity")])
            try await expectStored(response, api)
        }
    }

    @Test func anUnknownContentEncodingIs415() async throws {
        try await withGateway { api async throws in
            let response = try await api.push(
                "PUT", "/metrics/job/p", Self.textBody, headers: [("Content-Encoding", "br")])
            #expect(response.status == 415)
            #expect(response.text == "unsupported Content-Encoding br; send gzip, snappy (framed) or none\n")
            let scrape = try await api.scrape()
            #expect(scrape.masked == PushAPITests.times(#"instance="",job="p""#, pushed: false, failed: true))
            #expect(scrape.value(#"abacus_push_rejections_total{reason="content_encoding"}"#) == 1)
        }
    }

    @Test func aCorruptGzipBodyIs400() async throws {
        try await withGateway { api async throws in
            var body = try await Gzip.compress(Array(Self.textBody.utf8))
            body[body.count / 2] ^= 0xFF
            body.removeLast(4)
            let response = try await api.request(
                "PUT", "/metrics/job/p", headers: [("Content-Encoding", "gzip")], body: body)
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("could not gunzip the body: "), "\(response)")
            let notGzip = try await api.push(
                "PUT", "/metrics/job/p", Self.textBody, headers: [("Content-Encoding", "gzip")])
            #expect(notGzip.status == 400)
            #expect(notGzip.text.hasPrefix("could not gunzip the body: "), "\(notGzip)")
            let scrape = try await api.scrape()
            #expect(scrape.masked == PushAPITests.times(#"instance="",job="p""#, pushed: false, failed: true))
            #expect(scrape.value(#"abacus_push_rejections_total{reason="encoding"}"#) == 2)
        }
    }

    @Test func aCorruptSnappyBodyIs400() async throws {
        try await withGateway { api async throws in
            let response = try await api.push(
                "PUT", "/metrics/job/p", Self.textBody, headers: [("Content-Encoding", "snappy")])
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("could not read the snappy body: "), "\(response)")
        }
    }

    @Test func anUnparseableProtobufBodyIs400() async throws {
        try await withGateway { api async throws in
            let response = try await api.request(
                "PUT", "/metrics/job/p", headers: [("Content-Type", GatewayAPI.protobufType)], body: [0x05, 0x0A, 0x01])
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("could not parse the protobuf body: "), "\(response)")
        }
    }

    @Test func anOpenMetricsBodyWithoutEOFIs400() async throws {
        try await withGateway { api async throws in
            let response = try await api.push(
                "PUT", "/metrics/job/p", "# TYPE a gauge\na 1\n",
                headers: [("Content-Type", GatewayAPI.openMetricsType)])
            #expect(response.status == 400)
            #expect(response.text.hasPrefix("could not parse the openmetrics body: "), "\(response)")
        }
    }
}
