import Crypto
import Foundation
import HummingbirdBcrypt
public import Logging
import NIOPosix
import Synchronization

/// Who made a request, once their credentials were checked.
public struct Principal: Sendable, Equatable {
    /// The user or token name (never the secret).
    public var name: String
    /// What it may do.
    public var roles: Set<Role>
    /// Glob patterns of the jobs it may push to; `nil`: any.
    public var jobs: [String]?
    /// Its own limit on pushes and ops (`rate_limit` in `--web.auth.file`).
    public var rateLimit: WebConfig.RateLimit?

    /// A principal with these roles, jobs and limit.
    public init(name: String, roles: Set<Role>, jobs: [String]? = nil, rateLimit: WebConfig.RateLimit? = nil) {
        self.name = name
        self.roles = roles
        self.jobs = jobs
        self.rateLimit = rateLimit
    }

    /// Anyone, when no credentials are configured: every role, every job.
    public static let anyone = Principal(name: "", roles: Set(Role.allCases), jobs: nil)

    /// May push to the group of `job`.
    public func mayPush(job: String) -> Bool {
        guard let jobs else { return true }
        return jobs.contains { Glob.matches($0, job) }
    }
}

/// Why a request is refused before it reaches its handler.
struct AccessRefusal: Error {
    var status: Int
    var message: String
    var headers: [(String, String)] = []
}

/// The web configuration (`--web.config.file`) and the credentials file (`--web.auth.file`) in
/// force, re-read when either changes (or a file it names: certificates, keys, CAs). A file
/// that no longer loads keeps the previous settings, logged and counted. Checks requests:
/// rate limit, credentials, roles (docs/security.md).
public final class GatewaySecurity: Sendable {
    /// Everything read from the files, checked, ready to use.
    struct Settings: Sendable {
        let web: WebConfig
        let auth: AuthFile
        let tls: ServerTLS?
        /// SHA-256 of every file read, by path (`nil`: could not be read), to notice changes.
        let fingerprint: [String: SHA256Digest?]

        /// Credentials are configured: requests outside the open endpoints need them.
        var authEnabled: Bool { !web.users.isEmpty || !auth.users.isEmpty || !auth.tokens.isEmpty }
    }

    /// What a reload did.
    public enum ReloadOutcome: Sendable, Equatable {
        case unchanged
        case reloaded
        case failed(String)
    }

    let webConfigPath: String?
    let authFilePath: String?
    let logger: Logger
    let settings: Mutex<Settings>
    /// `rate_limit`, rebuilt when it changes.
    let limiter: Mutex<TokenBucket?>
    /// Per-address (`a:<ip>`) and per-credential (`c:<name>`) buckets of pushes and ops.
    let pushLimiters = Mutex<[String: TokenBucket]>([:])
    /// Buckets kept before full (idle) ones are dropped.
    static let pushLimitersCapacity = 10_000
    /// Outcomes of bcrypt checks, keyed by SHA-256 of (user, hash, password), so a request does
    /// not pay bcrypt each time and no password is kept in memory in the clear.
    let verified = Mutex<[SHA256Digest: Bool]>([:])
    static let verifiedCapacity = 100
    /// Counts for the gateway's metrics.
    let counts = Mutex(Counts())
    /// One thread for bcrypt checks, as exporter-toolkit runs one at a time: a flood of wrong
    /// passwords costs at most one core.
    let bcryptPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    deinit {
        bcryptPool.shutdownGracefully { _ in }
    }

    struct Counts {
        var reloadFailures: Double = 0
        var lastReloadSuccessful = true
        var lastReloadSeconds: Double = 0
        var tlsRefusals: Double = 0
        var authRefusals: [String: Double] = [:]
    }

    /// Loads both files; throws what is wrong with them (the gateway does not start).
    public init(webConfigPath: String?, authFilePath: String?, logger: Logger) throws(ConfigFileError) {
        self.webConfigPath = webConfigPath
        self.authFilePath = authFilePath
        self.logger = logger
        var reads = FileReads()
        let loaded = try Self.load(webConfigPath: webConfigPath, authFilePath: authFilePath, reads: &reads)
        settings = Mutex(loaded)
        limiter = Mutex(loaded.web.rateLimit.map(TokenBucket.init))
        counts.withLock { $0.lastReloadSeconds = Date().timeIntervalSince1970 }
    }

    /// Every file read for one load, each read once: the bytes parsed are the bytes
    /// fingerprinted, so a file written while it is read is seen as changed at the next check.
    struct FileReads {
        /// SHA-256 of each file read; `nil` for a file that could not be read.
        var fingerprint: [String: SHA256Digest?] = [:]

        mutating func read(_ path: String) -> Data? {
            let data = FileManager.default.contents(atPath: path)
            // updateValue: a nil digest (unreadable) must be stored, not remove the entry.
            fingerprint.updateValue(data.map { SHA256.hash(data: $0) }, forKey: path)
            return data
        }

        mutating func text(_ path: String, _ flag: String) throws(ConfigFileError) -> String {
            guard let data = read(path) else { throw ConfigFileError("\(flag): cannot read \(path)") }
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func load(
        webConfigPath: String?, authFilePath: String?, reads: inout FileReads
    ) throws(ConfigFileError) -> Settings {
        var web = WebConfig()
        if let webConfigPath {
            let text = try reads.text(webConfigPath, "--web.config.file")
            do {
                web = try WebConfig.parse(text, directory: (webConfigPath as NSString).deletingLastPathComponent)
            } catch {
                throw ConfigFileError("--web.config.file \(webConfigPath): \(error.message)")
            }
        }
        var auth = AuthFile()
        if let authFilePath {
            let text = try reads.text(authFilePath, "--web.auth.file")
            do {
                auth = try AuthFile.parse(text)
            } catch {
                throw ConfigFileError("--web.auth.file \(authFilePath): \(error.message)")
            }
        }
        for user in auth.users where web.users[user.name] != nil {
            throw ConfigFileError(
                "the user \(user.name) is in both --web.config.file and --web.auth.file; keep one")
        }
        var tls: ServerTLS?
        if web.tls.isEnabled {
            do {
                tls = try ServerTLS(web.tls) { reads.read($0) }
            } catch {
                throw ConfigFileError("--web.config.file \(webConfigPath ?? ""): \(error.message)")
            }
        }
        return Settings(web: web, auth: auth, tls: tls, fingerprint: reads.fingerprint)
    }

    var current: Settings { settings.withLock { $0 } }

    /// The gateway serves HTTPS (decided at start: a reload cannot turn TLS on or off).
    public var servesTLS: Bool { current.tls != nil }

    /// The TLS context for a new connection.
    var currentTLS: ServerTLS? { current.tls }

    /// Re-reads the files if any changed (or always, with `force`: SIGHUP). A file that no
    /// longer loads, or that would turn TLS on or off or remove every credential, keeps the
    /// settings in force. One reload at a time.
    @discardableResult
    public func reloadIfChanged(force: Bool = false) -> ReloadOutcome {
        reloading.withLock { _ in reload(force: force) }
    }

    /// Serialises reloads (the watcher and SIGHUP).
    let reloading = Mutex(())

    private func reload(force: Bool) -> ReloadOutcome {
        let old = current
        var watched = old.fingerprint
        for path in [webConfigPath, authFilePath].compactMap({ $0 }) where watched.index(forKey: path) == nil {
            watched.updateValue(nil, forKey: path)
        }
        let changed = watched.contains { path, digest in
            FileManager.default.contents(atPath: path).map { SHA256.hash(data: $0) } != digest
        }
        guard changed || force else { return .unchanged }
        var reads = FileReads()
        do throws(ConfigFileError) {
            let new = try Self.load(webConfigPath: webConfigPath, authFilePath: authFilePath, reads: &reads)
            guard (new.tls != nil) == (old.tls != nil) else {
                throw ConfigFileError(
                    "TLS cannot be turned \(new.tls == nil ? "off" : "on") while the gateway runs; restart it")
            }
            guard new.authEnabled || !old.authEnabled else {
                throw ConfigFileError(
                    "the files no longer hold any credential, which would let everyone in; restart the gateway "
                        + "to run without credentials")
            }
            settings.withLock { $0 = new }
            if new.web.rateLimit != old.web.rateLimit {
                limiter.withLock { $0 = new.web.rateLimit.map(TokenBucket.init) }
            }
            verified.withLock { $0 = [:] }
            counts.withLock {
                $0.lastReloadSuccessful = true
                $0.lastReloadSeconds = Date().timeIntervalSince1970
            }
            logger.info(
                "security configuration reloaded",
                metadata: [
                    "tls": "\(new.tls != nil)", "users": "\(new.web.users.count + new.auth.users.count)",
                    "tokens": "\(new.auth.tokens.count)",
                ])
            return .reloaded
        } catch {
            // Remember what was read (the files the broken configuration names too): the error is
            // reported once, and any change to one of them is tried again.
            var fingerprint = old.fingerprint
            for (path, digest) in reads.fingerprint { fingerprint.updateValue(digest, forKey: path) }
            settings.withLock {
                $0 = Settings(web: $0.web, auth: $0.auth, tls: $0.tls, fingerprint: fingerprint)
            }
            counts.withLock {
                $0.reloadFailures += 1
                $0.lastReloadSuccessful = false
            }
            logger.error(
                "security configuration not reloaded; the previous one stays in force",
                metadata: ["error": "\(error.message)"])
            return .failed(error.message)
        }
    }

    /// Headers the web configuration adds to every response.
    var headers: [WebConfig.Header] { current.web.headers }

    /// `rate_limit`: `nil` when the request may go on, else how many seconds to wait.
    func rateLimited() -> Int? {
        limiter.withLock { bucket -> Int? in
            guard bucket != nil else { return nil }
            return bucket!.take(now: .now)
        }
    }

    /// Everything a request must pass before its handler, in order: the web configuration's
    /// `rate_limit` (not for open endpoints), credentials and role (401, 403), and for pushes
    /// and ops the per-address and per-credential limits (429).
    func admit(authorization: String?, requirement: GatewayRoute.Requirement, address: String?) async
        -> Result<Principal, AccessRefusal>
    {
        if requirement != .open, let wait = rateLimited() {
            count(refusal: "rate_limited")
            return .failure(
                AccessRefusal(status: 429, message: "Too Many Requests", headers: [("Retry-After", "\(wait)")]))
        }
        let role: Role?
        switch requirement {
        case .open: role = nil
        case .authenticated: role = .scrape  // any valid credential; the role is not checked
        case .role(let needed): role = needed
        }
        let decision = await authorize(
            authorization: authorization, role: role, anyRole: requirement == .authenticated)
        guard case .success(let principal) = decision else { return decision }
        if requirement == .role(.push), let (wait, over) = pushRateLimited(address: address, principal: principal) {
            count(refusal: "rate_limited")
            return .failure(
                AccessRefusal(
                    status: 429, message: "Too Many Requests: the \(over) is over its rate limit",
                    headers: [("Retry-After", "\(wait)")]))
        }
        return .success(principal)
    }

    /// `rate_limits` of `--web.auth.file` on pushes and ops: `nil` when the request may go on,
    /// else the seconds to wait and whose limit it is (`address 10.0.0.7`, `credential ci`).
    func pushRateLimited(address: String?, principal: Principal) -> (wait: Int, over: String)? {
        let auth = current.auth
        var checks: [(key: String, limit: WebConfig.RateLimit, over: String)] = []
        if let address, let limit = auth.perAddress { checks.append(("a:" + address, limit, "address \(address)")) }
        if !principal.name.isEmpty, let limit = principal.rateLimit ?? auth.perCredential {
            checks.append(("c:" + principal.name, limit, "credential \(principal.name)"))
        }
        guard !checks.isEmpty else { return nil }
        return pushLimiters.withLock { buckets -> (wait: Int, over: String)? in
            let now = ContinuousClock.now
            if buckets.count > Self.pushLimitersCapacity {
                buckets = buckets.filter { !$0.value.isFull(now: now) }
                // Still too many busy ones (many addresses): forget a random tenth.
                while buckets.count > Self.pushLimitersCapacity * 9 / 10, let victim = buckets.keys.randomElement() {
                    buckets.removeValue(forKey: victim)
                }
            }
            for check in checks {
                var bucket = buckets[check.key] ?? TokenBucket(check.limit)
                if bucket.limit != check.limit { bucket = TokenBucket(check.limit) }
                let wait = bucket.take(now: now)
                buckets[check.key] = bucket
                if let wait { return (wait, check.over) }
            }
            return nil
        }
    }

    /// Checks the request's credentials for `role` (`nil`: an open endpoint; `anyRole`: any
    /// valid credential will do). Returns who made it, or why it is refused: 401 without valid
    /// credentials, 403 without the role.
    func authorize(authorization: String?, role: Role?, anyRole: Bool = false) async -> Result<Principal, AccessRefusal>
    {
        let settings = current
        guard settings.authEnabled else { return .success(.anyone) }
        guard let role else { return .success(.anyone) }
        let principal = await authenticate(authorization, settings)
        guard let principal else {
            count(refusal: "unauthorized")
            var challenges = [("WWW-Authenticate", "Basic")]
            if !settings.auth.tokens.isEmpty { challenges.append(("WWW-Authenticate", "Bearer")) }
            return .failure(AccessRefusal(status: 401, message: "Unauthorized", headers: challenges))
        }
        guard anyRole || principal.roles.contains(role) else {
            count(refusal: "forbidden")
            return .failure(
                AccessRefusal(status: 403, message: "Forbidden: \(principal.name) does not have the \(role) role"))
        }
        return .success(principal)
    }

    func count(refusal reason: String) {
        counts.withLock { $0.authRefusals[reason, default: 0] += 1 }
    }

    /// Who the `Authorization` header names, if its secret is right.
    func authenticate(_ header: String?, _ settings: Settings) async -> Principal? {
        guard let header else { return nil }
        if let token = Self.bearerToken(header) {
            let digest = Array(SHA256.hash(data: Array(token.utf8)))
            var match: AuthFile.Credential?
            // Every token is compared, in constant time: the time taken says nothing.
            for candidate in settings.auth.tokens {
                if case .sha256(let expected) = candidate.secret, Self.constantTimeEqual(expected, digest) {
                    match = candidate
                }
            }
            return match.map { Principal(name: $0.name, roles: $0.roles, jobs: $0.jobs, rateLimit: $0.rateLimit) }
        }
        guard let (user, password) = Self.basicCredentials(header) else { return nil }
        var principal: Principal?
        var hash: String?
        if let webHash = settings.web.users[user] {
            hash = webHash
            principal = Principal(name: user, roles: Set(Role.allCases), jobs: nil)
        } else if let credential = settings.auth.users.first(where: { $0.name == user }),
            case .bcrypt(let userHash) = credential.secret
        {
            hash = userHash
            principal = Principal(
                name: user, roles: credential.roles, jobs: credential.jobs, rateLimit: credential.rateLimit)
        }
        // An unknown user costs a bcrypt check too, so timing does not tell which users exist.
        let checked = hash ?? Self.decoyHash
        let ok = await verify(user: user, password: password, hash: checked)
        return ok && hash != nil ? principal : nil
    }

    /// A bcrypt hash no password matches in practice, checked for unknown users.
    static let decoyHash = "$2b$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"

    func verify(user: String, password: String, hash: String) async -> Bool {
        var hasher = SHA256()
        for part in [user, hash, password] {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        let key = hasher.finalize()
        if let known = verified.withLock({ $0[key] }) { return known }
        let normalized = BcryptHash.normalized(hash)
        let ok =
            (try? await bcryptPool.runIfActive { Bcrypt.verify(password, hash: normalized) }) ?? false
        verified.withLock { cache in
            if cache.count >= Self.verifiedCapacity {
                // Random eviction of a tenth, as exporter-toolkit's cache does.
                for _ in 0...(cache.count / 10) {
                    if let victim = cache.keys.randomElement() { cache.removeValue(forKey: victim) }
                }
            }
            cache[key] = ok
        }
        return ok
    }

    /// `Basic <base64(user:password)>`, the scheme in any case.
    static func basicCredentials(_ header: String) -> (String, String)? {
        let prefix = "basic "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix,
            let data = Data(base64Encoded: String(header.dropFirst(prefix.count))),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// `Bearer <token>`, the scheme in any case.
    static func bearerToken(_ header: String) -> String? {
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else { return nil }
        let token = header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// A token bucket as Go's `rate.Limiter(rate.Every(interval), burst)`: full at the start,
/// one token back per interval, at most `burst`.
struct TokenBucket: Sendable {
    let limit: WebConfig.RateLimit
    let interval: Duration
    let burst: Int
    var tokens: Double
    var last: ContinuousClock.Instant

    init(_ limit: WebConfig.RateLimit) {
        self.limit = limit
        interval = .nanoseconds(limit.intervalNanoseconds)
        burst = limit.burst
        tokens = Double(limit.burst)
        last = .now
    }

    /// Refilled to the burst by `now`: an idle bucket, the same as a new one.
    func isFull(now: ContinuousClock.Instant) -> Bool {
        tokens + (now - last).seconds / interval.seconds >= Double(burst)
    }

    /// Takes a token: `nil` if there was one, else the seconds until there is (at least 1).
    mutating func take(now: ContinuousClock.Instant) -> Int? {
        let elapsed = max(.zero, now - last)
        last = max(last, now)
        let perInterval = interval.seconds
        tokens = min(Double(burst), tokens + elapsed.seconds / perInterval)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        guard burst > 0 else { return Int(perInterval.rounded(.up)).clamped(1, 3600) }
        return Int(((1 - tokens) * perInterval).rounded(.up)).clamped(1, 3600)
    }
}

extension Int {
    fileprivate func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
