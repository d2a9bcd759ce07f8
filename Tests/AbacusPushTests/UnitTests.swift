import Abacus
import AbacusExposition
import AbacusTesting
import Testing

@testable import AbacusPush

@Suite("Building blocks: URLs, credentials, labels, ops messages and datagrams")
struct UnitTests {
    @Test("a group URL has one / before metrics and @base64 for values with / or empty values")
    func groupURL() async throws {
        let key = try GroupingKey(job: "nightly/backup", labels: [Label("path", "/var/lib"), Label("empty", "")])
        #expect(
            PushgatewayClient.groupURL(base: "http://gw:9091/", key: key)
                == "http://gw:9091/metrics/job@base64/bmlnaHRseS9iYWNrdXA=/empty@base64/=/path@base64/L3Zhci9saWI=")
        let plain = try GroupingKey(job: "backup", labels: [Label("instance", "db1")])
        #expect(
            PushgatewayClient.groupURL(base: "https://gw/prefix", key: plain)
                == "https://gw/prefix/metrics/job/backup/instance/db1")
        let client = PushgatewayClient(url: "http://127.0.0.1:1//")
        #expect(client.url(for: plain) == "http://127.0.0.1:1/metrics/job/backup/instance/db1")
        try await client.shutdown()
    }

    @Test("basic and bearer credentials become the exact Authorization values; descriptions hide them")
    func authorization() {
        let basic = PushAuthorization.basic(username: "user", password: "s3cret")
        #expect(basic.headerValue == "Basic dXNlcjpzM2NyZXQ=")
        #expect(basic.description == "Basic <redacted>")
        #expect(PushAuthorization.basic(username: "a", password: "").headerValue == "Basic YTo=")
        #expect(PushAuthorization.basic(username: "ab", password: "").headerValue == "Basic YWI6")
        let bearer = PushAuthorization.bearer("tok-123")
        #expect(bearer.headerValue == "Bearer tok-123")
        #expect(bearer.description == "Bearer <redacted>")
    }

    @Test("JobLabels: four labels in order, a version 4 UUID, deterministic with a seeded generator")
    func jobLabels() {
        let labels = JobLabels(job: "workload 1", jobType: "write", agent: "agent-7", jobUUID: "u-1")
        #expect(
            labels.labels == [
                Label("job", "workload 1"), Label("job_uuid", "u-1"), Label("job_type", "write"),
                Label("agent", "agent-7"),
            ])
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        let uuid = JobLabels.makeUUID(using: &first)
        #expect(uuid == JobLabels.makeUUID(using: &second))
        let parts = uuid.split(separator: "-").map(\.count)
        #expect(parts == [8, 4, 4, 4, 12])
        #expect(Array(uuid)[14] == "4")
        #expect("89ab".contains(Array(uuid)[19]))
        #expect(uuid.allSatisfy { "0123456789abcdef-".contains($0) })
        #expect(JobLabels.makeUUID() != JobLabels.makeUUID())
        #expect(!JobLabels.hostName.isEmpty)
    }

    @Test("the message builders encode to the protocol's JSON lines")
    func builders() {
        func line(_ message: OpsMessage) -> String { String(decoding: OpsEncoder.encode(message), as: UTF8.self) }
        #expect(
            line(.increment("jobs_total", labels: [Label("queue", "mail")], help: "Jobs run"))
                == #"{"name":"jobs_total","help":"Jobs run","labels":{"queue":"mail"},"op":"inc","value":1}"# + "\n")
        #expect(line(.increment("jobs_total", by: 2.5)) == #"{"name":"jobs_total","op":"inc","value":2.5}"# + "\n")
        #expect(line(.set("queue_depth", to: 17)) == #"{"name":"queue_depth","op":"set","value":17}"# + "\n")
        #expect(line(.add("in_flight", -1)) == #"{"name":"in_flight","op":"add","value":-1}"# + "\n")
        #expect(
            line(.observe("job_seconds", 0.3, buckets: .custom([0.1, 0.5, 1])))
                == #"{"name":"job_seconds","op":"obs","value":0.3,"bucket_custom":[0.1,0.5,1]}"# + "\n")
        #expect(line(.observe("size", 12)) == #"{"name":"size","op":"obs","value":12}"# + "\n")
        #expect(
            line(.observe("lat", 3, buckets: .exponentialRange(min: 1, max: 100, count: 5)))
                == #"{"name":"lat","op":"obs","value":3,"buckets":5,"bucket_min":1,"bucket_max":100}"# + "\n")
        #expect(
            line(.event("deploy", labels: [Label("app", "x")]))
                == #"{"name":"deploy","labels":{"app":"x"},"op":"event","value":0}"# + "\n")
        #expect(line(.shutdown) == #"{"op":"shutdown","value":0}"# + "\n")
    }

    @Test("an invalid message is refused before anything is sent, with the gateway's reason and its index")
    func validation() throws {
        let endpoint = OpsEndpoint.localUDP
        #expect(throws: Never.self) {
            _ = try OpsPacking.lines(
                [.increment("a_total"), .set("b", to: -3)], validate: true, limits: .default, endpoint: endpoint)
        }
        let cases: [(OpsMessage, OpsRejection.Reason)] = [
            (.increment("a_total", by: -1), .negativeIncrement),
            (.set("bad-name", to: 1), .invalidName),
            (.observe("h", 1, labels: [Label("le", "1")]), .invalidLabel),
            (.observe("h", 1, buckets: .custom([2, 1])), .invalidBuckets),
            (.set("g", to: .infinity), .nonFiniteValue),
        ]
        for (message, reason) in cases {
            do {
                _ = try OpsPacking.lines(
                    [.increment("ok_total"), message], validate: true, limits: .default, endpoint: endpoint)
                Issue.record("\(message) was accepted")
            } catch {
                #expect(error.code == .invalidMessage)
                #expect(error.messageIndex == 1)
                #expect(error.rejection?.reason == reason, "\(message): \(error)")
            }
        }
        // Unvalidated, the bytes go as written (the gateway then rejects them).
        let raw = try OpsPacking.lines(
            [.increment("a_total", by: -1)], validate: false, limits: .default, endpoint: endpoint)
        #expect(String(decoding: raw[0], as: UTF8.self) == #"{"name":"a_total","op":"inc","value":-1}"# + "\n")
    }

    @Test("datagrams hold whole lines, in order, up to the size limit; a longer line travels alone")
    func packing() throws {
        let lines = (0..<10).map { Array(String(repeating: "x", count: 9 + $0).utf8) + [0x0A] }
        let datagrams = try OpsPacking.datagrams(lines, maxSize: 40, endpoint: .localUDP)
        #expect(datagrams.map(\.count) == [10 + 11 + 12, 13 + 14, 15 + 16, 17 + 18, 19])
        #expect(datagrams.flatMap { $0 } == lines.flatMap { $0 })
        let long = [UInt8](repeating: 0x61, count: 100) + [0x0A]
        #expect(
            try OpsPacking.datagrams([lines[0], long, lines[1]], maxSize: 40, endpoint: .localUDP).map(\.count) == [
                10, 101, 11,
            ])
        #expect(throws: OpsSendError.self) {
            _ = try OpsPacking.datagrams([[UInt8](repeating: 0x61, count: 70_000)], maxSize: 40, endpoint: .localUDP)
        }
    }

    @Test("errors say what failed, where and why")
    func errorDescriptions() {
        let refused = PushError(
            .httpStatus, method: "PUT", url: "http://gw/metrics/job/x", status: 400, body: "bad metric\n")
        #expect(refused.description == "PUT http://gw/metrics/job/x: HTTP 400: bad metric")
        #expect(PushError.Code.httpStatus.description == "http_status")
        let timeout = PushError(.timeout, method: "DELETE", url: "http://gw/metrics/job/x")
        #expect(timeout.description == "DELETE http://gw/metrics/job/x: timeout")
        let ops = OpsSendError(.connect, endpoint: .unixSocket(path: "/tmp/none.sock"))
        #expect(ops.description == "ops to unix:///tmp/none.sock: connect")
        #expect(OpsEndpoint.tcp(host: "::1", port: 9).description == "tcp://[::1]:9")
        #expect(OpsEndpoint.localUDP.description == "udp://127.0.0.1:9999")
    }
}
