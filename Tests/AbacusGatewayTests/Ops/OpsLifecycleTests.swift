import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// The original server's options, as the gateway offers them: `--metric-ttl` (aggregated series
/// deleted when no update came for that long), extra labels, and the `shutdown` op.
@Suite("Ops: metric TTL, extra labels, shutdown")
struct OpsLifecycleTests {
    @Test("--metric-ttl: an idle series disappears about a second after its deadline, with no traffic")
    func seriesExpire() async throws {
        // 3 s: long enough that a stalled machine (the whole suite on 2 cores) does not expire a
        // series before the test has seen it, short enough to wait for.
        try await withOpsGateway(Configure { $0.ops.metricTTLMs = 3000 }) { ops async throws in
            let counter = #"{"name":"ttl_total","help":"Expiring.","labels":{"k":"v"},"op":"inc","value":5}"#
            let histogram = #"{"name":"ttl_seconds","op":"obs","value":0.5,"bucket_custom":[1]}"#
            // Over UDP, twice: the second takes the fast path, whose cache must not outlive the series.
            try await ops.send(counter + histogram, via: .udp)
            try await ops.send(counter, via: .udp)
            let lastSent = Date()
            let stored = try await ops.wait(for: #"ttl_total{k="v"}"#, toBe: 10)
            let updated = Date()
            #expect(stored.value(#"ttl_total{k="v"}"#) == 10)
            // Both still there, unless a stalled machine took the TTL to get here.
            if updated.timeIntervalSince(lastSent) < 2.9 {
                #expect(stored.value("abacus_aggregated_series") == 2)
            }
            // Gone with no traffic: polled for up to 6 s.
            let gone = try await ops.wait(upTo: 6) {
                $0.value(#"ttl_total{k="v"}"#) == nil && $0.value("ttl_seconds_count") == nil
                    && $0.value("abacus_expired_series_total") == 2
            }
            let elapsed = Date().timeIntervalSince(updated)
            let sinceSent = Date().timeIntervalSince(lastSent)
            #expect(gone.value(#"ttl_total{k="v"}"#) == nil, "still there after 6 s")
            #expect(gone.value("ttl_seconds_count") == nil, "still there after 6 s")
            #expect(sinceSent >= 2.95, "gone \(sinceSent) s after the last update, before its deadline")
            #expect(elapsed < 4.5, "gone only after \(elapsed) s")
            #expect(gone.pushed == "")
            #expect(gone.value("abacus_expired_series_total") == 2)
            #expect(gone.value("abacus_aggregated_series") == 0)
            // Back with the same bytes: a fresh series holding the new increment only.
            // A machine that stalls past the TTL may expire it again before it is seen:
            // then send again (each return must start fresh, at 5, never at 10).
            var seenBack: Double?
            var expiredSoFar = 2.0
            for _ in 0..<5 where seenBack == nil {
                try await ops.send(counter, via: .udp)
                let back = try await ops.wait(upTo: 5) {
                    $0.value(#"ttl_total{k="v"}"#) != nil
                        || ($0.value("abacus_expired_series_total") ?? 0) > expiredSoFar
                }
                seenBack = back.value(#"ttl_total{k="v"}"#)
                expiredSoFar = back.value("abacus_expired_series_total") ?? expiredSoFar
            }
            #expect(seenBack == 5)
            // The name is free again: it may come back with another type.
            try await ops.send(#"{"name":"ttl_seconds","op":"set","value":1}"#, via: .udp)
            let retyped = try await ops.wait(upTo: 5) { $0.ingested("set", "udp") == 1 }
            #expect(retyped.ingested("set", "udp") == 1)
            #expect(retyped.samples(of: "abacus_ingest_rejected_total").isEmpty)
            // Seen as a gauge, unless a machine stalled past the TTL expired it again already.
            let family = retyped.family("ttl_seconds")
            if !family.isEmpty {
                #expect(family == "# TYPE ttl_seconds gauge\nttl_seconds 1\n")
            }
        }
    }

    @Test("--metric-ttl: updates keep a series alive while an idle one expires")
    func updatesKeepAlive() async throws {
        try await withOpsGateway(Configure { $0.ops.metricTTLMs = 2000 }) { ops async throws in
            #expect(try await ops.postOps(#"{"name":"idle_total","op":"inc","value":1}"#).status == 200)
            let start = Date()
            var sent = 0.0
            var last = Date()
            var longestGap = 0.0
            // An update every 200 ms for 3 s (well past the idle series' 2 s deadline).
            while Date().timeIntervalSince(start) < 3 {
                try await ops.send(#"{"name":"alive_total","op":"inc","value":1}"#, via: .tcp)
                sent += 1
                longestGap = max(longestGap, Date().timeIntervalSince(last))
                last = Date()
                try await Task.sleep(for: .milliseconds(200))
            }
            let scrape = try await ops.wait(upTo: 3) {
                $0.value("idle_total") == nil && $0.value("alive_total") == sent
                    && $0.value("abacus_expired_series_total") == 1
            }
            #expect(scrape.value("idle_total") == nil)
            // A machine stalled for most of the TTL between two updates proves nothing either way.
            if longestGap < 1.5 {
                #expect(scrape.value("alive_total") == sent)
                #expect(scrape.value("abacus_expired_series_total") == 1)
            }
        }
    }

    @Test("extra labels are added to aggregated series; a message's own label of the same name wins")
    func extraLabels() async throws {
        try await withOpsGateway(Configure { $0.extraLabels = [Label("app", "x")] }) { ops async throws in
            let body = """
                {"name":"el_total","labels":{"queue":"a"},"op":"inc","value":1}
                {"name":"el_total","labels":{"queue":"b","app":"mine"},"op":"inc","value":2}
                {"name":"el_gauge","op":"set","value":3}

                """
            #expect(try await ops.postOps(body).status == 200)
            // The fast path (same bytes again, over UDP) finds the same series.
            try await ops.send(#"{"name":"el_total","labels":{"queue":"a"},"op":"inc","value":1}"#, via: .udp)
            try await ops.send(#"{"name":"el_total","labels":{"queue":"a"},"op":"inc","value":1}"#, via: .udp)
            #expect(
                try await ops.api.post("/aggregate/job/j", "# TYPE agg_el_total counter\nagg_el_total 4\n").status
                    == 200)
            let scrape = try await ops.wait(for: #"el_total{app="x",queue="a"}"#, toBe: 3)
            #expect(
                scrape.pushed == """
                    # TYPE agg_el_total counter
                    agg_el_total{app="x",job="j"} 4
                    # TYPE el_gauge gauge
                    el_gauge{app="x"} 3
                    # TYPE el_total counter
                    el_total{app="mine",queue="b"} 2
                    el_total{app="x",queue="a"} 3

                    """)
            // The extra label is part of the label names: a message naming it is not a conflict.
            #expect(
                try await ops.postOps(#"{"name":"el_gauge","labels":{"app":"y"},"op":"set","value":4}"#).status == 200)
            #expect(try await ops.scrape().value(#"el_gauge{app="y"}"#) == 4)
        }
    }

    @Test("shutdown without --ops.enable-shutdown is rejected (shutdown_disabled) and the gateway keeps running")
    func shutdownDisabled() async throws {
        try await withOpsGateway { ops async throws in
            for transport in [OpsTransport.udp, .unix, .tcp] {
                try await ops.send(#"{"op":"shutdown"}"# + "\n", via: transport)
            }
            let http = try await ops.postOps(#"{"name":"job","op":"shutdown"}"#)
            #expect(http.status == 400)
            #expect(http.answer.reasons == ["shutdown_disabled"])
            let scrape = try await ops.wait {
                $0.rejected("shutdown_disabled", "udp") == 1 && $0.rejected("shutdown_disabled", "unix") == 1
                    && $0.rejected("shutdown_disabled", "tcp") == 1
            }
            for transport in ["udp", "unix", "tcp", "http"] {
                #expect(scrape.rejected("shutdown_disabled", transport) == 1, "\(transport)")
                #expect(scrape.ingested("shutdown", transport) == nil, "\(transport)")
            }
            // Still serving, still ready, still taking messages on every transport.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await ops.api.get("/-/healthy").status == 200)
            #expect(try await ops.api.get("/-/ready").status == 200)
            for transport in OpsTransport.allCases {
                try await ops.send(#"{"name":"after_total","op":"inc","value":1}"# + "\n", via: transport)
            }
            let after = try await ops.wait(for: "after_total", toBe: 5)
            #expect(after.value("after_total") == 5)
        }
    }

    @Test(
        "with --ops.enable-shutdown, a shutdown op stops the gateway",
        arguments: [OpsTransport.udp, .unix, .tcp, .http])
    func shutdownEnabled(transport: OpsTransport) async throws {
        try await withOpsGateway(Configure { $0.ops.enableShutdown = true }) { ops async throws in
            #expect(try await ops.api.get("/-/ready").status == 200)
            try await ops.send(#"{"op":"shutdown"}"# + "\n", via: transport)
            let deadline = Date().addingTimeInterval(5)
            var stopped = false
            while !stopped && Date() < deadline {
                do {
                    stopped = try await ops.api.get("/-/ready").status == 503
                } catch {
                    stopped = true  // no longer listening
                }
                if !stopped { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(stopped, "the gateway still answers /-/ready 200 five seconds after the shutdown op")
        }
    }

    /// The cron pattern: start a gateway with a shutdown delay, send metrics, send `shutdown`;
    /// the gateway turns not-ready at once but keeps serving `/metrics` and taking messages for
    /// the delay, so Prometheus can scrape the last values.
    @Test("with a shutdown delay, /metrics and the listeners keep serving after the shutdown op")
    func shutdownDelay() async throws {
        try await withOpsGateway(
            Configure {
                $0.ops.enableShutdown = true
                $0.shutdownDelayMs = 2000
            }
        ) { ops async throws in
            try await ops.send(#"{"name":"cron_total","op":"inc","value":1}{"op":"shutdown"}"# + "\n", via: .unix)
            let deadline = Date().addingTimeInterval(3)
            var ready = 200
            while ready == 200 && Date() < deadline {
                ready = try await ops.api.get("/-/ready").status
                if ready == 200 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(ready == 503)
            // Still taking messages and serving them during the delay.
            try await ops.send(#"{"name":"cron_total","op":"inc","value":1}"#, via: .udp)
            try await ops.send(#"{"name":"cron_total","op":"inc","value":1}"#, via: .tcp)
            let scrape = try await ops.wait(upTo: 1.5) { $0.value("cron_total") == 3 }
            #expect(scrape.value("cron_total") == 3)
            #expect(scrape.ingested("shutdown", "unix") == 1)
        }
    }
}
