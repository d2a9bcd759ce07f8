import Foundation

/// `--web.config.file`: the Prometheus exporter-toolkit's web configuration, in its format,
/// unchanged, so a Pushgateway's file works as it is (docs/security.md):
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt
///   key_file: server.key
///   client_auth_type: RequireAndVerifyClientCert
///   client_ca_file: ca.crt
/// http_server_config:
///   headers: {X-Frame-Options: deny}
/// basic_auth_users:
///   alice: $2y$10$…
/// rate_limit: {interval: 100ms, burst: 10}
/// ```
///
/// Unknown keys are refused, as the toolkit's strict parser does. Relative file names are
/// relative to the file's directory.
public struct WebConfig: Sendable, Equatable {
    /// `tls_server_config`: HTTPS when ``TLS/isEnabled``.
    public var tls = TLS()
    /// `http_server_config.http2`. Read and kept for compatibility: the gateway serves HTTP/1.1.
    public var http2 = true
    /// `http_server_config.headers`, checked against the toolkit's allowed headers and values.
    public var headers: [Header] = []
    /// `basic_auth_users`: user name → bcrypt hash. Every user here has every role.
    public var users: [String: String] = [:]
    /// `rate_limit`: one token bucket for every request (health checks excepted).
    public var rateLimit: RateLimit?

    /// Plain HTTP, no users, no headers, no limit: an empty file.
    public init() {}

    /// One response header.
    public struct Header: Sendable, Equatable {
        /// The header's name, as the toolkit allows it.
        public var name: String
        /// Its value.
        public var value: String
    }

    /// `rate_limit`: `burst` requests at once, refilled one per `interval`.
    public struct RateLimit: Sendable, Equatable {
        /// One token comes back per interval.
        public var intervalNanoseconds: Int64
        /// Requests allowed at once (the bucket's size).
        public var burst: Int
    }

    /// `tls_server_config`.
    public struct TLS: Sendable, Equatable {
        /// `cert_file`: the certificate chain (PEM), relative to the file's directory.
        public var certFile: String?
        /// `cert`: the certificate chain inline (PEM).
        public var cert: String?
        /// `key_file`: the private key (PEM).
        public var keyFile: String?
        /// `key`: the private key inline (PEM). A secret: never logged nor shown.
        public var key: String?
        /// `client_ca_file`: the CAs that sign client certificates (PEM).
        public var clientCAFile: String?
        /// `client_ca`: client CAs inline (PEM).
        public var clientCA: String?
        /// `client_auth_type`.
        public var clientAuth: ClientAuth = .none
        /// `client_allowed_sans`: a verified client certificate must hold one of these SANs
        /// (DNS name, e-mail address, IP address or URI).
        public var clientAllowedSANs: [String]?
        /// `cipher_suites`: IANA code points, by the Go names the toolkit takes.
        public var cipherSuites: [UInt16] = []
        /// `curve_preferences`: IANA code points.
        public var curves: [UInt16] = []
        /// `min_version` (TLS 1.2 by default, as the toolkit's).
        public var minVersion: Version = .tls12
        /// `max_version`.
        public var maxVersion: Version = .tls13
        /// `prefer_server_cipher_suites`: read for compatibility; the server's order is used.
        public var preferServerCipherSuites = true

        /// No TLS.
        public init() {}

        /// Any TLS setting given: the server speaks HTTPS (and then needs a certificate and key).
        public var isEnabled: Bool {
            certFile != nil || cert != nil || keyFile != nil || key != nil || clientCAFile != nil
                || clientCA != nil || clientAuthGiven
        }
        var clientAuthGiven = false
    }

    /// `client_auth_type`, as Go's `tls.ClientAuthType`.
    public enum ClientAuth: String, Sendable, Equatable {
        case none = "NoClientCert"
        case request = "RequestClientCert"
        case requireAny = "RequireAnyClientCert"
        case verifyIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerify = "RequireAndVerifyClientCert"
    }

    /// `min_version`, `max_version`.
    public enum Version: String, Sendable, Equatable, Comparable {
        case tls10 = "TLS10"
        case tls11 = "TLS11"
        case tls12 = "TLS12"
        case tls13 = "TLS13"

        var rank: Int { [.tls10, .tls11, .tls12, .tls13].firstIndex(of: self)! }
        /// Older before newer.
        public static func < (a: Version, b: Version) -> Bool { a.rank < b.rank }
    }

    /// The headers `http_server_config.headers` may set, and the values allowed when they are
    /// an enumeration: the toolkit's list, kept small on purpose.
    static let allowedHeaders: [String: [String]] = [
        "Strict-Transport-Security": [], "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"], "X-XSS-Protection": [], "Content-Security-Policy": [],
    ]

    /// The cipher suites by the names Go's `tls.CipherSuites()` gives them (and the RSA key
    /// exchange ones it listed until Go 1.22, so an older Pushgateway's file still loads).
    static let cipherSuites: [String: UInt16] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": 0x002F, "TLS_RSA_WITH_AES_256_CBC_SHA": 0x0035,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": 0x009C, "TLS_RSA_WITH_AES_256_GCM_SHA384": 0x009D,
        "TLS_AES_128_GCM_SHA256": 0x1301, "TLS_AES_256_GCM_SHA384": 0x1302, "TLS_CHACHA20_POLY1305_SHA256": 0x1303,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": 0xC00A,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": 0xC013, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": 0xC014,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": 0xC02C,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": 0xC02F, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 0xC030,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA8,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA9,
    ]

    static let curveNames: [String: UInt16] = [
        "CurveP256": 0x17, "CurveP384": 0x18, "CurveP521": 0x19, "X25519": 0x1D,
    ]

    /// Parses and checks the YAML of a web configuration file.
    public static func parse(_ text: String, directory: String) throws(ConfigFileError) -> WebConfig {
        var config = WebConfig()
        var root = try StrictYAML.root(text)
        if var tls = try root.mapping("tls_server_config") {
            config.tls = try parseTLS(&tls, directory: directory)
            try tls.finish()
        }
        if var http = try root.mapping("http_server_config") {
            if let http2 = try http.bool("http2") { config.http2 = http2 }
            for (name, value) in try http.stringMap("headers") ?? [] {
                guard let allowed = allowedHeaders[name] else {
                    throw ConfigFileError("HTTP header \"\(name)\" can not be configured")
                }
                guard allowed.isEmpty || allowed.contains(value) else {
                    throw ConfigFileError(
                        "invalid value for \(name): expected one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(value)\""
                    )
                }
                config.headers.append(Header(name: name, value: value))
            }
            try http.finish()
        }
        config.rateLimit = try rateLimit(&root, "rate_limit")
        for (user, hash) in try root.stringMap("basic_auth_users") ?? [] {
            guard BcryptHash.isWellFormed(hash) else {
                throw ConfigFileError("basic_auth_users: the password of \(user) is not a bcrypt hash")
            }
            config.users[user] = hash
        }
        try root.finish()
        return config
    }

    /// A `{interval, burst}` mapping under `key`; `nil` when absent or `interval` is 0 (no
    /// limit, as in the toolkit).
    static func rateLimit(_ parent: inout StrictMapping, _ key: String) throws(ConfigFileError) -> RateLimit? {
        guard var rate = try parent.mapping(key) else { return nil }
        let burst = try rate.int("burst") ?? 0
        let interval = try rate.node("interval").map { node throws(ConfigFileError) -> Int64 in
            guard case .scalar(let scalar) = node, let nanoseconds = GoDuration.nanoseconds(scalar.string) else {
                throw ConfigFileError("\(rate.name("interval")) must be a duration such as 100ms or 1s")
            }
            return nanoseconds
        }
        try rate.finish()
        guard let interval, interval != 0 else { return nil }
        guard interval > 0, burst >= 0 else {
            throw ConfigFileError("\(rate.path): interval and burst must not be negative")
        }
        return RateLimit(intervalNanoseconds: interval, burst: burst)
    }

    static func parseTLS(_ tls: inout StrictMapping, directory: String) throws(ConfigFileError) -> TLS {
        var out = TLS()
        func file(_ name: String?) -> String? {
            guard let name, !name.isEmpty else { return nil }
            return name.hasPrefix("/") || directory.isEmpty ? name : directory + "/" + name
        }
        out.cert = try tls.string("cert").flatMap { $0.isEmpty ? nil : $0 }
        out.key = try tls.string("key").flatMap { $0.isEmpty ? nil : $0 }
        out.clientCA = try tls.string("client_ca").flatMap { $0.isEmpty ? nil : $0 }
        out.certFile = file(try tls.string("cert_file"))
        out.keyFile = file(try tls.string("key_file"))
        out.clientCAFile = file(try tls.string("client_ca_file"))
        if let text = try tls.string("client_auth_type"), !text.isEmpty {
            // "RequireClientCert" is the toolkit's old name of RequireAnyClientCert.
            guard let auth = ClientAuth(rawValue: text == "RequireClientCert" ? "RequireAnyClientCert" : text) else {
                throw ConfigFileError("invalid ClientAuth: \(text)")
            }
            out.clientAuth = auth
            out.clientAuthGiven = true
        }
        for name in try tls.strings("cipher_suites") ?? [] {
            guard let code = cipherSuites[name] else { throw ConfigFileError("unknown cipher: \(name)") }
            out.cipherSuites.append(code)
        }
        for name in try tls.strings("curve_preferences") ?? [] {
            guard let code = curveNames[name] else { throw ConfigFileError("unknown curve: \(name)") }
            out.curves.append(code)
        }
        for (key, target) in [("min_version", \TLS.minVersion), ("max_version", \TLS.maxVersion)] {
            if let text = try tls.string(key) {
                guard let version = Version(rawValue: text) else {
                    throw ConfigFileError("unknown TLS version: \(text)")
                }
                out[keyPath: target] = version
            }
        }
        if let prefer = try tls.bool("prefer_server_cipher_suites") { out.preferServerCipherSuites = prefer }
        out.clientAllowedSANs = try tls.strings("client_allowed_sans")
        guard out.isEnabled else { return out }
        guard out.certFile != nil || out.cert != nil else { throw ConfigFileError("missing one of cert or cert_file") }
        guard out.keyFile != nil || out.key != nil else { throw ConfigFileError("missing one of key or key_file") }
        if (out.clientCAFile != nil || out.clientCA != nil) && out.clientAuth == .none {
            throw ConfigFileError("client CA's have been configured without a Client Auth Policy")
        }
        guard out.minVersion <= out.maxVersion else {
            throw ConfigFileError(
                "min_version \(out.minVersion.rawValue) is above max_version \(out.maxVersion.rawValue)")
        }
        return out
    }
}

/// Go's `time.ParseDuration` (`300ms`, `1.5s`, `1h2m`), and a bare integer as nanoseconds, as
/// the YAML library the toolkit uses reads a `time.Duration`.
enum GoDuration {
    static func nanoseconds(_ text: String) -> Int64? {
        if let integer = Int64(text) { return integer }
        var rest = Substring(text)
        var sign: Double = 1
        if rest.first == "-" || rest.first == "+" {
            if rest.first == "-" { sign = -1 }
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 6e10), ("h", 3.6e12),
        ]
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number.hasPrefix(".") ? "0" + number : number)
            else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else {
                return nil
            }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        let result = sign * total
        guard result.magnitude < 9.2e18 else { return nil }
        return Int64(result)
    }
}
