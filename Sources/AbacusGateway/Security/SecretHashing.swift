import Crypto
import HummingbirdBcrypt

/// The hashes the security files store: bcrypt for passwords (`basic_auth_users`,
/// `password_hash`), SHA-256 in hex for bearer tokens (`token_sha256`). What
/// `abacus hash-password` and `abacus hash-token` print.
public enum SecretHashing {
    /// A bcrypt hash of `password` with `cost` (4…31), written `$2y$` as `htpasswd -B` does.
    public static func bcrypt(_ password: String, cost: Int = 10) -> String {
        let hash = Bcrypt.hash(password, cost: UInt8(min(max(cost, 4), 31)))
        return hash.hasPrefix("$2b$") ? "$2y$" + hash.dropFirst(4) : hash
    }

    /// The SHA-256 of `token`, in lowercase hex.
    public static func sha256Hex(_ token: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in SHA256.hash(data: Array(token.utf8)) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
