import AbacusExposition
import HTTPTypes
import Hummingbird
import NIOCore

/// The Pushgateway's push API: `PUT` (replace the group), `POST` (replace the pushed families),
/// `DELETE` (remove the group, or with `?partial` every group whose key holds these labels),
/// and `/api/v1/batch` (several groups, atomically). A push is answered 2xx only after its
/// journal commit.
extension GatewayHandlers {
    func push(_ request: Request, keyPath: Substring, principal: Principal) async -> Response {
        let method = request.method
        guard method == .put || method == .post || method == .delete else { return notAllowed("PUT, POST, DELETE") }
        let key: GroupingKey
        do {
            key = try GroupingKey.parse(path: keyPath, names: gateway.configuration.pushNames)
        } catch {
            return refuse(PushRejection.invalid("grouping_key", "invalid grouping key: \(error.message)"), method)
        }
        guard principal.mayPush(job: key.job) else { return refuse(forbidden(principal, job: key.job), method) }
        if method == .delete {
            let query = request.uri.queryParameters
            let ticket: Journal.Ticket?
            if let partial = query["partial"], partial != "false", partial != "0" {
                let result = gateway.store.delete(matching: key.pushedLabels)
                ticket = result.ticket
            } else {
                ticket = gateway.store.delete(key).ticket
            }
            if let failure = await gateway.waitCommitted(ticket) {
                gateway.metrics.countPush(method: method.rawValue, outcome: "failed")
                return failure
            }
            gateway.metrics.countPush(method: method.rawValue, outcome: "accepted")
            return Response(status: .accepted)
        }
        let nowMs = gateway.clock.nowMs()
        // A refused push that creates its group gives it this TTL (the default if the push's is invalid).
        var ttl = gateway.configuration.defaultTTLMs
        // The store records its own refusals' failure times; the handler records the others.
        var reachedStore = false
        do throws(PushRejection) {
            ttl = try ttlMs(request)
            let body = try await collect(request)
            let families = try PushBody.decode(
                body, contentType: request.headers[.contentType], contentEncoding: request.headers[.contentEncoding],
                limits: gateway.configuration.limits, names: gateway.configuration.pushNames)
            let prepared = try PreparedPush.prepare(
                families: consume families, key: key, limits: gateway.configuration.limits,
                extraLabels: gateway.configuration.extraLabels)
            reachedStore = true
            let ticket = try gateway.store.apply(
                [prepared], mode: method == .put ? .replaceGroup : .replaceFamilies, nowMs: nowMs, ttlMs: ttl)
            if let failure = await gateway.waitCommitted(ticket) {
                gateway.metrics.countPush(method: method.rawValue, outcome: "failed")
                return failure
            }
            gateway.metrics.countPush(method: method.rawValue, outcome: "accepted")
            return Response(status: .ok)
        } catch {
            if error.status != 413 && !reachedStore { gateway.store.recordFailure(key: key, nowMs: nowMs, ttlMs: ttl) }
            return refuse(error, method)
        }
    }

    /// `PUT|POST /api/v1/batch`: a text body in which `# GROUP <grouping key path>` lines (the
    /// path as after `/metrics/`) start each group's part. All groups are applied, or none.
    func batch(_ request: Request, principal: Principal) async -> Response {
        let method = request.method
        let nowMs = gateway.clock.nowMs()
        do throws(PushRejection) {
            let ttl = try ttlMs(request)
            let body = try await collect(request)
            let format = Exposition.format(contentType: request.headers[.contentType]) ?? .text
            guard format == .text else {
                throw PushRejection(
                    status: 415, reason: "content_type", "a batch body is text 0.0.4 with # GROUP lines")
            }
            let bytes = try PushBody.decompress(
                body, contentEncoding: request.headers[.contentEncoding], limits: gateway.configuration.limits)
            var pushes: [PreparedPush] = []
            var seen: Set<GroupingKey> = []
            for part in try BatchBody.split(bytes) {
                let key: GroupingKey
                do {
                    key = try GroupingKey.parse(path: part.path, names: gateway.configuration.pushNames)
                } catch {
                    throw .invalid("grouping_key", "line \(part.line): invalid grouping key: \(error.message)")
                }
                guard principal.mayPush(job: key.job) else { throw forbidden(principal, job: key.job) }
                guard seen.insert(key).inserted else {
                    throw .invalid(
                        "invalid",
                        "line \(part.line): group \(key.groupPath) appears twice in the batch (a label with an "
                            + "empty value is the same as no label)")
                }
                let families: [MetricFamily]
                do {
                    families = try TextParser.parse(part.body, names: gateway.configuration.pushNames)
                } catch {
                    // Line numbers in the batch, not in the group's part.
                    let problem =
                        (error as? ExpositionError).flatMap { parsed in
                            parsed.line.map { "line \(part.line + $0): \(parsed.message)" }
                        } ?? "\(error)"
                    throw .invalid("parse", "group \(part.path): could not parse the text body: \(problem)")
                }
                do throws(PushRejection) {
                    pushes.append(
                        try PreparedPush.prepare(
                            families: consume families, key: key, limits: gateway.configuration.limits,
                            extraLabels: gateway.configuration.extraLabels))
                } catch {
                    throw error.naming(part.path)
                }
            }
            let ticket: Journal.Ticket?
            do throws(PushRejection) {
                ticket = try gateway.store.apply(
                    pushes, mode: method == .put ? .replaceGroup : .replaceFamilies, nowMs: nowMs, ttlMs: ttl)
            } catch {
                // The store names the refused group when the batch has several.
                throw pushes.count == 1 ? error.naming(pushes[0].key.groupPath) : error
            }
            if let failure = await gateway.waitCommitted(ticket) {
                gateway.metrics.countPush(method: method.rawValue, outcome: "failed")
                return failure
            }
            gateway.metrics.countPush(method: method.rawValue, outcome: "accepted")
            return Response(status: .ok)
        } catch {
            return refuse(error, method)
        }
    }

    func refuse(_ rejection: PushRejection, _ method: HTTPRequest.Method) -> Response {
        gateway.metrics.countPush(method: method.rawValue, outcome: "rejected")
        gateway.metrics.countRejection(reason: rejection.reason)
        gateway.logger.debug(
            "push refused", metadata: ["reason": "\(rejection.reason)", "message": "\(rejection.message)"])
        return response(for: rejection)
    }

    static let ttlHeader = HTTPField.Name("Abacus-TTL")!

    /// The push's time to live: `?ttl=` or the `Abacus-TTL` header (`90s`, `1h30m`, `0` for
    /// none), else `--push.default-ttl`.
    func ttlMs(_ request: Request) throws(PushRejection) -> Int64? {
        let given = request.uri.queryParameters["ttl"].map(String.init) ?? request.headers[Self.ttlHeader]
        guard let given else { return gateway.configuration.defaultTTLMs }
        guard let ms = PrometheusDuration.milliseconds(given) else {
            throw .invalid("ttl", "invalid TTL \(given); write a duration such as 90s, 15m, 1h30m or 0 for none")
        }
        return ms == 0 ? nil : ms
    }

    /// The request body, refused with 413 over `--push.max-body-size`.
    func collect(_ request: Request) async throws(PushRejection) -> ByteBuffer {
        let limit = gateway.configuration.limits.maxBodyBytes
        let tooLarge = PushRejection(
            status: 413, reason: "body_too_large",
            "the request body is larger than \(limit) bytes (--push.max-body-size); split the push into several "
                + "groups or raise the limit")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw tooLarge
        }
    }
}

extension PushRejection {
    /// The rejection with the batch group it concerns named first: `group job/b: …`.
    func naming(_ path: String) -> PushRejection {
        PushRejection(status: status, reason: reason, "group \(path): \(message)")
    }
}

/// The body of `/api/v1/batch`: parts introduced by `# GROUP <path>` lines.
enum BatchBody {
    struct Part {
        var path: String
        var line: Int
        var body: [UInt8]
    }

    static func split(_ bytes: [UInt8]) throws(PushRejection) -> [Part] {
        var parts: [Part] = []
        let marker = Array("# GROUP ".utf8)
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            let end = bytes[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
            let line = bytes[start..<end]
            if line.starts(with: marker) {
                var path = line.dropFirst(marker.count)
                while let last = path.last, last == 0x0A || last == 0x0D || last == 0x20 { path = path.dropLast() }
                parts.append(Part(path: String(decoding: path, as: UTF8.self), line: lineNumber, body: []))
            } else if parts.isEmpty {
                if !line.allSatisfy({ $0 == 0x0A || $0 == 0x20 || $0 == 0x0D }) {
                    throw .invalid(
                        "invalid", "line \(lineNumber): a batch starts with a # GROUP <grouping key path> line")
                }
            } else {
                parts[parts.count - 1].body.append(contentsOf: line)
            }
            start = end
        }
        if parts.isEmpty { throw .invalid("invalid", "the batch holds no # GROUP line") }
        return parts
    }
}
