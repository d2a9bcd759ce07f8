/// Why a push, add or delete failed.
///
/// ``code`` says what kind of failure it was; for ``Code/httpStatus`` the server answered and
/// ``status`` and ``body`` hold its answer (the Pushgateway and `abacus gateway` say in the body
/// why they refused a push).
///
/// ```swift
/// do {
///     try await client.push(registry, to: key)
/// } catch let error where error.code == .httpStatus {
///     print("refused with \(error.status!): \(error.body)")
/// }
/// ```
public struct PushError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New kinds may be added; `switch` over it with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case httpStatus = "http_status"
            case timeout
            case transport
            case invalidURL = "invalid_url"
            case encoding
            case cancelled
            case credentials
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The server answered with a status outside 2xx.
        public static let httpStatus = Code(.httpStatus)
        /// No complete answer within ``PushConfiguration/timeout`` (or the client's connect timeout).
        public static let timeout = Code(.timeout)
        /// The connection failed or broke: refused, reset, TLS handshake, name resolution.
        public static let transport = Code(.transport)
        /// The URL cannot be used (no scheme or host, an unsupported scheme).
        public static let invalidURL = Code(.invalidURL)
        /// The body could not be compressed.
        public static let encoding = Code(.encoding)
        /// The task was cancelled while the request ran.
        public static let cancelled = Code(.cancelled)
        /// The credentials could not be read (``PushAuthorization/bearerTokenFile(_:)``).
        public static let credentials = Code(.credentials)

        /// `http_status`, `timeout`, `transport`, `invalid_url`, `encoding`, `cancelled` or
        /// `credentials`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The HTTP method of the failed request (`PUT`, `POST`, `DELETE`).
    public let method: String
    /// The URL of the failed request.
    public let url: String
    /// The HTTP status the server answered, for ``Code/httpStatus``.
    public let status: Int?
    /// The text of the server's answer (at most 64 KiB), empty when there was none.
    public let body: String
    /// The error of the HTTP client, for ``Code/transport``, ``Code/timeout``,
    /// ``Code/invalidURL`` and ``Code/encoding``.
    public let underlying: (any Error)?

    init(
        _ code: Code, method: String, url: String, status: Int? = nil, body: String = "",
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        self.underlying = underlying
    }

    /// `PUT http://…/metrics/job/x: HTTP 400: <body>`, or the kind of failure and the
    /// underlying error.
    public var description: String {
        var text = "\(method) \(url): "
        if let status {
            text += "HTTP \(status)"
            let trimmed = body.trimmingWhitespace()
            if !trimmed.isEmpty { text += ": " + trimmed }
        } else {
            text += code.description
            if let underlying { text += ": \(underlying)" }
        }
        return text
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
