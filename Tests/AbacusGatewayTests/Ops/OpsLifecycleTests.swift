import AbacusExposition
import AbacusTesting
import Foundation
import Testing

@testable import AbacusGateway

/// The original server's options, as the gateway offers them: `--metric-ttl` (aggregated series
/// deleted when no update came for that long), extra labels, and the `shutdown` op.
@Suite("Ops: metric TTL, extra labels, shutdown")
struct OpsLifecycleTests {
    /// A gateway on a manual clock: the tests move time themselves.
    static func withClockedOpsGateway(
        _ configure: Configure, body: (OpsHarness, ManualGatewayClock) async throws -> Void
    ) async throws {
        let clock = ManualGatewayClock()
        try await withOpsGateway(
            Configure {
                $0.clock = .manual(clock)
                configure.change(&$0)
            }
        ) { ops async throws in try await body(ops, clock) }
    }

    /// What the expiry scan would remove now under `ttlMs`, asked directly (0: nothing is due).
    static func dueNow(_ ops: OpsHarness, _ clock: ManualGatewayClock, ttlMs: Int64) -> Int {
        ops.api.server.core.store.expireAggregate(nowMs: clock.nowMs, ttlMs: ttlMs)
    }

    @Test("--metric-ttl: an idle series disappears at its deadline, with no traffic")
    func seriesExpire() async throws {
        try await Self.withClockedOpsGateway(Configure { $0.ops.metricTTLMs = 3000 }) { ops, clock async throws in
            let counter = #"{"name":"ttl_total","help":"Expiring.","labels":{"k":"v"},"op":"inc","value":5}"#
            let histogram = #"{"name":"ttl_seconds","op":"obs","value":0.5,"bucket_custom":[1]}"#
            // Over UDP, twice: the second takes the fast path, whose cache must not outlive the series.
            try await ops.send(counter + histogram, via: .udp)
            try await ops.send(counter, via: .udp)
            let stored = try await ops.wait(for: #"ttl_total{k="v"}"#, toBe: 10)
            #expect(stored.value(#"ttl_total{k="v"}"#) == 10)
            #expect(stored.value("abacus_aggregated_series") == 2)
            // A millisecond before the deadline nothing is due; at it, the background scan
            // removes both with no traffic.
            clock.advance(byMs: 2999)
            #expect(Self.dueNow(ops, clock, ttlMs: 3000) == 0)
            clock.advance(byMs: 1)
            let gone = try await ops.wait {
                $0.value(#"ttl_total{k="v"}"#) == nil && $0.value("ttl_seconds_count") == nil
                    && $0.value("abacus_expired_series_total") == 2
            }
            #expect(gone.value(#"ttl_total{k="v"}"#) == nil)
            #expect(gone.value("ttl_seconds_count") == nil)
            #expect(gone.pushed == "")
            #expect(gone.value("abacus_expired_series_total") == 2)
            #expect(gone.value("abacus_aggregated_series") == 0)
            // Back with the same bytes: a fresh series holding the new increment only.
            try await ops.send(counter, via: .udp)
            let back = try await ops.wait { $0.value(#"ttl_total{k="v"}"#) != nil }
            #expect(back.value(#"ttl_total{k="v"}"#) == 5)
            // The name is free again: it may come back with another type.
            try await ops.send(#"{"name":"ttl_seconds","op":"set","value":1}"#, via: .udp)
            let retyped = try await ops.wait { $0.ingested("set", "udp") == 1 }
            #expect(retyped.ingested("set", "udp") == 1)
            #expect(retyped.samples(of: "abacus_ingest_rejected_total").isEmpty)
            #expect(retyped.family("ttl_seconds") == "# TYPE ttl_seconds gauge\nttl_seconds 1\n")
        }
    }

    @Test("--metric-ttl: updates keep a series alive while an idle one expires")
    func updatesKeepAlive() async throws {
        try await Self.withClockedOpsGateway(Configure { $0.ops.metricTTLMs = 2000 }) { ops, clock async throws in
            #expect(try await ops.postOps(#"{"name":"idle_total","op":"inc","value":1}"#).status == 200)
            try await ops.send(#"{"name":"alive_total","op":"inc","value":1}"#, via: .tcp)
            _ = try await ops.wait(for: "alive_total", toBe: 1)
            // 1.5 s later the busy series is updated; the idle one is not.
            clock.advance(byMs: 1500)
            try await ops.send(#"{"name":"alive_total","op":"inc","value":1}"#, via: .tcp)
            _ = try await ops.wait(for: "alive_total", toBe: 2)
            // At 2 s the idle series is due and goes; the updated one has 1.5 s left.
            clock.advance(byMs: 500)
            let scrape = try await ops.wait {
                $0.value("idle_total") == nil && $0.value("abacus_expired_series_total") == 1
            }
            #expect(scrape.value("idle_total") == nil)
            #expect(scrape.value("alive_total") == 2)
            #expect(scrape.value("abacus_expired_series_total") == 1)
            clock.advance(byMs: 1499)
            #expect(Self.dueNow(ops, clock, ttlMs: 2000) == 0)
            #expect(try await ops.scrape().value("alive_total") == 2)
            // Its own deadline: gone too.
            clock.advance(byMs: 1)
            let later = try await ops.wait {
                $0.value("alive_total") == nil && $0.value("abacus_expired_series_total") == 2
            }
            #expect(later.value("alive_total") == nil)
            #expect(later.value("abacus_expired_series_total") == 2)
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
            let server = ops.api.server
            #expect(
                await within { await server.stopped() } != nil,
                "the gateway still runs \(Patience.seconds) s after the shutdown op")
        }
    }

    /// The cron pattern: start a gateway with a shutdown delay, send metrics, send `shutdown`;
    /// the gateway turns not-ready at once but keeps serving `/metrics` and taking messages for
    /// the delay, so Prometheus can scrape the last values. The delay runs on the manual clock:
    /// the gateway stays in it, however slow the machine, until the test moves time.
    @Test("with a shutdown delay, /metrics and the listeners keep serving after the shutdown op")
    func shutdownDelay() async throws {
        let configure = Configure {
            $0.ops.enableShutdown = true
            $0.shutdownDelayMs = 2000
        }
        try await Self.withClockedOpsGateway(configure) { ops, clock async throws in
            try await ops.send(#"{"name":"cron_total","op":"inc","value":1}{"op":"shutdown"}"# + "\n", via: .unix)
            let deadline = Date().addingTimeInterval(Patience.seconds)
            var ready = 200
            while ready == 200 && Date() < deadline {
                ready = try await ops.api.get("/-/ready").status
                if ready == 200 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(ready == 503)
            // Still taking messages and serving them during the delay.
            try await ops.send(#"{"name":"cron_total","op":"inc","value":1}"#, via: .udp)
            try await ops.send(#"{"name":"cron_total","op":"inc","value":1}"#, via: .tcp)
            let scrape = try await ops.wait { $0.value("cron_total") == 3 }
            #expect(scrape.value("cron_total") == 3)
            #expect(scrape.ingested("shutdown", "unix") == 1)
            // The delay has begun (it sleeps on the clock); 1 ms short of it the gateway still
            // serves; at its end the gateway stops.
            while clock.sleepers == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(clock.sleepers == 1, "the shutdown delay never began")
            clock.advance(byMs: 1999)
            #expect(try await ops.api.get("/metrics").status == 200)
            clock.advance(byMs: 1)
            let server = ops.api.server
            #expect(await within { await server.stopped() } != nil, "still running after the delay")
        }
    }
}
