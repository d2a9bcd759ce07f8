public import AbacusExposition

/// What applying a batch of ops did.
public struct OpsOutcome: Sendable {
    /// One rejected message (or skipped stretch of bytes).
    public struct Rejection: Sendable, Equatable {
        /// 1-based position of the message in the batch.
        public let ordinal: Int
        /// Stable snake_case reason (an ``OpsRejection/Reason`` or a store reason such as
        /// `type_conflict`, `label_conflict`, `duplicate_series`, `too_many_series`,
        /// `shutdown_disabled`).
        public let reason: String
        /// What was wrong, in words.
        public let message: String
    }

    /// Accepted messages per operation, in ``OpsOperation/allCases`` order (a tuple: an
    /// outcome allocates nothing unless something is rejected).
    var acceptedCounts: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// Accepted messages of `op`.
    public func accepted(_ op: OpsOperation) -> Int {
        switch op {
        case .inc: acceptedCounts.0
        case .set: acceptedCounts.1
        case .add: acceptedCounts.2
        case .obs: acceptedCounts.3
        case .event: acceptedCounts.4
        case .index: acceptedCounts.5
        case .raw: acceptedCounts.6
        case .shutdown: acceptedCounts.7
        }
    }

    /// Rejected messages, in order.
    public internal(set) var rejections: [Rejection] = []
    /// Messages seen (accepted + rejected).
    public internal(set) var messages = 0
    /// A permitted `shutdown` was among them.
    public internal(set) var shutdownRequested = false
    /// The journal ticket covering the changes, when the batch asked to commit.
    public internal(set) var ticket: Journal.Ticket?

    /// Messages accepted in all.
    public var accepted: Int {
        acceptedCounts.0 + acceptedCounts.1 + acceptedCounts.2 + acceptedCounts.3 + acceptedCounts.4
            + acceptedCounts.5 + acceptedCounts.6 + acceptedCounts.7
    }

    @inline(__always)
    mutating func count(_ op: OpsOperation) {
        messages += 1
        switch op {
        case .inc: acceptedCounts.0 += 1
        case .set: acceptedCounts.1 += 1
        case .add: acceptedCounts.2 += 1
        case .obs: acceptedCounts.3 += 1
        case .event: acceptedCounts.4 += 1
        case .index: acceptedCounts.5 += 1
        case .raw: acceptedCounts.6 += 1
        case .shutdown: acceptedCounts.7 += 1
        }
    }

    mutating func reject(_ reason: String, _ message: String) {
        messages += 1
        rejections.append(Rejection(ordinal: messages, reason: reason, message: message))
    }
}
