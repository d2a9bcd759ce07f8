public import AbacusExposition

/// What an ops reader may do, fixed per listener (and, for UDP, per sender).
public struct OpsPolicy: Sendable {
    /// Limits of one message.
    public var limits: OpsLimits = .default
    /// Labels added to every aggregated series that does not have them.
    public var extraLabels: [Label] = []
    /// `nil` when `shutdown` is honoured; else why it is not (rejected and counted).
    public var shutdownRefusal: String? = "shutdown is not enabled (start the gateway with --ops.enable-shutdown)"

    public init() {}
}
