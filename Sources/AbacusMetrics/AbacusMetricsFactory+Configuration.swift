public import Abacus

extension AbacusMetricsFactory {
    /// How a timer or an aggregating recorder is exported: a histogram with these buckets, or a
    /// summary with these objectives.
    ///
    /// Prefer histograms: they aggregate across instances and cost one atomic increment per
    /// observation. A summary with quantiles takes a lock per observation (see
    /// `AbacusSummary`).
    public enum Distribution: Sendable, Hashable {
        /// A histogram with these bucket bounds.
        case histogram(Buckets)
        /// A summary with these objectives (`SummaryObjectives()` for `_sum` and `_count` only).
        case summary(SummaryObjectives)
    }

    /// What the factory exports timers and aggregating recorders as, and the HELP texts.
    ///
    /// Overrides are keyed by the swift-metrics label exactly as the code gives it
    /// (`"db.query"`, not the sanitised `db_query_seconds`):
    ///
    /// ```swift
    /// let configuration = AbacusMetricsFactory.Configuration(
    ///     timers: .histogram(.exponential(start: 0.001, factor: 2, count: 14)),
    ///     timerOverrides: ["db.query": .summary(.common)],
    ///     recorderOverrides: ["payload.size": .histogram(.exponential(start: 256, factor: 4, count: 8))],
    ///     help: ["http.requests": "HTTP requests served."])
    /// ```
    ///
    /// Every metric of one name must be registered the same way: when two labels that sanitise
    /// to the same name ask for different buckets, the second is not exported (see
    /// ``AbacusMetricsFactory/rejections``).
    public struct Configuration: Sendable {
        /// Timers without an override: a histogram with `Buckets.default` (meant for seconds)
        /// unless set otherwise.
        public var timers: Distribution
        /// Recorders (`aggregate: true`) without an override: a histogram with
        /// `Buckets.default` unless set otherwise.
        public var recorders: Distribution
        /// Per-label choices for timers, keyed by the swift-metrics label.
        public var timerOverrides: [String: Distribution]
        /// Per-label choices for aggregating recorders, keyed by the swift-metrics label.
        public var recorderOverrides: [String: Distribution]
        /// HELP texts, keyed by the swift-metrics label; metrics without one have no HELP line.
        public var help: [String: String]

        /// Creates a configuration; the defaults export timers and recorders as histograms
        /// with `Buckets.default`, without HELP texts.
        public init(
            timers: Distribution = .histogram(.default),
            recorders: Distribution = .histogram(.default),
            timerOverrides: [String: Distribution] = [:],
            recorderOverrides: [String: Distribution] = [:],
            help: [String: String] = [:]
        ) {
            self.timers = timers
            self.recorders = recorders
            self.timerOverrides = timerOverrides
            self.recorderOverrides = recorderOverrides
            self.help = help
        }

        /// The distribution for the timer `label`.
        func timer(_ label: String) -> Distribution { timerOverrides[label] ?? timers }

        /// The distribution for the aggregating recorder `label`.
        func recorder(_ label: String) -> Distribution { recorderOverrides[label] ?? recorders }
    }
}
