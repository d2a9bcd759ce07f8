import AbacusExposition
import Logging
import Synchronization

/// What every ops transport does with a batch: apply it to the store under one lock, count it
/// (`abacus_ingest_messages_total`, `abacus_ingest_rejected_total`), log rejections at debug
/// level (at most ten a second, then a count of the ones left out), and start the graceful
/// shutdown when a permitted `shutdown` op came.
final class OpsIngest: Sendable {
    let core: GatewayCore
    let policy: OpsPolicy
    let logLimiter = Mutex<(second: Int64, logged: Int, suppressed: Int)>((0, 0, 0))
    /// `event`, `index` and `raw` ops dropped since the last log line about them, and when
    /// that line was written (no sink takes them yet: they are counted, and said at most once
    /// a minute).
    let sinkless = Mutex<(lastLogMs: Int64?, event: Int, index: Int, raw: Int)>((nil, 0, 0, 0))

    init(core: GatewayCore) {
        self.core = core
        var policy = OpsPolicy()
        policy.limits = core.configuration.ops.limits
        policy.extraLabels = core.configuration.extraLabels
        if core.configuration.ops.enableShutdown { policy.shutdownRefusal = nil }
        self.policy = policy
    }

    /// The policy for `POST /api/v1/ops` by `principal`: with credentials configured, the
    /// `shutdown` op needs the `admin` role, as `/-/quit` does.
    func policy(for principal: Principal) -> OpsPolicy {
        guard policy.shutdownRefusal == nil, !principal.roles.contains(.admin) else { return policy }
        var restricted = policy
        restricted.shutdownRefusal = "shutdown over HTTP needs the admin role (\(principal.name) does not have it)"
        return restricted
    }

    /// The policy for a UDP datagram from a sender that is (not) on loopback.
    func policy(loopback: Bool) -> OpsPolicy {
        guard !loopback, policy.shutdownRefusal == nil else { return policy }
        var remote = policy
        remote.shutdownRefusal = "shutdown over UDP is honoured only from loopback"
        return remote
    }

    /// Applies what `read` produces and accounts for it.
    @discardableResult
    func apply(
        transport: IngestTransport, policy: OpsPolicy? = nil, commit: Bool = false,
        _ read: ((OpsItem) -> Void) -> Void
    ) -> OpsOutcome {
        let outcome = core.store.applyOps(
            policy: policy ?? self.policy, nowMs: core.clock.nowMs(), commit: commit, read)
        account(outcome, transport: transport)
        return outcome
    }

    func account(_ outcome: OpsOutcome, transport: IngestTransport) {
        core.metrics.countIngest(outcome, transport: transport)
        if !outcome.rejections.isEmpty, core.logger.logLevel <= .debug { log(outcome.rejections, transport) }
        if outcome.accepted(.event) + outcome.accepted(.index) + outcome.accepted(.raw) > 0 { dropped(outcome) }
        if outcome.shutdownRequested {
            core.logger.info("shutdown requested by an ops message", metadata: ["transport": "\(transport)"])
            core.requestShutdown()
        }
    }

    /// `event` (Loki), `index` (OpenSearch) and `raw` (ScyllaDB) ops are counted in
    /// `abacus_ingest_messages_total` and dropped while no sink for them is configured; one
    /// info line a minute at most says how many went.
    func dropped(_ outcome: OpsOutcome) {
        let nowMs = GatewayClock.systemNowMs()
        let counts = sinkless.withLock { state -> (event: Int, index: Int, raw: Int)? in
            state.event += outcome.accepted(.event)
            state.index += outcome.accepted(.index)
            state.raw += outcome.accepted(.raw)
            if let last = state.lastLogMs, nowMs - last < 60_000 { return nil }
            defer { state = (nowMs, 0, 0, 0) }
            return (state.event, state.index, state.raw)
        }
        guard let counts else { return }
        core.logger.info(
            "ops for a sink that is not configured were dropped (event: Loki, index: OpenSearch, raw: a table)",
            metadata: ["event": "\(counts.event)", "index": "\(counts.index)", "raw": "\(counts.raw)"])
    }

    /// Counts a rejection found outside the store (e.g. a truncated message at the end of a
    /// stream, an oversized datagram).
    func reject(_ rejection: OpsRejection, transport: IngestTransport) {
        var outcome = OpsOutcome()
        outcome.reject(rejection.reason.rawValue, rejection.message)
        account(outcome, transport: transport)
    }

    func log(_ rejections: [OpsOutcome.Rejection], _ transport: IngestTransport) {
        let second = core.clock.nowMs() / 1000
        let (allowed, suppressedBefore) = logLimiter.withLock { state -> (Int, Int) in
            var suppressed = 0
            if state.second != second {
                suppressed = state.suppressed
                state = (second, 0, 0)
            }
            let allowed = max(0, min(rejections.count, 10 - state.logged))
            state.logged += allowed
            state.suppressed += rejections.count - allowed
            return (allowed, suppressed)
        }
        if suppressedBefore > 0 {
            core.logger.debug("ops rejections not logged (rate limit)", metadata: ["count": "\(suppressedBefore)"])
        }
        for rejection in rejections.prefix(allowed) {
            core.logger.debug(
                "ops message rejected",
                metadata: [
                    "transport": "\(transport)", "reason": "\(rejection.reason)", "error": "\(rejection.message)",
                ])
        }
    }
}
