import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// `abacus check` run as users run it: the built executable in a subprocess, input from a file
/// or standard input, exit status and output checked exactly.
@Suite("abacus check (subprocess)")
struct CheckCommandTests {
    static var executable: URL? { AbacusExecutable.url }

    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var lines: [String] { String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init) }
    }

    /// Runs `abacus` with `arguments`, `stdin` as standard input (the test kit's runner: output
    /// through files, so no pipe can fill up).
    func abacus(_ arguments: [String], stdin: [UInt8] = []) async throws -> Output {
        let executable = try #require(Self.executable, "abacus executable not found beside the tests")
        let result = try await ProcessRunner.run(executable, arguments, stdin: stdin)
        return Output(status: result.status, stdout: result.stdout, stderr: result.stderrText)
    }

    func temporaryDirectory() throws -> URL { try Peers.temporaryDirectory("check") }

    func file(_ bytes: [UInt8], in directory: URL, named name: String = "input.prom") throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Lint-clean text in the form Prometheus' Go code writes it, so converting it away and
    /// back must reproduce it byte for byte.
    static let valid = Array(
        #"""
        # HELP http_requests_total Requests.\nWith a backslash \\ in the help.
        # TYPE http_requests_total counter
        http_requests_total{code="200",path="/a\"b\\c\nd"} 1027
        http_requests_total{code="500",path="ünï ✓"} 3 1700000000123
        # HELP temperature_celsius Temperature.
        # TYPE temperature_celsius gauge
        temperature_celsius{sensor="a"} NaN
        temperature_celsius{sensor="b"} +Inf
        temperature_celsius{sensor="c"} -1.5e-07
        # HELP request_duration_seconds Latency.
        # TYPE request_duration_seconds histogram
        request_duration_seconds_bucket{le="0.1"} 1
        request_duration_seconds_bucket{le="1"} 3
        request_duration_seconds_bucket{le="+Inf"} 4
        request_duration_seconds_sum 7.25
        request_duration_seconds_count 4
        # HELP rpc_size_bytes Sizes.
        # TYPE rpc_size_bytes summary
        rpc_size_bytes{quantile="0.5"} 100
        rpc_size_bytes{quantile="0.99"} 1e+06
        rpc_size_bytes_sum 1.2345e+06
        rpc_size_bytes_count 12

        """#.utf8)

    @Test("a valid file: exit 0, nothing printed")
    func validFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await abacus(["check", try file(Self.valid, in: directory)])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
    }

    @Test("an invalid file: exit 1, one `line N: message` per problem, with the right line numbers")
    func invalidFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Array(
            """
            # HELP good_total Fine.
            # TYPE good_total counter
            good_total 1
            broken{ 2
            # HELP other Fine.
            # TYPE other gauge
            other 1 2 3

            """.utf8)
        let result = try await abacus(["check", "--no-lint", try file(text, in: directory)])
        #expect(result.status == 1)
        #expect(result.lines.count == 2, "\(result.lines)")
        #expect(result.lines.first?.hasPrefix("line 4: ") == true, "\(result.lines)")
        #expect(result.lines.last?.hasPrefix("line 7: ") == true, "\(result.lines)")
        #expect(result.lines.allSatisfy { $0.split(separator: ":", maxSplits: 1).last?.count ?? 0 > 2 })
    }

    @Test("lint findings are problems too: a family without HELP is reported on its line")
    func lintFinding() async throws {
        let text = Array("# HELP a_total A.\n# TYPE a_total counter\na_total 1\nb 2\n".utf8)
        let result = try await abacus(["check"], stdin: text)
        #expect(result.status == 1)
        #expect(result.lines.count == 1, "\(result.lines)")
        #expect(result.lines.first?.hasPrefix("line 4: ") == true, "\(result.lines)")
        #expect(result.lines.first?.lowercased().contains("help") == true, "\(result.lines)")
        // Without lint the same input is clean.
        #expect(try await abacus(["check", "--no-lint"], stdin: text).status == 0)
    }

    @Test("standard input, as `-` or as no argument, reads like a file")
    func standardInput() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = Array("# HELP x X.\n# TYPE x gauge\nx 1\nx{a=\"1\"} oops\n".utf8)
        let fromFile = try await abacus(["check", try file(bad, in: directory)])
        let fromDash = try await abacus(["check", "-"], stdin: bad)
        let fromNothing = try await abacus(["check"], stdin: bad)
        #expect(fromFile.status == 1)
        #expect(fromFile.lines.count == 1 && fromFile.lines.first?.hasPrefix("line 4: ") == true, "\(fromFile.lines)")
        for other in [fromDash, fromNothing] {
            #expect(other.status == fromFile.status)
            #expect(other.stdout == fromFile.stdout)
        }
        #expect(try await abacus(["check", "-"], stdin: Self.valid).status == 0)
    }

    @Test("a missing file is a usage error (exit 2), not a lint result")
    func missingFile() async throws {
        let result = try await abacus(["check", "/nonexistent/abacus-check-input"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("/nonexistent/abacus-check-input"))
    }

    @Test(
        "--convert to another format and back to text reproduces the text byte for byte",
        arguments: ["protobuf", "openmetrics"])
    func conversionRoundTrip(through format: String) async throws {
        let converted = try await abacus(["check", "--convert", format], stdin: Self.valid)
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(!converted.stdout.isEmpty)
        let expected = try TextParser.parse(Self.valid)
        if format == "protobuf" {
            #expect(try ProtobufDecoder.decode(converted.stdout) == expected)
        } else {
            #expect(try OpenMetricsParser.parse(converted.stdout) == expected)
            #expect(converted.stdout.suffix(6) == Array("# EOF\n".utf8))
        }
        let back = try await abacus(["check", "--convert", "text"], stdin: converted.stdout)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(
            back.stdout == Self.valid,
            "\(String(decoding: back.stdout, as: UTF8.self))")
    }

    /// client_golang's Go collector (so node_exporter, Prometheus and every Go program) exports
    /// gauge `go_memstats_alloc_bytes` beside counter `go_memstats_alloc_bytes_total`: two
    /// families in text, one name in OpenMetrics. The counter is written as `unknown` under its
    /// full name, so the OpenMetrics output holds each family once and every sample's name.
    @Test("--convert openmetrics of a gauge x beside a counter x_total stays valid")
    func convertFoldingNames() async throws {
        let input = Array(
            """
            # HELP go_memstats_alloc_bytes Bytes allocated and in use.
            # TYPE go_memstats_alloc_bytes gauge
            go_memstats_alloc_bytes 1.5e+06
            # HELP go_memstats_alloc_bytes_total Bytes allocated, even if freed.
            # TYPE go_memstats_alloc_bytes_total counter
            go_memstats_alloc_bytes_total 9.8e+07

            """.utf8)
        let converted = try await abacus(["check", "--convert", "openmetrics"], stdin: input)
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(
            String(decoding: converted.stdout, as: UTF8.self) == """
                # HELP go_memstats_alloc_bytes Bytes allocated and in use.
                # TYPE go_memstats_alloc_bytes gauge
                go_memstats_alloc_bytes 1.5e+06
                # HELP go_memstats_alloc_bytes_total Bytes allocated, even if freed.
                # TYPE go_memstats_alloc_bytes_total unknown
                go_memstats_alloc_bytes_total 9.8e+07
                # EOF

                """)
        let families = try OpenMetricsParser.parse(converted.stdout)
        #expect(families.map(\.name) == ["go_memstats_alloc_bytes", "go_memstats_alloc_bytes_total"])
    }

    @Test("--convert json writes JSON that names every family")
    func convertJSON() async throws {
        let converted = try await abacus(["check", "--convert", "json"], stdin: Self.valid)
        #expect(converted.status == 0, "\(converted.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(converted.stdout))
        let families = try #require(json as? [[String: Any]])
        #expect(
            families.compactMap { $0["name"] as? String }
                == ["http_requests_total", "temperature_celsius", "request_duration_seconds", "rpc_size_bytes"])
    }

    @Test("--convert of invalid input: exit 1, nothing on standard output, the problem on standard error")
    func convertInvalid() async throws {
        let result = try await abacus(["check", "--convert", "protobuf"], stdin: Array("ok 1\nbroken{ 2\n".utf8))
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("line 2"))
    }
}
