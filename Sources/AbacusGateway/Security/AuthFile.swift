import Foundation

/// What a credential may do.
public enum Role: String, Sendable, Hashable, CaseIterable {
    /// The push API (PUT, POST, DELETE of groups, `/api/v1/batch`, `/aggregate`) and ops over
    /// HTTP.
    case push
    /// `/metrics` and the read-only JSON API.
    case scrape
    /// `/api/v1/admin/wipe` and `/-/quit` (each still off unless its flag is on).
    case admin
}

/// `--web.auth.file`: users and bearer tokens with roles, kept apart from the exporter-toolkit
/// file so that file stays loadable by other tools (docs/security.md):
///
/// ```yaml
/// users:
///   - {name: ci, password_hash: "$2y$10$…", roles: [push], jobs: ["billing-*"]}
/// tokens:
///   - {name: prometheus, token_sha256: "9f86d0…", roles: [scrape]}
/// ```
public struct AuthFile: Sendable, Equatable {
    /// A user (HTTP basic auth) or a bearer token, with what it may do.
    public struct Credential: Sendable, Equatable {
        /// Shown in logs and refusals; never the secret.
        public var name: String
        /// A bcrypt hash (users) or the SHA-256 of the token, 32 bytes (tokens).
        public var secret: Secret
        /// What it may do.
        public var roles: Set<Role>
        /// Glob patterns (`*`, `?`) of the jobs this credential may push to; `nil`: any.
        public var jobs: [String]?
        /// `rate_limit`: this credential's own limit on pushes and ops, instead of
        /// ``AuthFile/perCredential``.
        public var rateLimit: WebConfig.RateLimit?

        /// How the secret is stored: never in the clear.
        public enum Secret: Sendable, Equatable {
            case bcrypt(String)
            case sha256([UInt8])
        }
    }

    /// `users`: HTTP basic auth, bcrypt hashes.
    public var users: [Credential] = []
    /// `tokens`: bearer tokens, by their SHA-256.
    public var tokens: [Credential] = []
    /// `rate_limits.per_address`: pushes and ops from one IP address.
    public var perAddress: WebConfig.RateLimit?
    /// `rate_limits.per_credential`: pushes and ops by one user or token.
    public var perCredential: WebConfig.RateLimit?

    /// No users, no tokens, no limits.
    public init() {}

    /// Parses and checks the YAML of a credentials file (unknown keys refused).
    public static func parse(_ text: String) throws(ConfigFileError) -> AuthFile {
        var root = try StrictYAML.root(text)
        var file = AuthFile()
        var names = Set<String>()
        for var entry in try root.mappings("users") ?? [] {
            let name = try credentialName(&entry, names: &names)
            guard let hash = try entry.string("password_hash"), BcryptHash.isWellFormed(hash) else {
                throw ConfigFileError("\(entry.path) (\(name)): password_hash must be a bcrypt hash ($2y$10$…)")
            }
            file.users.append(
                Credential(
                    name: name, secret: .bcrypt(hash), roles: try roles(&entry, name), jobs: try jobs(&entry, name),
                    rateLimit: try WebConfig.rateLimit(&entry, "rate_limit")))
            try entry.finish()
        }
        for var entry in try root.mappings("tokens") ?? [] {
            let name = try credentialName(&entry, names: &names)
            guard let hex = try entry.string("token_sha256"), let digest = Hex.decode(hex), digest.count == 32 else {
                throw ConfigFileError(
                    "\(entry.path) (\(name)): token_sha256 must be the SHA-256 of the token in hex (64 characters)")
            }
            file.tokens.append(
                Credential(
                    name: name, secret: .sha256(digest), roles: try roles(&entry, name), jobs: try jobs(&entry, name),
                    rateLimit: try WebConfig.rateLimit(&entry, "rate_limit")))
            try entry.finish()
        }
        if var limits = try root.mapping("rate_limits") {
            file.perAddress = try WebConfig.rateLimit(&limits, "per_address")
            file.perCredential = try WebConfig.rateLimit(&limits, "per_credential")
            try limits.finish()
        }
        try root.finish()
        return file
    }

    static func credentialName(_ entry: inout StrictMapping, names: inout Set<String>) throws(ConfigFileError) -> String
    {
        guard let name = try entry.string("name"), !name.isEmpty else {
            throw ConfigFileError("\(entry.path): every user and token needs a name")
        }
        guard names.insert(name).inserted else {
            throw ConfigFileError("\(entry.path): the name \(name) is given twice")
        }
        return name
    }

    static func roles(_ entry: inout StrictMapping, _ name: String) throws(ConfigFileError) -> Set<Role> {
        guard let list = try entry.strings("roles"), !list.isEmpty else {
            throw ConfigFileError("\(entry.path) (\(name)): roles must list push, scrape or admin")
        }
        var roles = Set<Role>()
        for text in list {
            guard let role = Role(rawValue: text) else {
                throw ConfigFileError(
                    "\(entry.path) (\(name)): unknown role \(text); the roles are push, scrape, admin")
            }
            roles.insert(role)
        }
        return roles
    }

    static func jobs(_ entry: inout StrictMapping, _ name: String) throws(ConfigFileError) -> [String]? {
        guard let jobs = try entry.strings("jobs") else { return nil }
        guard !jobs.contains(where: \.isEmpty) else {
            throw ConfigFileError("\(entry.path) (\(name)): a job pattern cannot be empty")
        }
        return jobs
    }
}

/// bcrypt hashes as `htpasswd -B` and Go's bcrypt write them: `$2a$`, `$2b$` or `$2y$`, a
/// two-digit cost from 4 to 31, 53 characters of salt and hash.
enum BcryptHash {
    static func isWellFormed(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
            let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost)
        else { return false }
        let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        return bytes[7...].allSatisfy { alphabet.contains($0) }
    }

    /// `$2y$` is `$2b$` under another name (PHP's); the bcrypt implementation reads the latter.
    static func normalized(_ hash: String) -> String {
        hash.hasPrefix("$2y$") ? "$2b$" + hash.dropFirst(4) : hash
    }
}

/// Shell-style patterns: `*` any run of characters, `?` one character, anything else itself.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var pi = 0
        var ti = 0
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || (p[pi] != "*" && p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

enum Hex {
    static func decode(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2)
        var index = 0
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
