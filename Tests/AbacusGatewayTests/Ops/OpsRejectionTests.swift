import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// The crash inputs of the original metrics-server (docs/ops.md) and every other kind of bad
/// input, over UDP, stream transports and HTTP: each is rejected, counted once under its reason
/// and transport, the gateway stays up, and what clients stored is byte for byte unchanged. The
/// two inputs the original crashed on although they are valid (braces inside strings, a message
/// split across two reads) are accepted.
@Suite("Ops: crash inputs and rejections")
struct OpsRejectionTests {
    /// The suite's `--ops.max-message-size`: small enough for an oversized UDP datagram.
    static let maxMessage = 16384

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// The reason of the single rejection, `nil` when the input is valid and applied.
        let reason: String?
        /// For a valid input: the series it increments by 1.
        var series: String? = nil
        /// Where the bytes are cut in two writes (a pause between) on streams, or into HTTP chunks.
        var split: Int? = nil
        /// Not sent over UDP (cannot be one datagram, or has no meaning there).
        var notUDP = false
        /// The rejections are computed by the framer (random bytes): reason → count.
        var computed = false

        init(_ name: String, _ text: String, _ reason: String?) {
            self.name = name
            self.bytes = Array(text.utf8)
            self.reason = reason
        }

        init(_ name: String, bytes: [UInt8], _ reason: String?) {
            self.name = name
            self.bytes = bytes
            self.reason = reason
        }

        var description: String { name }

        /// The rejections the gateway must count for these bytes on `transport`, by reason.
        func expected(_ transport: OpsTransport) -> [String: Int] {
            guard computed else { return reason.map { [$0: 1] } ?? [:] }
            var counts: [String: Int] = [:]
            if transport == .udp {
                for result in OpsFramer.messages(inDatagram: bytes, maxMessageSize: OpsRejectionTests.maxMessage) {
                    if case .failure(let rejection) = result { counts[rejection.reason.rawValue, default: 0] += 1 }
                }
                return counts
            }
            var framer = OpsFramer(maxMessageSize: OpsRejectionTests.maxMessage)
            framer.append(bytes)
            while true {
                do throws(OpsRejection) {
                    guard try framer.nextMessage() != nil else { break }
                } catch {
                    counts[error.reason.rawValue, default: 0] += 1
                }
            }
            if let rejection = framer.finish() { counts[rejection.reason.rawValue, default: 0] += 1 }
            return counts
        }
    }

    static let cases: [Case] = {
        let pad = String(repeating: "x", count: 20_000)
        let label5k = String(repeating: "y", count: 5000)
        let label1M = String(repeating: "z", count: 1 << 20)
        var random = OpsRandom(seed: 0x0b5_c0ffee)
        // Random bytes with no '{': one stretch of garbage, one rejection.
        var noBrace = random.bytes(4096, excluding: [UInt8(ascii: "{")])
        noBrace[0] = 0x00
        noBrace[100] = 0x00
        // Random bytes with braces, quotes and NULs sprinkled in: the framer says how many
        // rejections (always at least one); none may apply anything.
        var mixed = random.bytes(4096)
        for i in stride(from: 0, to: mixed.count, by: 97) { mixed[i] = [0x00, 0x7B, 0x7D, 0x22][(i / 97) % 4] }
        let braces =
            #"{"name":"crash_braces_total","help":"} { ] [","labels":{"v":"}{\"k\":\"v\"}"},"op":"inc","value":1}"#
        let split = #"{"name":"crash_split_total","labels":{"k":"v"},"op":"inc","value":1}"#
        var cases: [Case] = [
            Case(
                "negative inc", #"{"name":"crash_total","labels":{"k":"v"},"op":"inc","value":-1}"#,
                "negative_increment"),
            Case(
                "negative inc of a new series", #"{"name":"crash_new_total","op":"inc","value":-0.5}"#,
                "negative_increment"),
            Case(
                "bucket_factor 1", #"{"name":"crash_seconds","op":"obs","value":1,"bucket_factor":1}"#,
                "invalid_buckets"),
            Case(
                "bucket_factor 0.5", #"{"name":"crash_new_seconds","op":"obs","value":1,"bucket_factor":0.5}"#,
                "invalid_buckets"),
            Case(
                "unsorted bucket_custom",
                #"{"name":"crash_new_seconds","op":"obs","value":1,"bucket_custom":[5,1,10]}"#, "invalid_buckets"),
            Case(
                "duplicate bucket_custom",
                #"{"name":"crash_new_seconds","op":"obs","value":1,"bucket_custom":[1,1,2]}"#, "invalid_buckets"),
            Case(
                "bucket_width -1", #"{"name":"crash_new_seconds","op":"obs","value":1,"bucket_width":-1}"#,
                "invalid_buckets"),
            Case("buckets -3", #"{"name":"crash_seconds","op":"obs","value":1,"buckets":-3}"#, "invalid_buckets"),
            Case(
                "le label on obs", #"{"name":"crash_new_seconds","labels":{"le":"1"},"op":"obs","value":1}"#,
                "invalid_label"),
            Case(
                "malformed: no value after ':'", #"{"name":"crash_total","labels":{"k":"v"},"op":"inc","value":}"#,
                "invalid_json"),
            Case("malformed: missing comma", #"{"name":"crash_total" "op":"inc","value":1}"#, "invalid_json"),
            Case("malformed: trailing comma", #"{"name":"crash_total","op":"inc","value":1,}"#, "invalid_json"),
            Case("not JSON", "hello, gateway\n", "invalid_json"),
            Case("not an object", "[1,2,3]\n", "invalid_json"),
            Case("truncated message", #"{"name":"crash_total","labels":{"k":"v"},"op":"inc""#, "invalid_json"),
            Case(
                "invalid UTF-8 in a label value",
                bytes: Array(#"{"name":"crash_total","labels":{"k":""#.utf8) + [0xFF, 0xFE]
                    + Array(#""},"op":"inc","value":1}"#.utf8), "invalid_json"),
            Case("value 1e400", #"{"name":"crash_gauge","op":"set","value":1e400}"#, "non_finite_value"),
            Case("unknown op", #"{"name":"crash_total","labels":{"k":"v"},"op":"dec","value":1}"#, "unknown_op"),
            Case("no value", #"{"name":"crash_total","labels":{"k":"v"},"op":"inc"}"#, "missing_field"),
            Case("invalid metric name", #"{"name":"1crash","op":"inc","value":1}"#, "invalid_name"),
            Case(
                "label value not a string", #"{"name":"crash_total","labels":{"k":1},"op":"inc","value":1}"#,
                "invalid_label"),
            Case(
                "message over the size limit",
                #"{"name":"crash_total","labels":{"k":"v"},"op":"inc","value":1,"pad":"\#(pad)"}"#, "message_too_large"),
            Case(
                "label value of 5,000 bytes",
                #"{"name":"crash_total","labels":{"k":"\#(label5k)"},"op":"inc","value":1}"#, "limit_exceeded"),
            Case("binary garbage without '{' (NULs included)", bytes: noBrace, "invalid_json"),
            Case("shutdown without --ops.enable-shutdown", #"{"op":"shutdown"}"#, "shutdown_disabled"),
            Case("inc of a gauge", #"{"name":"crash_gauge","op":"inc","value":1}"#, "type_conflict"),
            Case(
                "obs of a counter", #"{"name":"crash_total","labels":{"k":"v"},"op":"obs","value":1}"#, "type_conflict"),
            Case(
                "other label names", #"{"name":"crash_total","labels":{"other":"v"},"op":"inc","value":1}"#,
                "label_conflict"),
            Case(
                "no labels where the name has some", #"{"name":"crash_total","op":"inc","value":1}"#, "label_conflict"),
            Case("inc of a pushed gauge", #"{"name":"pushed_one","op":"inc","value":1}"#, "type_conflict"),
            Case("the gateway's time family", #"{"name":"push_time_seconds","op":"set","value":1}"#, "reserved_name"),
        ]
        var big = Case(
            "label value of 1 MB", #"{"name":"crash_total","labels":{"k":"\#(label1M)"},"op":"inc","value":1}"#,
            "message_too_large")
        big.notUDP = true
        cases.append(big)
        var garbage = Case("random bytes with braces, quotes and NULs", bytes: mixed, "invalid_json")
        garbage.computed = true
        cases.append(garbage)
        var valid = Case("braces and escaped quotes inside strings (valid)", braces + "\n", nil)
        valid.series = #"crash_braces_total{v="}{\"k\":\"v\"}"}"#
        cases.append(valid)
        var halves = Case("a message split across two reads (valid)", split + "\n", nil)
        halves.series = #"crash_split_total{k="v"}"#
        halves.split = 30
        halves.notUDP = true
        cases.append(halves)
        return cases
    }()

    /// What every run starts from: aggregated series of each type and a pushed group.
    static func seed(_ ops: OpsHarness) async throws {
        let body = """
            {"name":"crash_total","help":"Crash test counter.","labels":{"k":"v"},"op":"inc","value":3}
            {"name":"crash_seconds","help":"Crash test histogram.","op":"obs","value":0.5,"bucket_custom":[1,2]}
            {"name":"crash_gauge","op":"set","value":7}

            """
        let seeded = try await ops.postOps(body)
        #expect(seeded.status == 200 && seeded.answer.applied == 3, "\(seeded)")
        #expect(try await ops.api.put("/metrics/job/base", "# TYPE pushed_one gauge\npushed_one 1\n").status == 200)
    }

    /// Sends the case's bytes: split in two writes with a pause, or in HTTP chunks, when asked.
    static func send(_ c: Case, _ ops: OpsHarness, via transport: OpsTransport) async throws -> RawHTTP.Response? {
        guard let cut = c.split else { return try await ops.send(c.bytes, via: transport) }
        switch transport {
        case .http:
            return try await ops.api.request(
                "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: c.bytes,
                framing: .chunked(cut))
        case .udp:
            throw PeerError("a split message has no meaning over UDP")
        default:
            let client = try ops.connect(transport)
            defer { client.close() }
            try await opsOffThread { try client.send(Array(c.bytes[..<cut])) }
            try await Task.sleep(for: .milliseconds(150))
            try await opsOffThread { try client.send(Array(c.bytes[cut...])) }
            return nil
        }
    }

    /// The answer of `POST /api/v1/ops` to a rejected input: 400, nothing applied, the reasons.
    static func checkAnswer(_ response: RawHTTP.Response, _ expected: [String: Int], _ c: Case) {
        let total = expected.values.reduce(0, +)
        #expect(response.status == 400, "\(c): \(response)")
        guard let answer = try? JSONDecoder().decode(OpsAnswer.self, from: Data(response.body)) else {
            Issue.record("\(c): the answer is not JSON: \(response)")
            return
        }
        #expect(answer.applied == 0, "\(c): \(response)")
        #expect(answer.rejected == total, "\(c): \(response)")
        var reasons: [String: Int] = [:]
        for reason in answer.reasons { reasons[reason, default: 0] += 1 }
        #expect(reasons == expected, "\(c): \(response)")
        let ordinals = (answer.errors ?? []).map { $0.message }
        if total == 1 { #expect(ordinals == [1], "\(c): \(response)") }
    }

    @Test(
        "every crash input is rejected cleanly and changes nothing", arguments: [OpsTransport.udp, .unix, .tcp, .http])
    func crashInputs(transport: OpsTransport) async throws {
        try await withOpsGateway(Configure { $0.ops.maxMessageBytes = OpsRejectionTests.maxMessage }) {
            ops async throws in
            try await Self.seed(ops)
            for c in Self.cases where !(transport == .udp && c.notUDP) {
                let before = try await ops.scrape()
                let response = try await Self.send(c, ops, via: transport)
                if let series = c.series {
                    // Valid: applied once, nothing rejected.
                    if let response { #expect(response.status == 200, "\(c): \(response)") }
                    let target = (before.value(series) ?? 0) + 1
                    let applied = (before.ingested("inc", transport.label) ?? 0) + 1
                    let after = try await ops.wait {
                        $0.value(series) == target && $0.ingested("inc", transport.label) == applied
                    }
                    #expect(after.value(series) == target, "\(c) over \(transport)")
                    #expect(
                        after.samples(of: "abacus_ingest_rejected_total")
                            == before.samples(of: "abacus_ingest_rejected_total"),
                        "\(c) over \(transport)")
                    continue
                }
                let expected = c.expected(transport)
                let total = expected.values.reduce(0, +)
                #expect(total >= 1, "\(c): the input must be rejected at least once")
                if let response { Self.checkAnswer(response, expected, c) }
                // Counted (UDP and streams are one-way: poll), under this reason and transport only.
                var wanted = before.samples(of: "abacus_ingest_rejected_total")
                for (reason, count) in expected {
                    wanted[
                        #"abacus_ingest_rejected_total{reason="\#(reason)",transport="\#(transport.label)"}"#,
                        default: 0] +=
                        Double(count)
                }
                let after = try await ops.wait { $0.samples(of: "abacus_ingest_rejected_total") == wanted }
                #expect(after.samples(of: "abacus_ingest_rejected_total") == wanted, "\(c) over \(transport)")
                #expect(
                    after.samples(of: "abacus_ingest_messages_total")
                        == before.samples(of: "abacus_ingest_messages_total"),
                    "\(c) over \(transport): nothing may be applied")
                // What clients stored is byte for byte the same.
                #expect(after.state == before.state, "\(c) over \(transport)")
            }
            // Still up, still taking messages on the same transport.
            #expect(try await ops.api.get("/-/healthy").status == 200)
            try await ops.send(
                #"{"name":"crash_total","labels":{"k":"v"},"op":"inc","value":1}"# + "\n", via: transport)
            let last = try await ops.wait(for: #"crash_total{k="v"}"#, toBe: 4)
            #expect(last.value(#"crash_total{k="v"}"#) == 4)
            #expect(
                last.family("crash_seconds") == """
                    # HELP crash_seconds Crash test histogram.
                    # TYPE crash_seconds histogram
                    crash_seconds_bucket{le="1"} 1
                    crash_seconds_bucket{le="2"} 1
                    crash_seconds_bucket{le="+Inf"} 1
                    crash_seconds_sum 0.5
                    crash_seconds_count 1

                    """)
            #expect(last.value("crash_gauge") == 7)
        }
    }

    @Test(
        "a bad message between good ones on one connection costs only itself",
        arguments: [OpsTransport.unix, .tcp, .udp, .http])
    func badAmongGood(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            let good = #"{"name":"mixed_ok_total","op":"inc","value":1}"#
            let body =
                [
                    good, #"{"name":"mixed_ok_total","op":"inc","value":-1}"#, good, "garbage here", good,
                    #"{"name":"mixed_ok_total","op":"inc","value":}"#, good,
                    #"{"name":"mixed_ok_total","labels":{"le":"x"},"op":"obs","value":1}"#,
                    good,
                ].joined(separator: "\n") + "\n"
            let response = try await ops.send(body, via: transport)
            if let response {
                #expect(response.status == 400)
                let answer = try JSONDecoder().decode(OpsAnswer.self, from: Data(response.body))
                #expect(answer.applied == 5)
                #expect(answer.rejected == 4)
                #expect(answer.errors?.map(\.message) == [2, 4, 6, 8])
                #expect(answer.reasons == ["negative_increment", "invalid_json", "invalid_json", "invalid_label"])
            }
            let scrape = try await ops.wait {
                $0.value("mixed_ok_total") == 5 && $0.rejected("invalid_label", transport.label) == 1
            }
            #expect(scrape.value("mixed_ok_total") == 5)
            #expect(scrape.ingested("inc", transport.label) == 5)
            #expect(
                scrape.samples(of: "abacus_ingest_rejected_total") == [
                    #"abacus_ingest_rejected_total{reason="invalid_json",transport="\#(transport.label)"}"#: 2,
                    #"abacus_ingest_rejected_total{reason="invalid_label",transport="\#(transport.label)"}"#: 1,
                    #"abacus_ingest_rejected_total{reason="negative_increment",transport="\#(transport.label)"}"#: 1,
                ])
        }
    }
}
