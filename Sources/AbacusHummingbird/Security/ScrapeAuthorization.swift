import Crypto
import Foundation
import HTTPTypes
public import Hummingbird

/// A credential a scraper may present to a metrics route (``RouterMethods/addMetricsRoute(registry:path:extraLabels:authorization:)``,
/// ``MetricsEndpoint``): a bearer token, as Prometheus sends with `bearer_token_file` or
/// `authorization`, or a user and password for HTTP basic auth.
///
/// Secrets are compared in constant time (their SHA-256, so even the length is not told) and
/// never appear in ``description``.
public struct ScrapeAuthorization: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case header(SHA256Digest)
        /// A file holding the token, read again when it changes (a Kubernetes secret).
        case tokenFile(String)
    }

    let kind: Kind
    let scheme: String

    /// `Authorization: Bearer <token>`.
    public static func bearerToken(_ token: String) -> ScrapeAuthorization {
        ScrapeAuthorization(kind: .header(SHA256.hash(data: Array(("Bearer " + token).utf8))), scheme: "Bearer")
    }

    /// `Authorization: Bearer <the file's contents>` (surrounding whitespace trimmed), the file
    /// read for each request so that a rotated token is taken at once; an unreadable or empty
    /// file lets nobody in.
    public static func bearerTokenFile(_ path: String) -> ScrapeAuthorization {
        ScrapeAuthorization(kind: .tokenFile(path), scheme: "Bearer")
    }

    /// HTTP basic authentication with this user and password.
    public static func basic(username: String, password: String) -> ScrapeAuthorization {
        let value = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        return ScrapeAuthorization(kind: .header(SHA256.hash(data: Array(value.utf8))), scheme: "Basic")
    }

    /// The scheme, without the secret: `Bearer <redacted>`.
    public var description: String { "\(scheme) <redacted>" }

    /// The `Authorization` header matches this credential.
    func accepts(_ header: Substring) -> Bool {
        let given = SHA256.hash(data: Array(header.utf8))
        switch kind {
        case .header(let expected):
            return Self.equal(given, expected)
        case .tokenFile(let path):
            guard let data = FileManager.default.contents(atPath: path),
                let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !token.isEmpty
            else { return false }
            return Self.equal(given, SHA256.hash(data: Array(("Bearer " + token).utf8)))
        }
    }

    static func equal(_ a: SHA256Digest, _ b: SHA256Digest) -> Bool {
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// Any of `credentials` matches the request's `Authorization` header (every one is tried).
    static func allows(_ request: Request, _ credentials: [ScrapeAuthorization]) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        var allowed = false
        for credential in credentials where credential.accepts(Substring(header)) { allowed = true }
        return allowed
    }

    /// `401 Unauthorized` with a challenge for each scheme configured.
    static func refusal(_ credentials: [ScrapeAuthorization]) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        for scheme in Set(credentials.map(\.scheme)).sorted() {
            headers.append(HTTPField(name: .wwwAuthenticate, value: scheme))
        }
        return Response(
            status: .unauthorized, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
    }
}

/// A responder that answers `401` unless the request carries one of the credentials, then
/// hands it to `next`.
struct AuthorizingResponder<Context: RequestContext, Next: HTTPResponder<Context>>: HTTPResponder {
    let credentials: [ScrapeAuthorization]
    let next: Next

    func respond(to request: Request, context: Context) async throws -> Response {
        guard ScrapeAuthorization.allows(request, credentials) else { return ScrapeAuthorization.refusal(credentials) }
        return try await next.respond(to: request, context: context)
    }
}
