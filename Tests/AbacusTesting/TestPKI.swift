import Crypto
public import Foundation
import HummingbirdBcrypt
import SwiftASN1
import X509

/// Certificates and keys made by the tests, in a temporary directory: a CA, a server
/// certificate for 127.0.0.1 and localhost, and client certificates as a test asks for them
/// (valid, expired, signed by another CA, with chosen SANs). Nothing is committed; every key
/// is new for each test run.
public final class TestPKI: Sendable {
    public let directory: URL
    /// The CA's certificate (PEM), to trust the server and to verify clients.
    public let caFile: String
    public let serverCertFile: String
    public let serverKeyFile: String
    let caKey: P256.Signing.PrivateKey
    let caName: DistinguishedName

    /// A certificate and its key, as files.
    public struct Pair: Sendable {
        public let certFile: String
        public let keyFile: String
    }

    public init(name: String = "abacus-pki") throws {
        directory = try Peers.temporaryDirectory(name)
        (caKey, caName, caFile) = try Self.makeCA(in: directory, name: "Abacus Test CA", file: "ca.crt")
        let server = try Self.leaf(
            in: directory, file: "server", subject: "localhost", dns: ["localhost"], ips: [[127, 0, 0, 1]],
            caKey: caKey, caName: caName, validity: Self.valid)
        serverCertFile = server.certFile
        serverKeyFile = server.keyFile
    }

    static let valid: (Date, Date) = (Date().addingTimeInterval(-3600), Date().addingTimeInterval(86_400))

    /// A client certificate signed by this CA (or, with `otherCA`, by a CA nobody trusts).
    public func client(
        _ file: String, dns: [String] = [], emails: [String] = [], uris: [String] = [], expired: Bool = false,
        otherCA: Bool = false
    ) throws -> Pair {
        var key = caKey
        var name = caName
        if otherCA {
            (key, name, _) = try Self.makeCA(in: directory, name: "Stranger CA", file: "\(file)-stranger-ca.crt")
        }
        let validity: (Date, Date) =
            expired ? (Date().addingTimeInterval(-86_400 * 3), Date().addingTimeInterval(-86_400)) : Self.valid
        return try Self.leaf(
            in: directory, file: file, subject: file, dns: dns, emails: emails, uris: uris, ips: [], caKey: key,
            caName: name, validity: validity)
    }

    static func makeCA(in directory: URL, name: String, file: String) throws -> (
        P256.Signing.PrivateKey, DistinguishedName, String
    ) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: valid.0,
            notValidAfter: valid.1, issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        let path = directory.appendingPathComponent(file).path
        try certificate.serializeAsPEM().pemString.write(toFile: path, atomically: true, encoding: .utf8)
        return (key, subject, path)
    }

    static func leaf(
        in directory: URL, file: String, subject: String, dns: [String], emails: [String] = [], uris: [String] = [],
        ips: [[UInt8]], caKey: P256.Signing.PrivateKey, caName: DistinguishedName, validity: (Date, Date)
    ) throws -> Pair {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = dns.map { .dnsName($0) }
        names += emails.map { .rfc822Name($0) }
        names += uris.map { .uniformResourceIdentifier($0) }
        names += ips.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: validity.0,
            notValidAfter: validity.1, issuer: caName, subject: try DistinguishedName { CommonName(subject) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: .init(caKey))
        let certFile = directory.appendingPathComponent("\(file).crt").path
        let keyFile = directory.appendingPathComponent("\(file).key").path
        try certificate.serializeAsPEM().pemString.write(toFile: certFile, atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: keyFile, atomically: true, encoding: .utf8)
        return Pair(certFile: certFile, keyFile: keyFile)
    }

    /// A bcrypt hash of `password` (cost 4: fast in tests), `$2y$` as `htpasswd -B` writes it.
    public static func bcrypt(_ password: String) -> String {
        let hash = Bcrypt.hash(password, cost: 4)
        return hash.hasPrefix("$2b$") ? "$2y$" + hash.dropFirst(4) : hash
    }

    /// The SHA-256 of a bearer token in hex, as `--web.auth.file` stores it.
    public static func sha256Hex(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
