import AbacusExposition
import Foundation
import Testing

/// Every limit of ``StoreLimits`` through HTTP: its status, a message naming its flag, and a
/// store left as it was.
@Suite("HTTP API: limits")
struct LimitsTests {
    static let a = #"instance="",job="a""#

    /// `count` untyped sample lines, `m0 0` … (about 5 to 8 bytes each).
    static func lines(_ count: Int, prefix: String = "m") -> String {
        (0..<count).map { "\(prefix)\($0) \($0)\n" }.joined()
    }

    static let bodyTooLarge =
        "the request body is larger than 100 bytes (--push.max-body-size); split the push into several groups or "
        + "raise the limit\n"

    @Test func aBodyOverTheLimit() async throws {
        try await withGateway(Configure { $0.limits.maxBodyBytes = 100 }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "x 1\n").status == 200)
            let before = try await api.scrape()
            let body = Self.lines(30)
            #expect(body.utf8.count > 100)
            let response = try await api.put("/metrics/job/a", body)
            #expect(response.status == 413)
            #expect(response.text == Self.bodyTooLarge)
            // Not a push to the group: even its failure time stays.
            let after = try await api.scrape()
            #expect(after.pushed == before.pushed)
            #expect(after.value(#"abacus_push_rejections_total{reason="body_too_large"}"#) == 1)
            // At the limit exactly, the body is read.
            let exact = String(repeating: "#", count: 99) + "\n"
            #expect(try await api.put("/metrics/job/a", exact).status == 200)
        }
    }

    /// The answer arrives although the gateway does not read a body it refuses by its length.
    @Test(arguments: [RawHTTP.Framing.length, .chunked(65536)])
    func aLargeBodyStillGetsItsAnswer(framing: RawHTTP.Framing) async throws {
        try await withGateway(Configure { $0.limits.maxBodyBytes = 100 }) { api async throws in
            let response = try await api.request(
                "PUT", "/metrics/job/a", body: [UInt8](repeating: UInt8(ascii: "#"), count: 4 << 20), framing: framing)
            #expect(response.status == 413)
            #expect(response.text == Self.bodyTooLarge)
            #expect(try await api.get("/-/healthy").status == 200)
        }
    }

    @Test(arguments: [1, 7, 64])
    func aChunkedBodyOverTheLimit(chunk: Int) async throws {
        try await withGateway(Configure { $0.limits.maxBodyBytes = 100 }) { api async throws in
            let response = try await api.request(
                "PUT", "/metrics/job/a", body: Array(Self.lines(30).utf8), framing: .chunked(chunk))
            #expect(response.status == 413)
            #expect(response.text == Self.bodyTooLarge)
            #expect(try await api.scrape().pushed == "")
            // A chunked body within the limit is fine.
            let small = try await api.request(
                "PUT", "/metrics/job/a", body: Array(Self.lines(5).utf8), framing: .chunked(chunk))
            #expect(small.status == 200)
            #expect(try await api.scrape().value(#"m4{instance="",job="a"}"#) == 4)
        }
    }

    @Test func aGzipBomb() async throws {
        try await withGateway(Configure { $0.limits.maxDecompressedBytes = 1000 }) { api async throws in
            let bomb = try await Gzip.compress(Array(String(repeating: "# comment\n", count: 100_000).utf8))
            #expect(bomb.count < 2000)
            let response = try await api.request(
                "PUT", "/metrics/job/a", headers: [("Content-Encoding", "gzip")], body: bomb)
            #expect(response.status == 413)
            #expect(
                response.text
                    == "the decompressed body is larger than 1000 bytes (--push.max-decompressed-size)\n")
            let snappy = try await api.request(
                "PUT", "/metrics/job/a", headers: [("Content-Encoding", "snappy")],
                body: Snappy.compressFramed(Array(String(repeating: "# comment\n", count: 1000).utf8)))
            #expect(snappy.status == 413)
            #expect(snappy.text == "the decompressed body is larger than 1000 bytes (--push.max-decompressed-size)\n")
            let scrape = try await api.scrape()
            #expect(scrape.pushed == "")
            #expect(scrape.value(#"abacus_push_rejections_total{reason="body_too_large"}"#) == 2)
            // Under the limit once decompressed: fine.
            let small = try await Gzip.compress(Array(Self.lines(10).utf8))
            #expect(
                try await api.request("PUT", "/metrics/job/a", headers: [("Content-Encoding", "gzip")], body: small)
                    .status == 200)
        }
    }

    @Test func tooManySeriesInOnePush() async throws {
        try await withGateway(Configure { $0.limits.maxSeriesPerPush = 3 }) { api async throws in
            #expect(try await api.put("/metrics/job/a", Self.lines(3)).status == 200)
            let before = try await api.scrape()
            let message =
                "the push has more than 3 sample lines (--push.max-series-per-push); split it into several groups\n"
            let response = try await api.put("/metrics/job/a", Self.lines(4))
            #expect(response.status == 413)
            #expect(response.text == message)
            // A histogram with one bucket is three lines, +Inf bucket, _sum and _count: four is over.
            let histogram = try await api.post(
                "/metrics/job/a",
                "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")
            #expect(histogram.status == 413)
            #expect(histogram.text == message)
            #expect(try await api.scrape().pushed == before.pushed)
        }
    }

    @Test func tooManyLabelsOnASeries() async throws {
        try await withGateway(Configure { $0.limits.maxLabelsPerSeries = 3 }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "m{k=\"1\"} 1\n").status == 200)
            try await RejectionTests.expectRefused(
                api, "/metrics/job/a", "m{k=\"1\",l=\"2\"} 1\n",
                message: "a series of m has 4 labels, more than 3 (--push.max-labels-per-series), grouping labels "
                    + "included", reason: "too_many_labels", group: Self.a)
            // Grouping labels count.
            try await RejectionTests.expectRefused(
                api, "/metrics/job/a/zone/z", "m{k=\"1\"} 1\n",
                message: "a series of m has 4 labels, more than 3 (--push.max-labels-per-series), grouping labels "
                    + "included", reason: "too_many_labels", group: #"instance="",job="a",zone="z""#)
        }
    }

    @Test func aLabelValueTooLong() async throws {
        try await withGateway(Configure { $0.limits.maxLabelValueBytes = 8 }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "m{k=\"12345678\"} 1\n").status == 200)
            try await RejectionTests.expectRefused(
                api, "/metrics/job/a", "m{k=\"123456789\"} 1\n",
                message: "label k of a series of m is 9 bytes long, more than 8 (--push.max-label-value-length)",
                reason: "label_value_too_long", group: Self.a)
            // Bytes, not characters: "é" is two.
            try await RejectionTests.expectRefused(
                api, "/metrics/job/a", "m{k=\"éééé1\"} 1\n",
                message: "label k of a series of m is 9 bytes long, more than 8 (--push.max-label-value-length)",
                reason: "label_value_too_long", group: Self.a)
            // A grouping label too.
            try await RejectionTests.expectRefused(
                api, "/metrics/job/a/instance/host-1234", "m 1\n",
                message: "label instance of a series of m is 9 bytes long, more than 8 "
                    + "(--push.max-label-value-length)", reason: "label_value_too_long",
                group: #"instance="host-1234",job="a""#)
        }
    }

    @Test func tooManyGroups() async throws {
        try await withGateway(Configure { $0.limits.maxGroups = 2 }) { api async throws in
            #expect(try await api.put("/metrics/job/a", "x 1\n").status == 200)
            #expect(try await api.put("/metrics/job/b", "y 1\n").status == 200)
            let before = try await api.scrape()
            let message =
                "the gateway holds 2 groups, its limit (--store.max-groups); delete groups or let them expire "
                + "(a TTL), or raise the limit\n"
            let response = try await api.put("/metrics/job/c", "z 1\n")
            #expect(response.status == 429)
            #expect(response.text == message)
            // A refused push cannot create the group either (no room).
            #expect(try await api.put("/metrics/job/c", "z 1 1000\n").status == 400)
            let batch = try await api.put("/api/v1/batch", "# GROUP job/a\nx 2\n# GROUP job/c\nz 1\n")
            #expect(batch.status == 429)
            let after = try await api.scrape()
            #expect(after.pushed == before.pushed)
            #expect(after.value(#"abacus_push_rejections_total{reason="too_many_groups"}"#) == 2)
            // Existing groups can still be pushed to; a deleted group makes room.
            #expect(try await api.put("/metrics/job/a", "x 2\n").status == 200)
            #expect(try await api.delete("/metrics/job/b").status == 202)
            #expect(try await api.put("/metrics/job/c", "z 1\n").status == 200)
        }
    }

    @Test func tooManySeriesStored() async throws {
        try await withGateway(Configure { $0.limits.maxSeries = 5 }) { api async throws in
            #expect(try await api.put("/metrics/job/a", Self.lines(3)).status == 200)
            let message =
                "storing this push would exceed 5 sample lines (--store.max-series); delete groups or let them "
                + "expire (a TTL), or raise the limit"
            try await RejectionTests.expectRefused(
                api, "/metrics/job/b", Self.lines(3, prefix: "n"), status: 429, message: message,
                reason: "too_many_series", group: #"instance="",job="b""#)
            // A POST adding to the group counts what it keeps.
            try await RejectionTests.expectRefused(
                api, "/metrics/job/a", Self.lines(3, prefix: "n"), method: "POST", status: 429, message: message,
                reason: "too_many_series", group: Self.a)
            // Replacing a group counts what it replaces: 5 lines in all.
            #expect(try await api.put("/metrics/job/a", Self.lines(5)).status == 200)
            #expect(try await api.post("/metrics/job/a", Self.lines(5)).status == 200)
            #expect(try await api.scrape().value("abacus_series") == 5)
        }
    }
}
