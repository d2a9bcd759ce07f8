import AbacusExposition
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP ops transports:
/// - `POST /api/v1/ops`: JSON-lines ops (docs/ops.md) in the body, framed as on a stream.
///   Each message is applied on its own (as over a socket); the answer comes after the commit:
///   200 when every message was applied, 400 when some were rejected, with a JSON body
///   `{"applied":N,"rejected":M,"errors":[{"message":K,"reason":"…","error":"…"}]}` (`message`
///   is the 1-based position of the rejected message in the body).
/// - `POST|PUT /aggregate{/job/<JOB>{/<LABEL>/<VALUE>}}`: the aggregating push of Prometheus
///   text (or OpenMetrics, protobuf) bodies, all or nothing (``GroupStore/aggregate(_:labels:extra:nowMs:)``).
extension GatewayHandlers {
    func opsPost(_ request: Request, principal: Principal) async -> Response {
        // Ops name no job: a credential restricted to some jobs cannot send them.
        if principal.jobs != nil { return refuse(forbidden(principal, job: nil), request.method) }
        let body: ByteBuffer
        do throws(PushRejection) {
            body = try await collect(request)
        } catch {
            return refuse(error, request.method)
        }
        let bytes: [UInt8]
        do throws(PushRejection) {
            bytes = try PushBody.decompress(
                body, contentEncoding: request.headers[.contentEncoding], limits: gateway.configuration.limits)
        } catch {
            return refuse(error, request.method)
        }
        let ops = gateway.configuration.ops
        var framer = OpsFramer(maxMessageSize: ops.maxMessageBytes)
        framer.append(bytes)
        let limits = self.ops.policy.limits
        var outcome = self.ops.apply(transport: .http, policy: self.ops.policy(for: principal), commit: true) { sink in
            framer.forEachItem(limits: limits, sink)
        }
        if let rejection = framer.finish() {
            self.ops.reject(rejection, transport: .http)
            outcome.reject(rejection.reason.rawValue, rejection.message)
        }
        if let failure = await gateway.waitCommitted(outcome.ticket) { return failure }
        var out: [UInt8] = Array(#"{"applied":\#(outcome.accepted),"rejected":\#(outcome.rejections.count)"#.utf8)
        if !outcome.rejections.isEmpty {
            out.append(contentsOf: #","errors":["#.utf8)
            for (index, rejection) in outcome.rejections.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: #"{"message":\#(rejection.ordinal),"reason":"#.utf8)
                JSONString.append(rejection.reason, to: &out)
                out.append(contentsOf: #","error":"#.utf8)
                JSONString.append(rejection.message, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}\n".utf8)
        return Response(
            status: outcome.rejections.isEmpty ? .ok : .badRequest, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }

    func aggregatePush(_ request: Request, path: Substring, principal: Principal) async -> Response {
        let method = request.method
        if method == .delete { return await aggregateDelete(request, path: path, principal: principal) }
        guard method == .post || method == .put else { return notAllowed("POST, PUT, DELETE") }
        do throws(PushRejection) {
            let labels = try Self.pathLabels(path, names: gateway.configuration.pushNames)
            try checkJob(labels, principal)
            let body = try await collect(request)
            let families = try PushBody.decode(
                body, contentType: request.headers[.contentType], contentEncoding: request.headers[.contentEncoding],
                limits: gateway.configuration.limits, names: gateway.configuration.pushNames)
            let lines = families.reduce(0) { $0 + $1.metrics.count }
            if lines > gateway.configuration.limits.maxSeriesPerPush {
                throw PushRejection(
                    status: 413, reason: "too_many_series_in_push",
                    "the push has \(lines) series, more than \(gateway.configuration.limits.maxSeriesPerPush) "
                        + "(--push.max-series-per-push)")
            }
            let ticket = try gateway.store.aggregate(
                families, labels: labels, extra: gateway.configuration.extraLabels, nowMs: gateway.clock.nowMs())
            if let failure = await gateway.waitCommitted(ticket) {
                gateway.metrics.countPush(method: "aggregate", outcome: "failed")
                return failure
            }
            gateway.metrics.countPush(method: "aggregate", outcome: "accepted")
            return Response(status: .ok)
        } catch {
            gateway.metrics.countPush(method: "aggregate", outcome: "rejected")
            gateway.metrics.countRejection(reason: error.reason)
            return response(for: error)
        }
    }

    /// `DELETE /aggregate{/job/<JOB>{/<LABEL>/<VALUE>}}[?name=<metric>]`: deletes the aggregated
    /// series that have all these labels (and that name); 202 after the commit, whatever the
    /// number deleted (like a Pushgateway DELETE). Without labels and name: every aggregated series.
    func aggregateDelete(_ request: Request, path: Substring, principal: Principal) async -> Response {
        let labels: [Label]
        do throws(PushRejection) {
            labels = try Self.pathLabels(path, names: gateway.configuration.pushNames)
            try checkJob(labels, principal)
        } catch {
            return refuse(error, request.method)
        }
        let name = request.uri.queryParameters["name"].map(String.init)
        let result = gateway.store.deleteAggregated(matching: labels, name: name)
        if let failure = await gateway.waitCommitted(result.ticket) { return failure }
        gateway.metrics.countPush(method: "aggregate_delete", outcome: "accepted")
        return Response(status: .accepted)
    }

    /// A credential restricted to some jobs may aggregate (or delete) only under a `job` it
    /// may push to.
    func checkJob(_ labels: [Label], _ principal: Principal) throws(PushRejection) {
        guard principal.jobs != nil else { return }
        let job = labels.first { $0.name == "job" }?.value
        guard let job, principal.mayPush(job: job) else { throw forbidden(principal, job: job) }
    }

    /// The labels of an `/aggregate/job/<JOB>{/<LABEL>/<VALUE>}` path (none for `/aggregate`),
    /// encoded as grouping keys are. A label with an empty value is kept: it removes the body's
    /// label of that name, and matches the series without it.
    static func pathLabels(_ path: Substring, names: NameValidation) throws(PushRejection) -> [Label] {
        guard !path.isEmpty else { return [] }
        do {
            return try GroupingKey.parse(path: path, names: names).pushedLabels
        } catch {
            throw .invalid("grouping_key", "invalid labels in the path: \(error.message)")
        }
    }
}
