public import AbacusExposition

/// Ready-made messages of the JSON-lines ops protocol (docs/ops.md), named by what they do.
///
/// ```swift
/// try await sender.send([
///     .increment("jobs_total", labels: [Label("queue", "mail")], help: "Jobs run"),
///     .set("queue_depth", to: 17, labels: [Label("queue", "mail")]),
///     .observe("job_seconds", 0.42, buckets: .custom([0.1, 0.5, 1, 5])),
/// ])
/// ```
extension OpsMessage {
    /// `inc`: adds `amount` (≥ 0) to the counter `name`.
    public static func increment(
        _ name: String, by amount: Double = 1, labels: [Label] = [], help: String? = nil
    ) -> OpsMessage {
        OpsMessage(name: name, help: help, labels: labels, op: .inc, value: amount)
    }

    /// `set`: sets the gauge `name` to `value`.
    public static func set(_ name: String, to value: Double, labels: [Label] = [], help: String? = nil) -> OpsMessage {
        OpsMessage(name: name, help: help, labels: labels, op: .set, value: value)
    }

    /// `add`: adds `amount` (of either sign) to the gauge `name` (an Abacus addition to the
    /// original protocol).
    public static func add(_ name: String, _ amount: Double, labels: [Label] = [], help: String? = nil) -> OpsMessage {
        OpsMessage(name: name, help: help, labels: labels, op: .add, value: amount)
    }

    /// `obs`: one observation of the histogram `name`. `buckets` is sent as bucket fields and
    /// fixes the layout if this is the series' first observation (default: 20 linear buckets
    /// 10 apart).
    public static func observe(
        _ name: String, _ value: Double, labels: [Label] = [], buckets: HistogramLayout = .default,
        help: String? = nil
    ) -> OpsMessage {
        OpsMessage(name: name, help: help, labels: labels, op: .obs, value: value, histogram: buckets)
    }

    /// `event`: a raw event for the gateway's event sinks.
    public static func event(_ name: String, value: Double = 0, labels: [Label] = []) -> OpsMessage {
        OpsMessage(name: name, labels: labels, op: .event, value: value)
    }

    /// `shutdown`: asks the gateway to stop gracefully (honoured only with
    /// `--ops.enable-shutdown`).
    public static var shutdown: OpsMessage { OpsMessage(name: "", op: .shutdown, value: 0) }
}
