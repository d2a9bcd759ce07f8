public import AbacusExposition

/// Why an ``OpsSender`` could not send.
public struct OpsSendError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New kinds may be added; `switch` over it with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidMessage = "invalid_message"
            case messageTooLarge = "message_too_large"
            case connect
            case write
            case timeout
            case cancelled
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A message the gateway would reject (``OpsSendError/rejection`` says why); nothing
        /// of the batch was sent.
        public static let invalidMessage = Code(.invalidMessage)
        /// A message longer than one datagram may be (UDP); nothing of the batch was sent.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The connection (or the UDP socket) could not be opened.
        public static let connect = Code(.connect)
        /// Writing failed, also after one reconnection.
        public static let write = Code(.write)
        /// Connecting or writing took longer than ``OpsSender/Configuration/timeout``.
        public static let timeout = Code(.timeout)
        /// The task was cancelled before the messages were written.
        public static let cancelled = Code(.cancelled)

        /// `invalid_message`, `message_too_large`, `connect`, `write`, `timeout` or `cancelled`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// Where the messages were going.
    public let endpoint: OpsEndpoint
    /// For ``Code/invalidMessage``: why the message is invalid, as the gateway would say it.
    public let rejection: OpsRejection?
    /// For ``Code/invalidMessage`` and ``Code/messageTooLarge``: the position of the message in
    /// the batch (0-based).
    public let messageIndex: Int?
    /// The error of the socket layer, if any.
    public let underlying: (any Error)?

    init(
        _ code: Code, endpoint: OpsEndpoint, rejection: OpsRejection? = nil, messageIndex: Int? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.endpoint = endpoint
        self.rejection = rejection
        self.messageIndex = messageIndex
        self.underlying = underlying
    }

    /// What failed, where, and why.
    public var description: String {
        var text = "ops to \(endpoint): \(code)"
        if let messageIndex { text += " (message \(messageIndex))" }
        if let rejection { text += ": \(rejection)" }
        if let underlying { text += ": \(underlying)" }
        return text
    }
}
