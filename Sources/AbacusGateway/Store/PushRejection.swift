/// Why a push (or a delete) was refused: the HTTP status, a reason label for the
/// `abacus_push_rejections_total{reason}` counter, and a message for the client that says what
/// was wrong and what to do instead.
public struct PushRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status the client gets: 400 for an invalid or inconsistent push, 413 for one
    /// too large, 415 for an unknown encoding, 429 when the store is full, 403 for a disabled
    /// endpoint.
    public var status: Int
    /// A short, fixed reason (`parse`, `timestamp`, `type_conflict`, `duplicate_series`, …),
    /// used as a metric label.
    public var reason: String
    /// The message the client reads.
    public var message: String

    /// A rejection with its status, reason label and message.
    public init(status: Int, reason: String, _ message: String) {
        self.status = status
        self.reason = reason
        self.message = message
    }

    public var description: String { message }

    static func invalid(_ reason: String, _ message: String) -> PushRejection {
        PushRejection(status: 400, reason: reason, message)
    }
}
