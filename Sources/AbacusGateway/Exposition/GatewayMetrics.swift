import Abacus
public import AbacusExposition
import Synchronization

/// The gateway's own metrics, served on `/metrics` with the pushed ones: HTTP requests, pushes
/// by outcome, rejections by reason, groups and sample lines stored, journal commits,
/// expirations, and the process metrics. See docs/gateway.md for the catalogue.
///
/// Updates take one short lock; these are counted once per request, not per series.
public final class GatewayMetrics: Sendable {
    /// Buckets of `abacus_journal_commit_duration_seconds`.
    static let commitBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    struct State {
        var requests: [RequestKey: Double] = [:]
        var pushes: [PushKey: Double] = [:]
        var rejections: [String: Double] = [:]
        var commitCounts = [Double](repeating: 0, count: GatewayMetrics.commitBuckets.count)
        var commitCount: Double = 0
        var commitSum: Double = 0
        var commitFailures: Double = 0
        var expired: Double = 0
        var expiredSeries: Double = 0
        /// Accepted ops by transport and op, in ``IngestTransport/allCases`` × ``OpsOperation/allCases`` order.
        var ingested = [Double](repeating: 0, count: IngestTransport.allCases.count * OpsOperation.allCases.count)
        var ingestRejected: [IngestKey: Double] = [:]
        var refusedConnections: [String: Double] = [:]
    }

    struct IngestKey: Hashable, Comparable {
        var transport: String
        /// The op, or the rejection reason.
        var kind: String
        static func < (a: IngestKey, b: IngestKey) -> Bool { (a.transport, a.kind) < (b.transport, b.kind) }
    }

    struct RequestKey: Hashable {
        var handler: String
        var method: String
        var code: Int
    }

    struct PushKey: Hashable {
        var method: String
        var outcome: String
    }

    let state = Mutex(State())
    let process = ProcessMetrics()
    let version: String
    /// Reads the UDP socket's receive-buffer drops, when a UDP listener runs.
    let udpDrops = Mutex<(@Sendable () -> Double?)?>(nil)
    /// Reads the security counts, when `--web.config.file` or `--web.auth.file` is given.
    let securityCounts = Mutex<(@Sendable () -> GatewaySecurity.Counts)?>(nil)

    public init(version: String) {
        self.version = version
    }

    /// Names and types of every family ``families(groups:lines:)`` can return: pushes must
    /// agree with them.
    public static let names: [(String, MetricType)] = [
        ("abacus_build_info", .gauge),
        ("abacus_expired_groups_total", .counter),
        ("abacus_aggregated_series", .gauge),
        ("abacus_expired_series_total", .counter),
        ("abacus_groups", .gauge),
        ("abacus_http_requests_total", .counter),
        ("abacus_http_refused_total", .counter),
        ("abacus_security_config_last_reload_success_timestamp_seconds", .gauge),
        ("abacus_security_config_last_reload_successful", .gauge),
        ("abacus_security_config_reload_failures_total", .counter),
        ("abacus_tls_clients_refused_total", .counter),
        ("abacus_ingest_messages_total", .counter),
        ("abacus_ingest_rejected_total", .counter),
        ("abacus_ingest_connections_refused_total", .counter),
        ("abacus_ingest_udp_receive_buffer_drops_total", .counter),
        ("abacus_journal_commit_duration_seconds", .histogram),
        ("abacus_journal_commit_failures_total", .counter),
        ("abacus_push_rejections_total", .counter),
        ("abacus_pushes_total", .counter),
        ("abacus_series", .gauge),
        ("abacus_storage_uncommitted_changes", .gauge),
        ("abacus_runtime_malloc_free_bytes", .gauge),
        ("abacus_runtime_malloc_in_use_bytes", .gauge),
        ("abacus_runtime_malloc_system_bytes", .gauge),
        ("process_cpu_seconds_total", .counter),
        ("process_max_fds", .gauge),
        ("process_network_receive_bytes_total", .counter),
        ("process_network_transmit_bytes_total", .counter),
        ("process_open_fds", .gauge),
        ("process_resident_memory_bytes", .gauge),
        ("process_start_time_seconds", .gauge),
        ("process_threads", .gauge),
        ("process_virtual_memory_bytes", .gauge),
        ("process_virtual_memory_max_bytes", .gauge),
    ]

    func countRequest(handler: String, method: String, code: Int) {
        state.withLock { $0.requests[RequestKey(handler: handler, method: method, code: code), default: 0] += 1 }
    }

    func countPush(method: String, outcome: String) {
        state.withLock { $0.pushes[PushKey(method: method, outcome: outcome), default: 0] += 1 }
    }

    func countRejection(reason: String) {
        state.withLock { $0.rejections[reason, default: 0] += 1 }
    }

    func countExpired(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.expired += Double(count) }
    }

    func countRefusedConnection(transport: IngestTransport) {
        state.withLock { $0.refusedConnections[transport.rawValue, default: 0] += 1 }
    }

    func countExpiredSeries(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.expiredSeries += Double(count) }
    }

    /// Counts what one batch of ops did on `transport`.
    func countIngest(_ outcome: OpsOutcome, transport: IngestTransport) {
        guard outcome.messages > 0 else { return }
        let row = Self.transportIndex(transport) * Self.ops.count
        let counts = outcome.acceptedCounts
        state.withLock { state in
            state.ingested[row] += Double(counts.0)
            state.ingested[row + 1] += Double(counts.1)
            state.ingested[row + 2] += Double(counts.2)
            state.ingested[row + 3] += Double(counts.3)
            state.ingested[row + 4] += Double(counts.4)
            state.ingested[row + 5] += Double(counts.5)
            state.ingested[row + 6] += Double(counts.6)
            state.ingested[row + 7] += Double(counts.7)
            for rejection in outcome.rejections {
                state.ingestRejected[IngestKey(transport: transport.rawValue, kind: rejection.reason), default: 0] += 1
            }
        }
    }

    /// The ops in the order of ``OpsOutcome``'s counts (inc, set, add, obs, event, index, raw,
    /// shutdown).
    static let ops: [OpsOperation] = [.inc, .set, .add, .obs, .event, .index, .raw, .shutdown]

    static func transportIndex(_ transport: IngestTransport) -> Int {
        switch transport {
        case .udp: 0
        case .unix: 1
        case .tcp: 2
        case .http: 3
        }
    }

    func observeCommit(seconds: Double, failed: Bool) {
        state.withLock { state in
            for (index, bound) in Self.commitBuckets.enumerated() where seconds <= bound {
                state.commitCounts[index] += 1
            }
            state.commitCount += 1
            state.commitSum += seconds
            if failed { state.commitFailures += 1 }
        }
    }

    /// The families, sorted by name. `process` families come from /proc (Linux).
    public func families(groups: Int, lines: Int, aggregated: Int = 0, uncommitted: Int = 0) -> [MetricFamily] {
        let state = state.withLock { $0 }
        let drops = udpDrops.withLock { $0 }?()
        var families: [MetricFamily] = [
            MetricFamily(
                name: "abacus_aggregated_series", type: .gauge,
                help: "Series aggregated from JSON ops and aggregating pushes.",
                metrics: [Metric(value: .gauge(Double(aggregated)))]),
            counter(
                "abacus_expired_series_total", "Aggregated series deleted because no update came within --metric-ttl.",
                [([], state.expiredSeries)]),
            counter(
                "abacus_ingest_messages_total", "JSON-lines ops applied, by transport and op.",
                ingestedSeries(state.ingested)),
            counter(
                "abacus_ingest_rejected_total",
                "JSON-lines ops (or stretches of bytes) rejected, by transport and reason.",
                state.ingestRejected.sorted { $0.key < $1.key }.map {
                    ([Label("reason", $0.key.kind), Label("transport", $0.key.transport)], $0.value)
                }),
            MetricFamily(
                name: "abacus_build_info", type: .gauge, help: "The running abacus gateway, always 1.",
                metrics: [Metric(labels: [Label("version", version)], value: .gauge(1))]),
            counter(
                "abacus_expired_groups_total", "Groups deleted because their time to live ran out.",
                [([], state.expired)]),
            MetricFamily(
                name: "abacus_groups", type: .gauge, help: "Groups stored.",
                metrics: [Metric(value: .gauge(Double(groups)))]),
            counter(
                "abacus_http_requests_total", "HTTP requests answered, by handler, method and status code.",
                state.requests.sorted {
                    ($0.key.handler, $0.key.method, $0.key.code) < ($1.key.handler, $1.key.method, $1.key.code)
                }
                .map {
                    (
                        [
                            Label("code", String($0.key.code)), Label("handler", $0.key.handler),
                            Label("method", $0.key.method),
                        ],
                        $0.value
                    )
                }),
            commitHistogram(state),
            counter(
                "abacus_journal_commit_failures_total", "Storage transactions that failed.",
                [([], state.commitFailures)]),
            counter(
                "abacus_push_rejections_total", "Pushes refused, by reason.",
                state.rejections.sorted { $0.key < $1.key }.map { ([Label("reason", $0.key)], $0.value) }),
            counter(
                "abacus_pushes_total", "Pushes (PUT, POST, DELETE) by method and outcome (accepted, rejected, failed).",
                state.pushes.sorted { ($0.key.method, $0.key.outcome) < ($1.key.method, $1.key.outcome) }
                    .map { ([Label("method", $0.key.method), Label("outcome", $0.key.outcome)], $0.value) }),
            MetricFamily(
                name: "abacus_series", type: .gauge,
                help: "Sample lines stored, over all groups and aggregated series.",
                metrics: [Metric(value: .gauge(Double(lines)))]),
            MetricFamily(
                name: "abacus_storage_uncommitted_changes", type: .gauge,
                help:
                    "Changes applied in memory and not yet committed to storage (socket ops wait for the next "
                    + "--ops.commit-interval); 0 when everything applied is durable.",
                metrics: [Metric(value: .gauge(Double(uncommitted)))]),
        ]
        if !state.refusedConnections.isEmpty {
            families.append(
                counter(
                    "abacus_ingest_connections_refused_total",
                    "Ops connections closed at once because the peer is not in the allow-list "
                        + "(--ops.unix-socket-allow-uids, --ops.unix-socket-allow-gids).",
                    state.refusedConnections.sorted { $0.key < $1.key }.map { ([Label("transport", $0.key)], $0.value) }
                ))
        }
        if let drops {
            families.append(
                counter(
                    "abacus_ingest_udp_receive_buffer_drops_total",
                    "Datagrams the kernel dropped because the UDP socket's receive buffer was full.", [([], drops)]))
        }
        if let security = securityCounts.withLock({ $0 })?() {
            families.append(
                counter(
                    "abacus_http_refused_total",
                    "Requests refused before their handler: unauthorized (401), forbidden (403: a role is missing), "
                        + "rate_limited (429).",
                    security.authRefusals.sorted { $0.key < $1.key }.map { ([Label("reason", $0.key)], $0.value) }))
            families.append(
                MetricFamily(
                    name: "abacus_security_config_last_reload_successful", type: .gauge,
                    help: "1 if the last reading of --web.config.file and --web.auth.file succeeded, else 0.",
                    metrics: [Metric(value: .gauge(security.lastReloadSuccessful ? 1 : 0))]))
            families.append(
                MetricFamily(
                    name: "abacus_security_config_last_reload_success_timestamp_seconds", type: .gauge,
                    help: "When --web.config.file and --web.auth.file were last read successfully.",
                    metrics: [Metric(value: .gauge(security.lastReloadSeconds))]))
            families.append(
                counter(
                    "abacus_security_config_reload_failures_total",
                    "Changed security files that could not be used (the previous settings stayed in force).",
                    [([], security.reloadFailures)]))
            families.append(
                counter(
                    "abacus_tls_clients_refused_total",
                    "TLS connections closed because the client certificate held none of client_allowed_sans.",
                    [([], security.tlsRefusals)]))
        }
        families.append(contentsOf: process.collect().filter { name in Self.names.contains { $0.0 == name.name } })
        families.sort { $0.name < $1.name }
        return families
    }

    /// The non-zero accepted-op counts as series sorted by labels (op, then transport).
    private func ingestedSeries(_ counts: [Double]) -> [([Label], Double)] {
        var series: [([Label], Double)] = []
        for transport in IngestTransport.allCases {
            for (position, op) in Self.ops.enumerated() {
                let value = counts[Self.transportIndex(transport) * Self.ops.count + position]
                if value > 0 {
                    series.append(([Label("op", op.rawValue), Label("transport", transport.rawValue)], value))
                }
            }
        }
        return series.sorted { ($0.0[0].value, $0.0[1].value) < ($1.0[0].value, $1.0[1].value) }
    }

    private func counter(_ name: String, _ help: String, _ series: [([Label], Double)]) -> MetricFamily {
        MetricFamily(
            name: name, type: .counter, help: help,
            metrics: series.map { Metric(labels: $0.0, value: .counter(CounterValue($0.1))) })
    }

    private func commitHistogram(_ state: State) -> MetricFamily {
        var buckets: [Bucket] = []
        for (index, bound) in Self.commitBuckets.enumerated() {
            buckets.append(Bucket(upperBound: bound, cumulativeCount: state.commitCounts[index]))
        }
        buckets.append(Bucket(upperBound: .infinity, cumulativeCount: state.commitCount))
        return MetricFamily(
            name: "abacus_journal_commit_duration_seconds", type: .histogram,
            help: "Time to commit one storage transaction (a batch of pushes).",
            metrics: [
                Metric(
                    value: .histogram(HistogramValue(buckets: buckets, count: state.commitCount, sum: state.commitSum)))
            ])
    }
}
