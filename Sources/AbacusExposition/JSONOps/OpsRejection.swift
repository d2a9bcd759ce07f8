/// Why one JSON-lines ops message (or a stretch of bytes of an ops stream) was rejected.
///
/// ``reason`` is one of a small, closed set of stable snake_case codes, meant as the value of
/// the `reason` label of `abacus_ingest_rejected_total`; ``message`` says in words what was
/// wrong and where, for the log or an HTTP 400 body.
public struct OpsRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable reason. New reasons may be added; switch over
    /// ``OpsRejection/Reason/allCases`` or compare with the static members rather than assume
    /// the set is fixed.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        enum Code: String, Sendable, CaseIterable {
            case invalidJSON = "invalid_json"
            case messageTooLarge = "message_too_large"
            case missingField = "missing_field"
            case invalidField = "invalid_field"
            case unknownOp = "unknown_op"
            case invalidName = "invalid_name"
            case invalidLabel = "invalid_label"
            case negativeIncrement = "negative_increment"
            case nonFiniteValue = "non_finite_value"
            case invalidBuckets = "invalid_buckets"
            case limitExceeded = "limit_exceeded"
        }

        let code: Code

        /// The bytes are not JSON (RFC 8259), not an object, not valid UTF-8, nested too deeply,
        /// truncated, or are stray bytes between two messages of a stream.
        public static let invalidJSON = Reason(code: .invalidJSON)
        /// A message longer than the framer's maximum size; it is skipped.
        public static let messageTooLarge = Reason(code: .messageTooLarge)
        /// `name`, `op` or (for `inc`, `set`, `add`, `obs`) `value` is absent or `null`.
        public static let missingField = Reason(code: .missingField)
        /// A known field has the wrong JSON type, or appears twice.
        public static let invalidField = Reason(code: .invalidField)
        /// `op` is not one of `inc`, `set`, `add`, `obs`, `event`, `shutdown`.
        public static let unknownOp = Reason(code: .unknownOp)
        /// The metric name breaks the Prometheus rules (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
        public static let invalidName = Reason(code: .invalidName)
        /// A label name breaks the rules, is reserved (`__` prefix, `le` on a histogram), is
        /// repeated, or a label value is not a string.
        public static let invalidLabel = Reason(code: .invalidLabel)
        /// `inc` with a negative value.
        public static let negativeIncrement = Reason(code: .negativeIncrement)
        /// A value too large to be a finite `Double` (e.g. `1e400`).
        public static let nonFiniteValue = Reason(code: .nonFiniteValue)
        /// A bucket field is out of range or the layout it describes is unusable.
        public static let invalidBuckets = Reason(code: .invalidBuckets)
        /// A configured limit (``OpsLimits``) was exceeded: name, help or label value length, or
        /// label count.
        public static let limitExceeded = Reason(code: .limitExceeded)

        /// Every reason, e.g. to pre-create a counter per reason.
        public static var allCases: [Reason] { Code.allCases.map { Reason(code: $0) } }

        /// The snake_case code, e.g. `negative_increment`.
        public var rawValue: String { code.rawValue }

        /// The snake_case code.
        public var description: String { code.rawValue }
    }

    /// The machine-readable reason.
    public var reason: Reason
    /// What was wrong, in words.
    public var message: String

    /// Creates a rejection.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// `reason: message`.
    public var description: String { "\(reason.rawValue): \(message)" }
}
