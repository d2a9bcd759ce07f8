import AbacusTesting
import Foundation
import Testing

/// `curl --data-binary @file`, the Pushgateway README's way to push: POST by default (curl's
/// `Content-Type: application/x-www-form-urlencoded`, read as text), `-X PUT`, `-X DELETE`, a
/// gzipped file with `Content-Encoding: gzip`, and a body large enough for curl to send
/// `Expect: 100-continue`.
@Suite("Interop: curl pushes to abacus gateway")
struct CurlTests {
    static let first = """
        # HELP curl_jobs_total Jobs, pushed with curl.
        # TYPE curl_jobs_total counter
        curl_jobs_total{kind="a"} 1
        curl_jobs_total{kind="b \\"q\\""} 2
        # TYPE curl_last_run_seconds gauge
        curl_last_run_seconds 1.7e+09

        """
    static let second = "curl_other 5\n"
    static let third = "# TYPE curl_last_run_seconds gauge\ncurl_last_run_seconds 2\n"
    static let timestamped = "curl_late 1 1700000000000\n"

    @Test("POST (default), -X PUT, -X DELETE, gzip and a large body with --data-binary @file")
    func dataBinary() async throws {
        guard let curl = Peers.require(.curl) else { return }
        let gzip = try #require(Peers.executable("gzip"), "gzip (Debian: gzip) is needed to build the gzipped file")
        let directory = try Peers.temporaryDirectory("curl-files")
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let first = try file("first.txt", Self.first)
        let second = try file("second.txt", Self.second)
        let third = try file("third.txt", Self.third)
        let timestamped = try file("timestamped.txt", Self.timestamped)
        let zipped = try file("zipped.txt", Self.first.replacingOccurrences(of: "curl_", with: "curlgz_"))
        let gzipped = try await ProcessRunner.run(gzip, ["-k", "-n", zipped])
        try #require(gzipped.status == 0, "\(gzipped.stderrText)")
        // 60 000 series, about 1.6 MB: curl asks `Expect: 100-continue` first.
        var big = "# TYPE curl_big gauge\n"
        for index in 0..<60_000 { big += "curl_big{i=\"\(index)\"} \(index)\n" }
        let large = try file("large.txt", big)

        try await Interop.withGateway { gateway in
            let group = gateway.baseURL + "/metrics/job/curl/instance/c1"
            let labels = #"instance="c1",job="curl""#

            var answer = try await Interop.curl(curl, ["--data-binary", "@" + first, group])
            #expect(answer.status == 200, "\(answer.body)")
            var text = try await Interop.scrape(gateway.baseURL)
            #expect(
                Interop.samples(text, prefix: "curl") == [
                    #"curl_jobs_total{\#(labels),kind="a"} 1"#,
                    #"curl_jobs_total{\#(labels),kind="b \"q\""} 2"#,
                    #"curl_last_run_seconds{\#(labels)} 1.7e+09"#,
                ], "\(text)")
            #expect(
                Interop.headers(text, prefix: "curl") == [
                    "# HELP curl_jobs_total Jobs, pushed with curl.", "# TYPE curl_jobs_total counter",
                    "# TYPE curl_last_run_seconds gauge",
                ])

            answer = try await Interop.curl(curl, ["-X", "PUT", "--data-binary", "@" + second, group])
            #expect(answer.status == 200, "\(answer.body)")
            text = try await Interop.scrape(gateway.baseURL)
            #expect(Interop.samples(text, prefix: "curl") == [#"curl_other{\#(labels)} 5"#], "\(text)")

            answer = try await Interop.curl(curl, ["--data-binary", "@" + third, group])
            #expect(answer.status == 200, "\(answer.body)")
            text = try await Interop.scrape(gateway.baseURL)
            #expect(
                Interop.samples(text, prefix: "curl") == [
                    #"curl_last_run_seconds{\#(labels)} 2"#, #"curl_other{\#(labels)} 5"#,
                ], "\(text)")

            // A gzipped file, to a group whose value holds `/` (base64) and an empty instance.
            let gzGroup = gateway.baseURL + "/metrics/job/curl-gz/path@base64/L3RtcC94/instance@base64/="
            let gzLabels = #"instance="",job="curl-gz",path="/tmp/x""#
            answer = try await Interop.curl(
                curl, ["-H", "Content-Encoding: gzip", "--data-binary", "@" + zipped + ".gz", gzGroup])
            #expect(answer.status == 200, "\(answer.body)")
            text = try await Interop.scrape(gateway.baseURL)
            #expect(
                Interop.samples(text, prefix: "curlgz_") == [
                    #"curlgz_jobs_total{instance="",job="curl-gz",kind="a",path="/tmp/x"} 1"#,
                    #"curlgz_jobs_total{instance="",job="curl-gz",kind="b \"q\"",path="/tmp/x"} 2"#,
                    #"curlgz_last_run_seconds{\#(gzLabels)} 1.7e+09"#,
                ], "\(text)")

            // Refused: a timestamp. The message says why; the group's failure time is set.
            answer = try await Interop.curl(curl, ["--data-binary", "@" + timestamped, group])
            #expect(answer.status == 400)
            #expect(answer.body.contains("timestamp"), "\(answer.body)")
            text = try await Interop.scrape(gateway.baseURL)
            #expect((Interop.value(text, "push_failure_time_seconds", labels) ?? 0) > 0)
            #expect(Interop.samples(text, prefix: "curl_late").isEmpty)

            // A large body (Expect: 100-continue), then DELETE.
            let bigGroup = gateway.baseURL + "/metrics/job/curl-big"
            answer = try await Interop.curl(curl, ["-X", "PUT", "--data-binary", "@" + large, bigGroup])
            #expect(answer.status == 200, "\(answer.body)")
            text = try await Interop.scrape(gateway.baseURL)
            let bigLines = Interop.samples(text, prefix: "curl_big{")
            #expect(bigLines.count == 60_000)
            #expect(bigLines.contains(#"curl_big{i="59999",instance="",job="curl-big"} 59999"#))

            answer = try await Interop.curl(curl, ["-X", "DELETE", group])
            #expect(answer.status == 202, "\(answer.body)")
            answer = try await Interop.curl(curl, ["-X", "DELETE", bigGroup])
            #expect(answer.status == 202, "\(answer.body)")
            text = try await Interop.scrape(gateway.baseURL)
            #expect(Interop.samples(text, prefix: "curl_").isEmpty, "\(text)")
            #expect(Interop.value(text, "push_time_seconds", labels) == nil)
            #expect(Interop.samples(text, prefix: "curlgz_").count == 3)
        }
    }
}
