public import AsyncHTTPClient
import Foundation
public import NIOHTTP1
import NIOSSL

/// How a push is sent: the HTTP method of a push to a Pushgateway group.
public enum PushMethod: String, Sendable, Hashable, CaseIterable {
    /// `PUT`: the pushed families replace the whole group.
    case put = "PUT"
    /// `POST`: the pushed families replace the families of the same name in the group; the
    /// group's other families stay.
    case post = "POST"
}

/// The format of a push body.
public enum PushBodyFormat: String, Sendable, Hashable, CaseIterable {
    /// Prometheus text format 0.0.4, what every Pushgateway reads (the default).
    case text
    /// Varint-length-delimited `io.prometheus.client.MetricFamily` protobuf messages.
    case protobuf

    /// The `Content-Type` sent with the body.
    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .protobuf:
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        }
    }
}

/// Whether a push body is compressed.
public enum PushCompression: String, Sendable, Hashable, CaseIterable {
    /// The body as rendered.
    case none
    /// gzip, sent with `Content-Encoding: gzip`, which the Pushgateway (1.5.1 is tested here)
    /// and `abacus gateway` undo.
    case gzip
}

/// The credentials sent in the `Authorization` header of every request.
///
/// The secret never appears in ``description``, so a configuration can be logged.
public struct PushAuthorization: Sendable, Hashable, CustomStringConvertible {
    enum Source: Sendable, Hashable {
        case header(String)
        /// A file holding a bearer token, read for every request.
        case tokenFile(String)
    }

    let source: Source
    private let scheme: String

    private init(scheme: String, source: Source) {
        self.scheme = scheme
        self.source = source
    }

    /// The value of the `Authorization` header now (a token file read now; empty when it
    /// cannot be read).
    public var headerValue: String { (try? currentHeader()) ?? "" }

    /// The header value, or why the credentials cannot be read.
    func currentHeader() throws -> String {
        switch source {
        case .header(let value):
            return value
        case .tokenFile(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CredentialsError(message: "cannot read the token file \(path)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw CredentialsError(message: "the token file \(path) is empty") }
            return "Bearer " + token
        }
    }

    /// HTTP basic authentication: `Basic base64(username:password)` (RFC 7617).
    public static func basic(username: String, password: String) -> PushAuthorization {
        PushAuthorization(
            scheme: "Basic", source: .header("Basic " + Base64.encode(Array("\(username):\(password)".utf8))))
    }

    /// A bearer token: `Bearer <token>` (RFC 6750).
    public static func bearer(_ token: String) -> PushAuthorization {
        PushAuthorization(scheme: "Bearer", source: .header("Bearer " + token))
    }

    /// A bearer token read from `path` for every request (surrounding whitespace trimmed), so a
    /// token that is rotated on disk — a Kubernetes projected service account token — is sent
    /// as soon as it changes. A file that cannot be read fails the push with
    /// ``PushError/Code/credentials``.
    public static func bearerTokenFile(_ path: String) -> PushAuthorization {
        PushAuthorization(scheme: "Bearer", source: .tokenFile(path))
    }

    /// The scheme, without the secret: `Basic <redacted>`.
    public var description: String { "\(scheme) <redacted>" }
}

/// Why ``PushAuthorization`` has no header to send.
struct CredentialsError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The HTTP side of pushing, shared by ``PushgatewayClient`` and ``IntervalPusher``.
///
/// TLS: use an `https` URL. The client the pusher owns is made with
/// ``httpClientConfiguration``, whose `tlsConfiguration` (swift-nio-ssl's
/// `TLSConfiguration`) sets trust roots, client certificates or certificate verification; a
/// client passed in brings its own.
public struct PushConfiguration: Sendable {
    /// Longest time one request may take, connection included (default 10 s). Past it the
    /// request is abandoned with ``PushError/Code/timeout``. A refused connection is retried
    /// by AsyncHTTPClient until then, and the error is then ``PushError/Code/transport``.
    public var timeout: Duration
    /// Credentials for the `Authorization` header, if any.
    public var authorization: PushAuthorization?
    /// The body format (default text 0.0.4).
    public var format: PushBodyFormat
    /// The body compression (default none).
    public var compression: PushCompression
    /// Further headers sent with every request (e.g. a tenant header of a proxy).
    public var headers: HTTPHeaders
    /// The configuration of the `HTTPClient` the pusher makes when it is not given one: TLS,
    /// proxy, connection pool, redirects.
    public var httpClientConfiguration: HTTPClient.Configuration

    /// Presents a client certificate (mTLS) and trusts a CA for the server's certificate, both
    /// PEM files read now: sets ``httpClientConfiguration``'s `tlsConfiguration`. `caFile`
    /// `nil`: the system's roots. Throws when a file cannot be read.
    public mutating func useTLS(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
        if let certificateFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
        }
        if let keyFile { tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)) }
        httpClientConfiguration.tlsConfiguration = tls
    }

    /// Creates a configuration; every argument has the documented default.
    public init(
        timeout: Duration = .seconds(10), authorization: PushAuthorization? = nil, format: PushBodyFormat = .text,
        compression: PushCompression = .none, headers: HTTPHeaders = [:],
        httpClientConfiguration: HTTPClient.Configuration = HTTPClient.Configuration()
    ) {
        self.timeout = timeout
        self.authorization = authorization
        self.format = format
        self.compression = compression
        self.headers = headers
        self.httpClientConfiguration = httpClientConfiguration
    }
}

/// Standard base64 with padding (RFC 4648 §4), for basic authentication.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let n = min(3, bytes.count - index)
            let b0 = UInt32(bytes[index])
            let b1 = n > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = n > 2 ? UInt32(bytes[index + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(n > 1 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(n > 2 ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
