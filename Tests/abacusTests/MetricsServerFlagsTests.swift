import Testing

@testable import abacus

/// The original metrics-server's command line, read as Go's `flag` package reads it, and what
/// it becomes for `abacus gateway`.
@Suite("abacus metrics-server: the original's flags")
struct MetricsServerFlagsTests {
    static let defaults = [
        "--web.listen-address=:9099", "--ops.enable-shutdown", "--ops.unix-socket=./metric-server.sock",
        "--ops.udp-listen-address=:9999",
    ]

    func mapped(_ arguments: [String]) throws -> [String] {
        try MetricsServerFlags(parsing: arguments).gatewayArguments()
    }

    @Test("no flags: the original's defaults")
    func defaults() throws {
        #expect(try mapped([]) == Self.defaults)
    }

    @Test("every value flag, in each of Go's spellings")
    func spellings() throws {
        let line = [
            "-socket", ":9098", "--udp=:9998", "-uds", "/tmp/m.sock", "-uds-pool=a.sock,b.sock",
            "-extra-labels", "app:marketing-cron,instance:h1", "-extra-labels-file-path=/etc/labels.properties",
            "-shutdown-delay", "30s", "-metric-ttl=1h30m", "-metric-clean-up", "-debug",
        ]
        #expect(
            try mapped(line) == [
                "--web.listen-address=:9098", "--ops.enable-shutdown", "--ops.unix-socket=/tmp/m.sock",
                "--ops.extra-unix-sockets=a.sock,b.sock", "--ops.udp-listen-address=:9998",
                "--extra-labels=app:marketing-cron,instance:h1", "--extra-labels-file=/etc/labels.properties",
                "--metric-ttl=5400000ms", "--shutdown-delay=30000ms", "--log.level=debug",
            ])
    }

    @Test("-metric-ttl does nothing without -metric-clean-up, as in the original")
    func ttlNeedsCleanUp() throws {
        #expect(try mapped(["-metric-ttl", "10m"]) == Self.defaults)
        #expect(try mapped(["-metric-clean-up=true"]).contains("--metric-ttl=86400000ms"))
        #expect(try mapped(["-metric-clean-up=false", "-metric-ttl", "1s"]) == Self.defaults)
        #expect(throws: MetricsServerFlags.Problem.self) { try mapped(["-metric-clean-up", "-metric-ttl", "0"]) }
    }

    @Test("booleans take -name or -name=value only; parsing stops at -- or a non-flag")
    func goRules() throws {
        #expect(try MetricsServerFlags(parsing: ["-debug=false"]).debug == false)
        #expect(try MetricsServerFlags(parsing: ["--debug=T"]).debug == true)
        // "-debug false": false is an argument, not the flag's value; parsing stops there.
        let stopped = try MetricsServerFlags(parsing: ["-debug", "false", "-socket", ":1"])
        #expect(stopped.debug && stopped.socket == ":9099")
        #expect(try MetricsServerFlags(parsing: ["--", "-socket", ":1"]).socket == ":9099")
        #expect(try MetricsServerFlags(parsing: ["-udp", ""]).udp == "")
        #expect(!(try mapped(["-udp="])).contains { $0.hasPrefix("--ops.udp") })
    }

    @Test("gateway flags beside the original's are passed on, last")
    func gatewayFlags() throws {
        #expect(
            try mapped(["--storage.path=:memory:", "-socket", ":1", "--web.enable-admin-api", "--log.format", "json"])
                == [
                    "--web.listen-address=:1", "--ops.enable-shutdown", "--ops.unix-socket=./metric-server.sock",
                    "--ops.udp-listen-address=:9999", "--storage.path=:memory:", "--web.enable-admin-api",
                    "--log.format", "json",
                ])
    }

    @Test(
        "what Go's flag package refuses, and the features abacus does not have yet, stop the start",
        arguments: [
            (["-nope"], "flag provided but not defined: -nope"),
            (["-nope=1"], "flag provided but not defined: -nope"),
            (["-socket"], "flag needs an argument: -socket"),
            (["-debug=maybe"], "invalid boolean value \"maybe\" for -debug"),
            (["-shutdown-delay", "soon"], "invalid value \"soon\" for flag -shutdown-delay"),
            (["---socket", ":1"], "bad flag syntax: ---socket"),
            (["-remote", "127.0.0.1:9999"], "-remote: forwarding every update to a central metrics-server"),
            (["-loki-address=https://loki"], "-loki-address: the Loki event sink is not in abacus yet"),
            (["-opensearch-bulk-period", "5s"], "-opensearch-bulk-period: the OpenSearch index sink"),
            (["-scylladb-hosts", "h1"], "-scylladb-hosts: the ScyllaDB raw sink is not in abacus yet"),
            (["-pyroscope-url", "http://p"], "-pyroscope-url: continuous profiling (Pyroscope) is not in abacus"),
        ] as [([String], String)])
    func refusals(arguments: [String], message: String) {
        do {
            _ = try mapped(arguments)
            Issue.record("\(arguments) was accepted")
        } catch let problem as MetricsServerFlags.Problem {
            #expect(problem.message.hasPrefix(message), "\(problem.message)")
            #expect(!problem.isHelp)
        } catch {
            Issue.record("\(error)")
        }
    }

    /// A templated unit may pass an empty value (`-remote "$REMOTE"`, `-loki-address=`): off, as
    /// in the original; and a negative duration is no delay, as Go's time.Sleep takes it.
    @Test("empty values of the refused flags are off; negative durations are zero")
    func emptyAndNegative() throws {
        #expect(try mapped(["-remote", "", "-loki-address=", "-pyroscope-url="]) == Self.defaults)
        #expect(try mapped(["-shutdown-delay=-5s"]) == Self.defaults)
    }

    @Test("-h, -help and --help ask for the help")
    func help() {
        for flag in ["-h", "-help", "--help", "--h"] {
            #expect(throws: MetricsServerFlags.Problem(message: "", isHelp: true)) {
                try MetricsServerFlags(parsing: ["-debug", flag])
            }
        }
    }

    @Test("Go durations")
    func durations() {
        let cases: [(String, Int64?)] = [
            ("0", 0), ("30s", 30_000), ("24h0m0s", 86_400_000), ("1.5h", 5_400_000), ("300ms", 300),
            ("1h30m", 5_400_000),
            ("2m3.5s", 123_500), (".5s", 500), ("1500us", 1), ("1µs", 0), ("-1s", -1000), ("+2s", 2000),
            ("2.3h", 8_280_000), ("1.001s", 1001), ("1.s", 1000), ("9999999999h", nil), (".s", nil),
            ("", nil), ("1", nil), ("s", nil), ("1x", nil), ("1..2s", nil), ("1d", nil),
        ]
        for (text, expected) in cases {
            #expect(GoDuration.milliseconds(text) == expected, "\(text)")
        }
    }
}
