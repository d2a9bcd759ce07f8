/// Why a metric could not be registered. Registration never traps: every problem with a name,
/// label names, buckets or objectives, and every clash with what is registered, is one of these.
public struct RegistrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Error, Sendable, Equatable {
        /// Not a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
        case invalidName
        /// A label name that is not valid, reserved (`__…`, or `le`/`quantile` where the type
        /// uses it) or given twice.
        case invalidLabelName(String)
        /// The unit is not a suffix of the name, or not a valid name part.
        case invalidUnit(String)
        /// Histogram bounds that are not finite and increasing.
        case invalidBuckets(String)
        /// Summary objectives out of range.
        case invalidObjectives(String)
        /// The name, or a sample name it exposes (`_bucket`, `_count`, …), is taken by a family
        /// registered differently (another type, labels, help, buckets or objectives).
        case conflict(with: String)
    }

    /// The family name the registration asked for.
    public let name: String
    /// What is wrong.
    public let reason: Reason

    /// Creates an error.
    public init(name: String, reason: Reason) {
        self.name = name
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .invalidName: "\(name): not a valid metric name"
        case .invalidLabelName(let label): "\(name): label name \(label) is invalid, reserved or repeated"
        case .invalidUnit(let why): "\(name): \(why)"
        case .invalidBuckets(let why): "\(name): invalid buckets: \(why)"
        case .invalidObjectives(let why): "\(name): invalid summary objectives: \(why)"
        case .conflict(let other): "\(name): conflicts with the registered family \(other)"
        }
    }
}
