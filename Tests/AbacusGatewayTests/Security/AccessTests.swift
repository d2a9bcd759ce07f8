import AbacusGateway
import AbacusGatewayTesting
import AbacusTesting
import Foundation
import Testing

/// Credentials and roles on every endpoint (`--web.config.file`'s `basic_auth_users` and
/// `--web.auth.file`'s users and tokens), the configured headers, the rate limit, and hot
/// reload of both files, against a gateway on a real socket.
@Suite("Security: credentials, roles, rate limit, reload")
struct AccessTests {
    /// Files in a temporary directory, with a password and a token for each role.
    struct Files {
        let directory: URL
        var web: String { directory.appendingPathComponent("web.yml").path }
        var auth: String { directory.appendingPathComponent("auth.yml").path }

        init(web: String, auth: String) throws {
            directory = try Peers.temporaryDirectory("security")
            try write(web: web, auth: auth)
        }

        func write(web: String? = nil, auth: String? = nil) throws {
            if let web { try web.write(toFile: self.web, atomically: true, encoding: .utf8) }
            if let auth { try auth.write(toFile: self.auth, atomically: true, encoding: .utf8) }
        }
    }

    static let web = """
        http_server_config:
          headers:
            X-Content-Type-Options: nosniff
            X-Frame-Options: deny
        basic_auth_users:
          root: "\(TestPKI.bcrypt("root-pw"))"

        """

    static let auth = """
        users:
          - {name: ci, password_hash: "\(TestPKI.bcrypt("ci-pw"))", roles: [push], jobs: ["billing-*"]}
          - {name: pusher, password_hash: "\(TestPKI.bcrypt("pusher-pw"))", roles: [push]}
          - {name: viewer, password_hash: "\(TestPKI.bcrypt("viewer-pw"))", roles: [scrape]}
          - {name: boss, password_hash: "\(TestPKI.bcrypt("boss-pw"))", roles: [admin]}
        tokens:
          - {name: prometheus, token_sha256: "\(TestPKI.sha256Hex("prom-token"))", roles: [scrape]}
          - {name: robot, token_sha256: "\(TestPKI.sha256Hex("robot-token"))", roles: [push]}

        """

    enum Who: String, CaseIterable {
        case nobody, root, ci, pusher, viewer, boss, prometheus, robot, wrongPassword, unknownUser, wrongToken

        var authorization: String? {
            func basic(_ user: String, _ password: String) -> String {
                "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            }
            switch self {
            case .nobody: return nil
            case .root: return basic("root", "root-pw")
            case .ci: return basic("ci", "ci-pw")
            case .pusher: return basic("pusher", "pusher-pw")
            case .viewer: return basic("viewer", "viewer-pw")
            case .boss: return basic("boss", "boss-pw")
            case .prometheus: return "Bearer prom-token"
            case .robot: return "Bearer robot-token"
            case .wrongPassword: return basic("viewer", "root-pw")
            case .unknownUser: return basic("mallory", "root-pw")
            case .wrongToken: return "Bearer prom-tokem"
            }
        }
    }

    /// A gateway with the two files. The file watcher checks every `watchMs` (an hour by
    /// default: a test that calls `reloadIfChanged()` itself must not race the watcher).
    static func withSecuredGateway<T: Sendable>(
        web: String = web, auth: String = auth, watchMs: Int64 = 3_600_000,
        _ body: (RawHTTP, GatewayServer, Files) async throws -> T
    ) async throws -> T {
        let files = try Files(web: web, auth: auth)
        defer { try? FileManager.default.removeItem(at: files.directory) }
        return try await TestGateway.with(
            { configuration in
                configuration.webConfigFile = files.web
                configuration.authFile = files.auth
                configuration.enableAdminAPI = true
                configuration.securityReloadIntervalMs = watchMs
            },
            body: { baseURL, server in try await body(RawHTTP(baseURL: baseURL), server, files) })
    }

    static func send(
        _ http: RawHTTP, _ who: Who, _ method: String, _ path: String, _ body: String? = nil
    ) async throws -> RawHTTP.Response {
        var headers: [(String, String)] = []
        if let authorization = who.authorization { headers.append(("Authorization", authorization)) }
        return try await http.request(method, path, headers: headers, body: body.map { Array($0.utf8) })
    }

    /// Every endpoint for every credential: 2xx, 401, 403 (or the endpoint's own answer) as
    /// docs/security.md says.
    @Test("role × endpoint: 401 without valid credentials, 403 without the role or the job, open health checks")
    func matrix() async throws {
        try await Self.withSecuredGateway { http, _, _ in
            let all = Who.allCases
            let invalid: Set<Who> = [.nobody, .wrongPassword, .unknownUser, .wrongToken]
            let scrapers: Set<Who> = [.root, .viewer, .prometheus]
            let pushers: Set<Who> = [.root, .ci, .pusher, .robot]
            let admins: Set<Who> = [.root, .boss]
            func expected(_ who: Who, allowed: Set<Who>, ok: Int) -> Int {
                invalid.contains(who) ? 401 : allowed.contains(who) ? ok : 403
            }
            struct Row {
                var method: String
                var path: String
                var body: String?
                var allowed: Set<Who>
                var ok: Int
            }
            let ops = #"{"name":"jobs_total","op":"inc","value":1}"# + "\n"
            let rows: [Row] = [
                Row(method: "GET", path: "/metrics", allowed: scrapers, ok: 200),
                Row(method: "GET", path: "/api/v1/metrics", allowed: scrapers, ok: 200),
                Row(method: "GET", path: "/api/v1/status", allowed: scrapers, ok: 200),
                Row(method: "PUT", path: "/metrics/job/billing-eu", body: "g 1\n", allowed: pushers, ok: 200),
                Row(
                    method: "POST", path: "/metrics/job/billing-eu/instance/a", body: "g 2\n", allowed: pushers, ok: 200
                ),
                Row(method: "DELETE", path: "/metrics/job/billing-eu/instance/a", allowed: pushers, ok: 202),
                Row(
                    method: "PUT", path: "/api/v1/batch", body: "# GROUP job/billing-b\ng 1\n", allowed: pushers,
                    ok: 200),
                Row(method: "POST", path: "/aggregate/job/billing-agg", body: "c 1\n", allowed: pushers, ok: 200),
                // Jobs: ci may push only to billing-*.
                Row(
                    method: "PUT", path: "/metrics/job/other", body: "g 1\n", allowed: pushers.subtracting([.ci]),
                    ok: 200),
                Row(method: "DELETE", path: "/metrics/job/other", allowed: pushers.subtracting([.ci]), ok: 202),
                Row(
                    method: "PUT", path: "/api/v1/batch", body: "# GROUP job/billing-c\ng 1\n# GROUP job/other\ng 1\n",
                    allowed: pushers.subtracting([.ci]), ok: 200),
                Row(method: "POST", path: "/aggregate", body: "d 1\n", allowed: pushers.subtracting([.ci]), ok: 200),
                Row(method: "POST", path: "/api/v1/ops", body: ops, allowed: pushers.subtracting([.ci]), ok: 200),
                Row(method: "PUT", path: "/api/v1/admin/wipe", allowed: admins, ok: 202),
                // The lifecycle API is off: an admin gets the handler's 403, the others the role's.
                Row(method: "POST", path: "/-/quit", allowed: admins, ok: 403),
                // 404 only for someone who may ask.
                Row(method: "GET", path: "/nothing/here", allowed: Set(all).subtracting(invalid), ok: 404),
            ]
            for row in rows {
                for who in all {
                    let response = try await Self.send(http, who, row.method, row.path, row.body)
                    let want = expected(who, allowed: row.allowed, ok: row.ok)
                    #expect(response.status == want, "\(who) \(row.method) \(row.path): \(response)")
                    // The web configuration's headers are on every response, refusals included.
                    #expect(response.header("X-Frame-Options") == "deny", "\(who) \(row.method) \(row.path)")
                    #expect(response.header("X-Content-Type-Options") == "nosniff")
                    if response.status == 401 {
                        let challenges = response.headers.filter { $0.name.lowercased() == "www-authenticate" }
                        #expect(challenges.map(\.value) == ["Basic", "Bearer"], "\(response.headers)")
                        #expect(response.text == "Unauthorized\n")
                    }
                    if response.status == 403, row.path != "/-/quit" || !admins.contains(who) {
                        #expect(response.text.hasPrefix("Forbidden: "), "\(who) \(row.method) \(row.path): \(response)")
                    }
                }
            }
            // Health checks stay open to everyone, credentials or not.
            for path in ["/-/healthy", "/-/ready"] {
                for who in all {
                    let response = try await Self.send(http, who, "GET", path)
                    #expect(response.status == 200, "\(who) GET \(path): \(response)")
                }
            }
            // Why a job is refused, and that nothing was stored.
            let refused = try await Self.send(http, .ci, "PUT", "/metrics/job/payroll", "g 1\n")
            #expect(refused.status == 403)
            #expect(refused.text.contains("ci may not push to the job payroll"), "\(refused)")
            let scrape = try await Self.send(http, .prometheus, "GET", "/metrics")
            #expect(!scrape.text.contains("job=\"payroll\""))
            #expect(scrape.text.contains(#"abacus_http_refused_total{reason="forbidden"}"#), "\(scrape.text)")
            #expect(scrape.text.contains(#"abacus_http_refused_total{reason="unauthorized"}"#))
            #expect(scrape.text.contains(#"abacus_push_rejections_total{reason="forbidden"}"#))
            #expect(scrape.text.contains("abacus_security_config_last_reload_successful 1\n"))
        }
    }

    @Test("basic_auth_users alone (the Pushgateway's file): every user has every role")
    func webUsersOnly() async throws {
        try await Self.withSecuredGateway(auth: "") { http, _, _ in
            for (method, path, body, ok) in [
                ("GET", "/metrics", nil, 200), ("PUT", "/metrics/job/x", "g 1\n", 200),
                ("PUT", "/api/v1/admin/wipe", nil, 202),
            ] as [(String, String, String?, Int)] {
                #expect(try await Self.send(http, .root, method, path, body).status == ok)
                let refused = try await Self.send(http, .nobody, method, path, body)
                #expect(refused.status == 401)
                // No tokens configured: only the Basic challenge, as exporter-toolkit.
                #expect(refused.headers.filter { $0.name.lowercased() == "www-authenticate" }.map(\.value) == ["Basic"])
                #expect(try await Self.send(http, .viewer, method, path, body).status == 401)
            }
        }
    }

    static let newToken =
        "  - {name: grafana, token_sha256: \"\(TestPKI.sha256Hex("graf-token"))\", roles: [scrape]}\n"

    @Test("the watcher picks up a changed credentials file on its own")
    func watcher() async throws {
        try await Self.withSecuredGateway(watchMs: 100) { http, _, files in
            let headers = [("Authorization", "Bearer graf-token")]
            #expect(try await http.request("GET", "/metrics", headers: headers).status == 401)
            try files.write(auth: Self.auth + Self.newToken)
            let deadline = Date().addingTimeInterval(60)
            while try await http.request("GET", "/metrics", headers: headers).status != 200 {
                try #require(Date() < deadline, "the new token was not picked up within 60 s")
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test("a changed credentials file is used without a restart; a broken one keeps the previous")
    func reload() async throws {
        try await Self.withSecuredGateway { http, server, files in
            let security = try #require(server.core.security)
            #expect(try await Self.send(http, .prometheus, "GET", "/metrics").status == 200)
            try files.write(auth: Self.auth + Self.newToken)
            #expect(security.reloadIfChanged() == .reloaded)
            var headers = [("Authorization", "Bearer graf-token")]
            #expect(try await http.request("GET", "/metrics", headers: headers).status == 200)
            #expect(security.reloadIfChanged() == .unchanged)

            // A broken file: refused, said, and the settings in force stay.
            try files.write(auth: Self.auth.replacingOccurrences(of: "[scrape]", with: "[scrap]"))
            guard case .failed(let reason) = security.reloadIfChanged() else {
                Issue.record("a broken file was not refused")
                return
            }
            #expect(reason.contains("unknown role scrap"), "\(reason)")
            #expect(try await http.request("GET", "/metrics", headers: headers).status == 200)
            #expect(security.reloadIfChanged() == .unchanged)  // reported once, not every second
            let scrape = try await Self.send(http, .prometheus, "GET", "/metrics")
            #expect(scrape.text.contains("abacus_security_config_last_reload_successful 0\n"))
            #expect(scrape.text.contains("abacus_security_config_reload_failures_total 1\n"))

            // Fixed, without the new token: it stops working.
            try files.write(auth: Self.auth)
            #expect(security.reloadIfChanged() == .reloaded)
            #expect(try await http.request("GET", "/metrics", headers: headers).status == 401)
            headers = [("Authorization", "Bearer prom-token")]
            #expect(try await http.request("GET", "/metrics", headers: headers).status == 200)

            // The web configuration is watched too: a new user, then a bad header refused.
            try files.write(web: Self.web + "  extra: \"\(TestPKI.bcrypt("extra-pw"))\"\n")
            #expect(security.reloadIfChanged() == .reloaded)
            let extra = "Basic " + Data("extra:extra-pw".utf8).base64EncodedString()
            #expect(try await http.request("GET", "/metrics", headers: [("Authorization", extra)]).status == 200)
            try files.write(web: Self.web.replacingOccurrences(of: "deny", with: "allow"))
            guard case .failed(let why) = security.reloadIfChanged() else {
                Issue.record("a bad header value was not refused")
                return
            }
            #expect(why.contains("invalid value for X-Frame-Options"), "\(why)")
            #expect(try await http.request("GET", "/metrics", headers: [("Authorization", extra)]).status == 200)
        }
    }

    @Test("rate_limit: 429 with Retry-After once the burst is spent, before credentials; health checks exempt")
    func rateLimit() async throws {
        // One token back per hour: nothing refills during the test, whatever the machine's load.
        let web = Self.web + "rate_limit:\n  interval: 1h\n  burst: 2\n"
        try await Self.withSecuredGateway(web: web) { http, _, _ in
            #expect(try await Self.send(http, .viewer, "GET", "/api/v1/status").status == 200)
            #expect(try await Self.send(http, .viewer, "GET", "/api/v1/status").status == 200)
            let response = try await Self.send(http, .viewer, "GET", "/api/v1/status")
            #expect(response.status == 429)
            #expect(response.text == "Too Many Requests\n")
            #expect(Int(response.header("Retry-After") ?? "") ?? 0 > 60, "\(response.headers)")
            // Refused before credentials are looked at; health checks are not limited.
            #expect(try await Self.send(http, .nobody, "GET", "/metrics").status == 429)
            #expect(try await Self.send(http, .nobody, "GET", "/-/healthy").status == 200)
            #expect(try await Self.send(http, .nobody, "GET", "/-/ready").status == 200)
        }
    }

    @Test("rate_limit recovers: after a 429, a token comes back within the interval")
    func rateLimitRecovers() async throws {
        let web = Self.web + "rate_limit:\n  interval: 3s\n  burst: 1\n"
        try await Self.withSecuredGateway(web: web) { http, _, _ in
            // Waits for the events, not for a time: first a refusal, then an answer again.
            var refused = false
            for _ in 0..<50 where !refused {
                refused = try await Self.send(http, .viewer, "GET", "/api/v1/status").status == 429
            }
            try #require(refused, "no 429 in 50 requests with a burst of 1 per 3 s")
            let deadline = Date().addingTimeInterval(60)
            while try await Self.send(http, .viewer, "GET", "/api/v1/status").status != 200 {
                try #require(Date() < deadline, "the rate limit did not recover within 60 s")
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    @Test("rate_limits per credential (and a credential's own) on pushes and ops: 429 with Retry-After")
    func perCredentialLimits() async throws {
        // The last line is robot's: it gets a limit of its own.
        let robotEnd = "roles: [push]}\n"
        try #require(Self.auth.hasSuffix(robotEnd))
        let auth =
            String(Self.auth.dropLast(robotEnd.count)) + "roles: [push], rate_limit: {interval: 1h, burst: 4}}\n"
            + "rate_limits:\n  per_credential: {interval: 1h, burst: 2}\n"
        try await Self.withSecuredGateway(auth: auth) { http, _, _ in
            #expect(try await Self.send(http, .pusher, "PUT", "/metrics/job/a", "g 1\n").status == 200)
            #expect(
                try await Self.send(http, .pusher, "POST", "/api/v1/ops", #"{"name":"c","op":"inc","value":1}"# + "\n")
                    .status
                    == 200)
            let refused = try await Self.send(http, .pusher, "PUT", "/metrics/job/a", "g 2\n")
            #expect(refused.status == 429)
            #expect(refused.text == "Too Many Requests: the credential pusher is over its rate limit\n")
            #expect(Int(refused.header("Retry-After") ?? "") ?? 0 > 60, "\(refused.headers)")
            #expect(try await Self.send(http, .pusher, "DELETE", "/metrics/job/a").status == 429)
            // Nothing changed by the refused push; scrapes are not limited, other credentials neither.
            let scrape = try await Self.send(http, .viewer, "GET", "/metrics")
            #expect(scrape.text.contains(#"g{instance="",job="a"} 1"#), "\(scrape.text)")
            for _ in 0..<5 { #expect(try await Self.send(http, .viewer, "GET", "/api/v1/status").status == 200) }
            #expect(try await Self.send(http, .ci, "PUT", "/metrics/job/billing-x", "g 1\n").status == 200)
            // robot has its own limit, 4.
            for index in 0..<4 {
                let response = try await Self.send(http, .robot, "PUT", "/metrics/job/r\(index)", "g 1\n")
                #expect(response.status == 200, "\(index): \(response)")
            }
            #expect(try await Self.send(http, .robot, "PUT", "/metrics/job/r9", "g 1\n").status == 429)
        }
    }

    @Test("rate_limits per address: the pushes from one address, whoever sends them")
    func perAddressLimit() async throws {
        let auth = "rate_limits:\n  per_address: {interval: 1h, burst: 3}\n"
        try await Self.withSecuredGateway(web: "", auth: auth) { http, _, _ in
            for index in 0..<3 {
                #expect(try await Self.send(http, .nobody, "PUT", "/metrics/job/p\(index)", "g 1\n").status == 200)
            }
            let refused = try await Self.send(http, .nobody, "POST", "/aggregate/job/p", "c 1\n")
            #expect(refused.status == 429)
            #expect(refused.text == "Too Many Requests: the address 127.0.0.1 is over its rate limit\n")
            #expect(try await Self.send(http, .nobody, "GET", "/metrics").status == 200)
        }
    }

    @Test("a reload that would remove every credential is refused; a forced reload (SIGHUP) reads unchanged files")
    func reloadGuards() async throws {
        try await Self.withSecuredGateway { http, server, files in
            let security = try #require(server.core.security)
            #expect(security.reloadIfChanged() == .unchanged)
            #expect(security.reloadIfChanged(force: true) == .reloaded)
            // Both files emptied (as a truncating editor leaves them for a moment): refused.
            try files.write(web: "", auth: "")
            guard case .failed(let reason) = security.reloadIfChanged() else {
                Issue.record("a reload without credentials was taken")
                return
            }
            #expect(reason.contains("no longer hold any credential"), "\(reason)")
            #expect(try await Self.send(http, .nobody, "GET", "/metrics").status == 401)
            #expect(try await Self.send(http, .viewer, "GET", "/metrics").status == 200)
            // Written back: taken again.
            try files.write(web: Self.web, auth: Self.auth)
            #expect(security.reloadIfChanged() == .reloaded)
        }
    }

    @Test("the shutdown op over HTTP needs the admin role; odd methods on an endpoint get 405 after the checks")
    func shutdownOpAndMethods() async throws {
        let files = try Files(web: Self.web, auth: Self.auth)
        defer { try? FileManager.default.removeItem(at: files.directory) }
        try await TestGateway.with(
            { configuration in
                configuration.webConfigFile = files.web
                configuration.authFile = files.auth
                configuration.ops.enableShutdown = true
            },
            body: { baseURL, server in
                let http = RawHTTP(baseURL: baseURL)
                let shutdown = #"{"op":"shutdown"}"# + "\n"
                let refused = try await Self.send(http, .pusher, "POST", "/api/v1/ops", shutdown)
                // Every message refused: 400, with the reason.
                #expect(refused.status == 400)
                #expect(refused.text.contains("shutdown over HTTP needs the admin role"), "\(refused)")
                #expect(try await Self.send(http, .nobody, "GET", "/-/ready").status == 200)
                // TRACE is not routed: the endpoint still answers it, after the same checks.
                #expect(try await Self.send(http, .nobody, "TRACE", "/metrics").status == 401)
                let trace = try await Self.send(http, .viewer, "TRACE", "/metrics")
                #expect(trace.status == 405 && trace.header("Allow") == "GET", "\(trace)")
                #expect(try await Self.send(http, .viewer, "TRACE", "/nothing").status == 404)
                _ = server
            })
    }

    @Test("files that cannot be used stop the start, with the reason")
    func badFilesAtStart() async throws {
        let files = try Files(web: "basic_auth_users:\n  a: nothash\n", auth: "")
        defer { try? FileManager.default.removeItem(at: files.directory) }
        var configuration = GatewayConfiguration()
        configuration.storagePath = ":memory:"
        configuration.webConfigFile = files.web
        #expect {
            _ = try GatewayServer(configuration: configuration, logger: .init(label: "t"))
        } throws: { error in
            "\(error)".contains(
                "--web.config.file \(files.web): basic_auth_users: the password of a is not a bcrypt hash")
        }
        configuration.webConfigFile = files.directory.appendingPathComponent("missing.yml").path
        #expect {
            _ = try GatewayServer(configuration: configuration, logger: .init(label: "t"))
        } throws: { error in "\(error)".contains("cannot read") }
        // The same user in both files is ambiguous.
        try files.write(web: Self.web, auth: Self.auth.replacingOccurrences(of: "name: boss", with: "name: root"))
        configuration.webConfigFile = files.web
        configuration.authFile = files.auth
        #expect {
            _ = try GatewayServer(configuration: configuration, logger: .init(label: "t"))
        } throws: { error in "\(error)".contains("the user root is in both") }
    }
}
