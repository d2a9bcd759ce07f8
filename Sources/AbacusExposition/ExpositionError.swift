/// Why an exposition (or one message of the JSON-lines protocol) was rejected.
///
/// The `message` is written for the person who sent the input: it names the offending token
/// and what was expected. Parsers of line-based formats set `line` (1-based).
public struct ExpositionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line the problem was found on, when the format is line-based.
    public var line: Int?
    /// What is wrong, in words.
    public var message: String

    /// Creates an error.
    public init(line: Int? = nil, _ message: String) {
        self.line = line
        self.message = message
    }

    /// `line N: message`, or just the message.
    public var description: String {
        if let line { return "line \(line): \(message)" }
        return message
    }
}
