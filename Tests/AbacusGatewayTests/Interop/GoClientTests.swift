import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// client_golang's `push` package (Debian's 1.14.0, unchanged) through `Tests/Interop/go-pusher`:
/// `Push` (PUT), `Add` (POST) and `Delete` (DELETE), in its default format (delimited protobuf)
/// and in text, with grouping labels including a value with `/` and an empty one (the client
/// writes both as `@base64`).
@Suite("Interop: client_golang push to abacus gateway")
struct GoClientTests {
    /// The sample lines go-pusher's fixed registry becomes in a group with these grouping
    /// labels (`instance=""` added when absent), as `/metrics` serves them.
    static func expected(_ grouping: [Label]) -> [String] {
        var group = grouping
        if !group.contains(where: { $0.name == "instance" }) { group.append(Label("instance", "")) }
        func set(_ extra: Label...) -> String {
            (group + extra).sorted().map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
        }
        return [
            "go_pusher_duration_seconds_bucket{\(set()),le=\"0.1\"} 1",
            "go_pusher_duration_seconds_bucket{\(set()),le=\"1\"} 2",
            "go_pusher_duration_seconds_bucket{\(set()),le=\"10\"} 3",
            "go_pusher_duration_seconds_bucket{\(set()),le=\"+Inf\"} 4",
            "go_pusher_duration_seconds_sum{\(set())} 22.55",
            "go_pusher_duration_seconds_count{\(set())} 4",
            "go_pusher_last_success_seconds{\(set())} 1.7e+09",
            "go_pusher_latency_seconds{\(set()),quantile=\"0.5\"} 0.3",
            "go_pusher_latency_seconds{\(set()),quantile=\"0.9\"} 0.5",
            "go_pusher_latency_seconds_sum{\(set())} 1.5",
            "go_pusher_latency_seconds_count{\(set())} 5",
            "go_pusher_records_total{\(set(Label("kind", "a")))} 3",
            "go_pusher_records_total{\(set(Label("kind", "b")))} 5",
        ]
    }

    static let headers = [
        "# HELP go_pusher_duration_seconds Duration of the go-pusher job.",
        "# TYPE go_pusher_duration_seconds histogram",
        "# HELP go_pusher_last_success_seconds Last time the go-pusher job succeeded, in Unix seconds.",
        "# TYPE go_pusher_last_success_seconds gauge",
        "# HELP go_pusher_latency_seconds Latency of the go-pusher job.",
        "# TYPE go_pusher_latency_seconds summary",
        "# HELP go_pusher_records_total Records processed by the go-pusher job.",
        "# TYPE go_pusher_records_total counter",
    ]

    /// The pushed lines of one group: those holding its `job` label.
    static func lines(_ text: String, job: String) -> [String] {
        Interop.samples(text, prefix: "go_pusher_").filter { $0.contains("job=\"\(job)\"") }
    }

    func pusher(_ binary: URL, _ arguments: [String]) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(binary, arguments, timeout: 30)
    }

    @Test("Push, Add and Delete in protobuf and text, grouping values with / and empty")
    func pushAddDelete() async throws {
        guard Peers.require(.go) != nil else { return }
        let binary = try await GoProgram.pusher.binary()
        try await Interop.withGateway { gateway in
            let base = gateway.baseURL
            let protoGroup = [Label("instance", "go-1"), Label("job", "gojob"), Label("path", "/srv/data")]
            let protoArgs = [
                "-url", base, "-job", "gojob", "-grouping", "instance=go-1", "-grouping", "path=/srv/data",
            ]
            let textGroup = [Label("instance", ""), Label("job", "gotext")]
            let textArgs = ["-url", base, "-job", "gotext", "-grouping", "instance=", "-format", "text"]

            // Push (PUT), protobuf.
            var run = try await pusher(binary, protoArgs + ["-op", "push"])
            try #require(run.status == 0, "\(run.stderrText)\n\(gateway.log)")
            var text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gojob") == Self.expected(protoGroup), "\(text)")
            #expect(Interop.headers(text, prefix: "go_pusher_") == Self.headers)
            let protoLabels = #"instance="go-1",job="gojob",path="/srv/data""#
            #expect((Interop.value(text, "push_time_seconds", protoLabels) ?? 0) > 1e9)
            #expect(Interop.value(text, "push_failure_time_seconds", protoLabels) == 0)

            // Push (PUT), text, to a group with an empty instance.
            run = try await pusher(binary, textArgs + ["-op", "push"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gotext") == Self.expected(textGroup), "\(text)")
            #expect(Self.lines(text, job: "gojob") == Self.expected(protoGroup))

            // Add (POST) keeps a family the Go registry does not have; Push (PUT) drops it.
            let groupPath = "/metrics/job/gojob/instance/go-1/path@base64/L3Nydi9kYXRh"
            let extra = try await HTTP.request("POST", base + groupPath, body: Array("go_pusher_extra 9\n".utf8))
            #expect(extra.status == 200, "\(extra.text)")
            run = try await pusher(binary, protoArgs + ["-op", "add"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            let withExtra = (Self.expected(protoGroup) + ["go_pusher_extra{\(protoLabels)} 9"]).sorted()
            #expect(Self.lines(text, job: "gojob").sorted() == withExtra, "\(text)")
            run = try await pusher(binary, protoArgs + ["-op", "push", "-format", "text"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gojob") == Self.expected(protoGroup), "\(text)")

            // Delete: the group goes, with its push times; the other stays.
            run = try await pusher(binary, protoArgs + ["-op", "delete"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "gojob").isEmpty, "\(text)")
            #expect(Interop.value(text, "push_time_seconds", protoLabels) == nil)
            #expect(Self.lines(text, job: "gotext") == Self.expected(textGroup))
            run = try await pusher(binary, textArgs + ["-op", "delete"])
            try #require(run.status == 0, "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Interop.samples(text, prefix: "go_pusher_").isEmpty, "\(text)")

            // A refused push: the client returns the error with our status and message.
            let blocker = try await HTTP.request(
                "PUT", base + "/metrics/job/blocker",
                body: Array("# TYPE go_pusher_records_total gauge\ngo_pusher_records_total 1\n".utf8))
            #expect(blocker.status == 200, "\(blocker.text)")
            run = try await pusher(binary, ["-url", base, "-job", "refused", "-op", "push"])
            #expect(run.status == 1)
            #expect(run.stderrText.contains("400"), "\(run.stderrText)")
            #expect(run.stderrText.contains("go_pusher_records_total"), "\(run.stderrText)")
            text = try await Interop.scrape(base)
            #expect(Self.lines(text, job: "refused").isEmpty)
            #expect((Interop.value(text, "push_failure_time_seconds", #"instance="",job="refused""#) ?? 0) > 0)
        }
    }
}
