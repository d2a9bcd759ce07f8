import AbacusTesting
import Foundation
import Testing

@testable import AbacusGateway

/// `--web.config.file` (exporter-toolkit's format, strict) and `--web.auth.file`: what they
/// accept, and every refusal with its reason.
@Suite("Security files: web configuration and credentials")
struct SecurityFilesTests {
    static let hash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"

    @Test("a complete exporter-toolkit file: TLS, client certificates, headers, users, rate limit")
    func completeWebConfig() throws {
        let config = try WebConfig.parse(
            """
            tls_server_config:
              cert_file: server.crt
              key_file: /etc/keys/server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              client_allowed_sans: [client.example, 10.0.0.1]
              min_version: TLS13
              max_version: TLS13
              cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
              curve_preferences: [X25519, CurveP256]
              prefer_server_cipher_suites: false
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                Strict-Transport-Security: max-age=31536000
            basic_auth_users:
              alice: \(Self.hash)
            rate_limit:
              interval: 1.5s
              burst: 10
            """, directory: "/srv/gateway")
        #expect(config.tls.isEnabled)
        #expect(config.tls.certFile == "/srv/gateway/server.crt")
        #expect(config.tls.keyFile == "/etc/keys/server.key")
        #expect(config.tls.clientCAFile == "/srv/gateway/ca.crt")
        #expect(config.tls.clientAuth == .requireAndVerify)
        #expect(config.tls.clientAllowedSANs == ["client.example", "10.0.0.1"])
        #expect(config.tls.minVersion == .tls13 && config.tls.maxVersion == .tls13)
        #expect(config.tls.cipherSuites == [0xC02F, 0x1301])
        #expect(config.tls.curves == [0x1D, 0x17])
        #expect(!config.tls.preferServerCipherSuites)
        #expect(!config.http2)
        #expect(
            config.headers == [
                .init(name: "X-Frame-Options", value: "deny"),
                .init(name: "Strict-Transport-Security", value: "max-age=31536000"),
            ])
        #expect(config.users == ["alice": Self.hash])
        #expect(config.rateLimit == .init(intervalNanoseconds: 1_500_000_000, burst: 10))
    }

    @Test("an empty file, and one with only users: plain HTTP, defaults as the toolkit's")
    func emptyAndMinimal() throws {
        let empty = try WebConfig.parse("", directory: "/x")
        #expect(!empty.tls.isEnabled && empty.users.isEmpty && empty.rateLimit == nil && empty.headers.isEmpty)
        #expect(empty.tls.minVersion == .tls12 && empty.tls.maxVersion == .tls13 && empty.http2)
        let users = try WebConfig.parse("basic_auth_users:\n  bob: \(Self.hash)\n", directory: "/x")
        #expect(!users.tls.isEnabled && users.users.count == 1)
        // The toolkit's old name of RequireAnyClientCert still loads.
        let old = try WebConfig.parse(
            "tls_server_config:\n  cert: x\n  key: y\n  client_auth_type: RequireClientCert\n", directory: "")
        #expect(old.tls.clientAuth == .requireAny)
        // interval 0: no rate limit, as in the toolkit.
        #expect(try WebConfig.parse("rate_limit: {interval: 0, burst: 3}\n", directory: "").rateLimit == nil)
    }

    @Test(
        "every refusal names what is wrong",
        arguments: [
            (
                "tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_fil: c\n",
                "field cert_fil not found in tls_server_config"
            ),
            ("basic_auth_user:\n  a: b\n", "field basic_auth_user not found in the top level"),
            ("http_server_config:\n  header: {}\n", "field header not found in http_server_config"),
            ("rate_limit: {interval: 1s, burst: 1, brust: 2}\n", "field brust not found in rate_limit"),
            ("tls_server_config:\n  cert_file: a\n", "missing one of key or key_file"),
            ("tls_server_config:\n  key_file: a\n", "missing one of cert or cert_file"),
            (
                "tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
                "missing one of cert or cert_file"
            ),
            (
                "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
                "client CA's have been configured without a Client Auth Policy"
            ),
            (
                "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n",
                "invalid ClientAuth: Sometimes"
            ),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", "unknown TLS version: TLS14"),
            (
                "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
                "min_version TLS13 is above max_version TLS12"
            ),
            (
                "tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_NULL]\n",
                "unknown cipher: TLS_NULL"
            ),
            ("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P999]\n", "unknown curve: P999"),
            ("http_server_config:\n  headers:\n    Server: abacus\n", "HTTP header \"Server\" can not be configured"),
            ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "invalid value for X-Frame-Options"),
            ("http_server_config:\n  http2: maybe\n", "http_server_config.http2 must be true or false"),
            ("basic_auth_users:\n  alice: secret\n", "the password of alice is not a bcrypt hash"),
            ("rate_limit: {interval: soon, burst: 1}\n", "rate_limit.interval must be a duration"),
            ("rate_limit: {interval: 1s, burst: many}\n", "rate_limit.burst must be an integer"),
            ("basic_auth_users:\n  a: \(hash)\n  a: \(hash)\n", "duplicated key"),
            ("tls_server_config: [a, b]\n", "tls_server_config must be a mapping"),
            ("tls_server_config: {cert: x\n", "not valid YAML"),
            ("- just\n- a list\n", "the file must be a mapping"),
        ])
    func refusals(_ yaml: String, _ reason: String) {
        #expect {
            _ = try WebConfig.parse(yaml, directory: "/d")
        } throws: { error in
            (error as? ConfigFileError)?.message.contains(reason) == true
        }
    }

    @Test("the credentials file: users and tokens with roles and jobs")
    func authFile() throws {
        let digest = TestPKI.sha256Hex("t0ken")
        let file = try AuthFile.parse(
            """
            users:
              - {name: ci, password_hash: "\(Self.hash)", roles: [push], jobs: ["billing-*", "nightly"]}
              - name: ops
                password_hash: "\(Self.hash)"
                roles: [admin, scrape]
            tokens:
              - {name: prometheus, token_sha256: "\(digest)", roles: [scrape]}
            """)
        #expect(file.users.map(\.name) == ["ci", "ops"])
        #expect(file.users[0].roles == [.push] && file.users[0].jobs == ["billing-*", "nightly"])
        #expect(file.users[1].roles == [.admin, .scrape] && file.users[1].jobs == nil)
        #expect(file.tokens.first?.secret == .sha256(Hex.decode(digest)!))
        let ci = Principal(name: "ci", roles: file.users[0].roles, jobs: file.users[0].jobs)
        #expect(ci.mayPush(job: "billing-eu") && ci.mayPush(job: "nightly"))
        #expect(!ci.mayPush(job: "billing") && !ci.mayPush(job: "nightly-2"))
        #expect(try AuthFile.parse("").users.isEmpty)
    }

    @Test(
        "credentials file refusals",
        arguments: [
            ("users:\n  - {password_hash: \"\(hash)\", roles: [push]}\n", "every user and token needs a name"),
            (
                "users:\n  - {name: a, password_hash: \"\(hash)\", roles: [push]}\ntokens:\n  - {name: a, token_sha256: \"\(String(repeating: "ab", count: 32))\", roles: [scrape]}\n",
                "the name a is given twice"
            ),
            ("users:\n  - {name: a, password_hash: plain, roles: [push]}\n", "password_hash must be a bcrypt hash"),
            ("users:\n  - {name: a, password_hash: \"\(hash)\", roles: []}\n", "roles must list push, scrape or admin"),
            ("users:\n  - {name: a, password_hash: \"\(hash)\"}\n", "roles must list push, scrape or admin"),
            ("users:\n  - {name: a, password_hash: \"\(hash)\", roles: [root]}\n", "unknown role root"),
            (
                "users:\n  - {name: a, password_hash: \"\(hash)\", roles: [push], jobs: [\"\"]}\n",
                "a job pattern cannot be empty"
            ),
            (
                "users:\n  - {name: a, password: x, password_hash: \"\(hash)\", roles: [push]}\n",
                "field password not found in users[0]"
            ),
            ("tokens:\n  - {name: t, token_sha256: abc, roles: [scrape]}\n", "token_sha256 must be the SHA-256"),
            ("tokens:\n  - {name: t, token: secret, roles: [scrape]}\n", "token_sha256 must be the SHA-256"),
            ("groups: []\n", "field groups not found in the top level"),
        ])
    func authRefusals(_ yaml: String, _ reason: String) {
        #expect {
            _ = try AuthFile.parse(yaml)
        } throws: { error in
            (error as? ConfigFileError)?.message.contains(reason) == true
        }
    }

    @Test("bcrypt hashes as htpasswd ($2y$), Go ($2a$) and others ($2b$) write them")
    func bcryptForms() async throws {
        #expect(BcryptHash.isWellFormed(Self.hash))
        #expect(BcryptHash.isWellFormed("$2a$" + Self.hash.dropFirst(4)))
        #expect(BcryptHash.isWellFormed("$2b$" + Self.hash.dropFirst(4)))
        #expect(!BcryptHash.isWellFormed("$2x$" + Self.hash.dropFirst(4)))
        #expect(!BcryptHash.isWellFormed("$2y$03$" + Self.hash.dropFirst(7)))
        #expect(!BcryptHash.isWellFormed(String(Self.hash.dropLast())))
        // exporter-toolkit's published hash of "fakepassword", written by htpasswd ($2y$).
        let security = try GatewaySecurity(webConfigPath: nil, authFilePath: nil, logger: .init(label: "t"))
        #expect(await security.verify(user: "u", password: "fakepassword", hash: Self.hash))
        #expect(!(await security.verify(user: "u", password: "fakepassword2", hash: Self.hash)))
        let made = TestPKI.bcrypt("s3cret")
        #expect(made.hasPrefix("$2y$04$") && BcryptHash.isWellFormed(made))
        #expect(await security.verify(user: "u", password: "s3cret", hash: made))
    }

    @Test("a YAML error says where, never the line itself (it may hold a hash or a key)")
    func yamlErrorsHideTheLine() {
        #expect {
            _ = try WebConfig.parse("basic_auth_users:\n  alice: \"\(Self.hash)\n  bob: [\n", directory: "")
        } throws: { error in
            let message = (error as? ConfigFileError)?.message ?? ""
            return message.contains("not valid YAML: line") && !message.contains("QOauhQ")
        }
    }

    @Test("SANs as Go writes them: IPv4, IPv6, IPv4-mapped IPv6 as IPv4")
    func ipSANs() {
        #expect(ServerTLS.ipText([10, 0, 0, 1]) == "10.0.0.1")
        #expect(ServerTLS.ipText([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) == "::1")
        #expect(ServerTLS.ipText([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 168, 1, 2]) == "192.168.1.2")
        #expect(ServerTLS.ipText([1, 2, 3]) == nil)
    }

    @Test("globs, Go durations, Authorization headers")
    func pieces() {
        #expect(Glob.matches("billing-*", "billing-eu"))
        #expect(Glob.matches("billing-*", "billing-"))
        #expect(!Glob.matches("billing-*", "billing"))
        #expect(Glob.matches("*", ""))
        #expect(Glob.matches("a?c", "abc") && !Glob.matches("a?c", "ac"))
        #expect(Glob.matches("*-eu-*", "x-eu-y") && !Glob.matches("*-eu-*", "x-us-y"))
        #expect(Glob.matches("nightly", "nightly") && !Glob.matches("nightly", "nightly2"))

        #expect(GoDuration.nanoseconds("100ms") == 100_000_000)
        #expect(GoDuration.nanoseconds("1.5s") == 1_500_000_000)
        #expect(GoDuration.nanoseconds("1h2m3s") == 3_723_000_000_000)
        #expect(GoDuration.nanoseconds("250us") == 250_000)
        #expect(GoDuration.nanoseconds("0") == 0)
        #expect(GoDuration.nanoseconds("100") == 100)
        #expect(GoDuration.nanoseconds("1d") == nil && GoDuration.nanoseconds("s") == nil)

        #expect(GatewaySecurity.basicCredentials("Basic YWxpY2U6cDpx")! == ("alice", "p:q"))
        #expect(GatewaySecurity.basicCredentials("basic YWxpY2U6cDpx")! == ("alice", "p:q"))
        #expect(GatewaySecurity.basicCredentials("Basic !!!") == nil)
        #expect(GatewaySecurity.basicCredentials("Basic YWxpY2U=") == nil)  // no colon
        #expect(GatewaySecurity.bearerToken("Bearer abc") == "abc")
        #expect(GatewaySecurity.bearerToken("bearer  abc ") == "abc")
        #expect(GatewaySecurity.bearerToken("Bearer ") == nil)
        #expect(
            GatewaySecurity.constantTimeEqual([1, 2], [1, 2]) && !GatewaySecurity.constantTimeEqual([1, 2], [1, 3]))
    }

    @Test("rate_limit: a full bucket of burst requests, then one per interval (injected instants)")
    func tokenBucket() {
        var bucket = TokenBucket(.init(intervalNanoseconds: 1_000_000_000, burst: 2))
        let start = bucket.last
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == 1)
        #expect(bucket.take(now: start + .milliseconds(500)) == 1)
        #expect(bucket.take(now: start + .milliseconds(1000)) == nil)
        #expect(bucket.take(now: start + .milliseconds(1000)) == 1)
        // Never more than burst saved up.
        #expect(bucket.take(now: start + .seconds(100)) == nil)
        #expect(bucket.take(now: start + .seconds(100)) == nil)
        #expect(bucket.take(now: start + .seconds(100)) == 1)
        var slow = TokenBucket(.init(intervalNanoseconds: 60_000_000_000, burst: 1))
        #expect(slow.take(now: slow.last) == nil)
        #expect(slow.take(now: slow.last) == 60)
        var none = TokenBucket(.init(intervalNanoseconds: 1_000_000_000, burst: 0))
        #expect(none.take(now: none.last) == 1)
    }

    /// Damaged files (bytes flipped, cut, YAML punctuation inserted) are refused with a
    /// ``ConfigFileError`` or read; never a crash, never another error.
    @Test("damaged files: a reason or a configuration, never a crash", arguments: [UInt64(1), 2, 3])
    func damagedFiles(seed: UInt64) {
        let web = Array(
            """
            tls_server_config:
              cert: "-----BEGIN CERTIFICATE-----"
              key: k
              client_auth_type: RequireAndVerifyClientCert
              client_ca: c
              client_allowed_sans: [a, b]
              cipher_suites: [TLS_AES_128_GCM_SHA256]
              min_version: TLS12
            http_server_config: {headers: {X-Frame-Options: deny}, http2: true}
            basic_auth_users: {alice: "\(Self.hash)"}
            rate_limit: {interval: 1s, burst: 3}
            """.utf8)
        let auth = Array(
            """
            users:
              - {name: ci, password_hash: "\(Self.hash)", roles: [push], jobs: ["b-*"], rate_limit: {interval: 1s, burst: 2}}
            tokens:
              - {name: t, token_sha256: "\(String(repeating: "ab", count: 32))", roles: [scrape]}
            rate_limits: {per_address: {interval: 10ms, burst: 5}}
            """.utf8)
        var random = SplitMix64(seed: seed)
        let punctuation = Array(":{}[]-,#&*!|>'\"%@`\n \t\\".utf8)
        var outcomes = (read: 0, refused: 0)
        for round in 0..<1500 {
            var bytes = round % 2 == 0 ? web : auth
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: index)
                case 2: bytes.insert(punctuation.randomElement(using: &random)!, at: index)
                default: bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...20, using: &random)))
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                if round % 2 == 0 {
                    _ = try WebConfig.parse(text, directory: "/d")
                } else {
                    _ = try AuthFile.parse(text)
                }
                outcomes.read += 1
            } catch {
                outcomes.refused += 1
                #expect(!error.message.isEmpty)
            }
        }
        // Both outcomes happen: the damage is neither always fatal nor always harmless.
        #expect(outcomes.read > 0 && outcomes.refused > 0, "\(outcomes)")
    }
}
