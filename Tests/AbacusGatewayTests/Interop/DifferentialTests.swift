import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// The built `abacus gateway` next to Debian's Prometheus Pushgateway 1.5.1: the same pushes go
/// to both, both must answer the same status, and their `/metrics` must hold the same families
/// (name, type, HELP) and samples (labels, values) once parsed — each server's own metrics aside
/// (ours: `abacus_*`, `process_*`; theirs: `go_*`, `process_*`, `pushgateway_*`), and
/// `push_time_seconds` / `push_failure_time_seconds` compared by label set and zero-ness only,
/// and labels with an empty value (`instance` aside) compared as Prometheus ingests them: as no
/// label. The Pushgateway keeps them and makes `job/x/a@base64/=` a group of its own; the gateway
/// drops them, so that group is `job/x` (docs/gateway.md).
///
/// Left out on purpose, because the two differ (by design as docs/gateway.md and docs/formats.md
/// say, or, for the last three, observed here and not documented yet):
/// - a label repeated in the path and an empty value written as a trailing `/`: we refuse them,
///   the Pushgateway takes the last value / the trailing `/`;
/// - `%2F` inside a path segment: a `/` in the value for us, a refused path for the Pushgateway;
/// - one family pushed by two groups with different HELP: the Pushgateway serves one at random,
///   we serve the first group's in label order;
/// - invalid histograms and summaries (e.g. buckets that are not cumulative): we refuse them,
///   the Pushgateway stores them;
/// - OpenMetrics bodies (the Pushgateway reads every non-protobuf body as text 0.0.4);
/// - `PUT /metrics/job/` (empty job): we answer 400, the Pushgateway redirects (307);
/// - a refused push whose body does not parse: both answer 400, but we also set the group's
///   `push_failure_time_seconds` (creating the group) and the Pushgateway does not; those pushes
///   are sent after the last comparison (``unparseable``);
/// - an empty `# HELP name ` line: Go's parser reads it as no HELP, ours as an empty HELP, which
///   we then serve as `# HELP name ` (valid, but a different line).
@Suite("Interop: abacus gateway and Pushgateway 1.5.1 fed the same pushes")
struct DifferentialTests {
    struct Step: CustomStringConvertible {
        var method: String
        var path: String
        var body: [UInt8]
        var headers: [String: String] = [:]
        /// Both servers accept it (2xx) or both refuse it (4xx).
        var accepted: Bool
        var description: String { "\(method) /metrics/\(path)" }

        static func put(_ path: String, _ body: String, accepted: Bool = true) -> Step {
            Step(method: "PUT", path: path, body: Array(body.utf8), accepted: accepted)
        }
        static func post(_ path: String, _ body: String, accepted: Bool = true) -> Step {
            Step(method: "POST", path: path, body: Array(body.utf8), accepted: accepted)
        }
        static func delete(_ path: String) -> Step {
            Step(method: "DELETE", path: path, body: [], accepted: true)
        }
    }

    static let protobufType =
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

    static let rich = #"""
        # HELP df_events_total Events.\nSecond line with a backslash \\ here.
        # TYPE df_events_total counter
        df_events_total{k="x"} 3
        df_events_total{k="say \"hi\"\nbye \\o/"} 1
        df_events_total{k="ünïcödé ✓"} 1e+21
        # TYPE df_gauge gauge
        df_gauge 1.5
        # HELP df_hist_seconds Durations.
        # TYPE df_hist_seconds histogram
        df_hist_seconds_bucket{le="0.1"} 1
        df_hist_seconds_bucket{le="1"} 2
        df_hist_seconds_bucket{le="+Inf"} 3
        df_hist_seconds_sum 4.5
        df_hist_seconds_count 3
        # HELP df_sizes Sizes.
        # TYPE df_sizes summary
        df_sizes{quantile="0.5"} 2
        df_sizes{quantile="0.99"} NaN
        df_sizes_sum 10
        df_sizes_count 5
        df_untyped{a="1"} 7

        """#

    /// Pushed in protobuf (written by our encoder, read by Go's decoder and ours).
    static let protoFamilies: [MetricFamily] = [
        MetricFamily(
            name: "df_proto_total", type: .counter, help: "Pushed as protobuf.",
            metrics: [Metric(labels: [Label("kind", "a\"b\\c\nd")], value: .counter(CounterValue(5)))]),
        MetricFamily(
            name: "df_proto_latency_seconds", type: .histogram,
            metrics: [
                Metric(
                    value: .histogram(
                        HistogramValue(
                            buckets: [
                                Bucket(upperBound: 0.5, cumulativeCount: 2), Bucket(upperBound: 5, cumulativeCount: 3),
                                Bucket(upperBound: .infinity, cumulativeCount: 3),
                            ], count: 3, sum: 4.25)))
            ]),
        MetricFamily(
            name: "df_proto_gauge", type: .gauge, metrics: [Metric(labels: [Label("z", "")], value: .gauge(-2))]),
    ]

    /// Pushes both servers must treat alike, in order; the comparison runs after ``checkpoint``
    /// steps and at the end.
    static func sequence() -> [Step] {
        [
            .put("job/diff/instance/a", rich),
            // POST replaces the pushed families only, adds new ones.
            .post("job/diff/instance/a", "# TYPE df_gauge gauge\ndf_gauge 2.5\ndf_added{x=\"1\"} 1\n"),
            // @base64 values: with a slash, empty, a base64 job.
            .put("job/b64/path@base64/L3Zhci90bXA", "# HELP df_shared Same HELP in two groups.\ndf_shared 1\n"),
            .put("job/empty/instance@base64/=", "# HELP df_shared Same HELP in two groups.\ndf_shared 2\n"),
            .put("job@base64/Zm9vL2Jhcg/y/a+b", "df_b64job 1\n"),
            .put("job/%C3%BC/x/a%20b", "df_percent 1\n"),
            .put("job/fe/shard@base64/=", "df_empty_label{a=\"\",b=\"x\"} 1\ndf_empty_group{shard=\"s\"} 1\n"),
            // Grouping labels override body labels; a body instance stays when the key has none.
            .put("job/over/instance/i1", "df_over{job=\"other\",instance=\"x\",keep=\"k\"} 3\n"),
            .put("job/inst", "df_inst{instance=\"1\"} 1\n"),
            // An empty PUT leaves an empty group; PUT then DELETE leaves nothing.
            .put("job/emptyput", ""),
            .put("job/gone", "df_gone 1\n"),
            .delete("job/gone"),
            .delete("job/never-pushed"),
        ]
    }

    static let checkpoint = 13

    static func rest(gzip: [UInt8]) -> [Step] {
        [
            // Refused by both, each setting the group's push_failure_time_seconds.
            .put("job/ts", "df_ts 1 1700000000000\n", accepted: false),
            .put("job/conflict", "# TYPE df_gauge counter\ndf_gauge 1\n", accepted: false),
            .put("job/inst/instance/1", "df_inst 2\n", accepted: false),  // series of job/inst
            .put("job/sfx", "df_hist_seconds_bucket 1\n", accepted: false),
            .put("job/sfx2", "df_g_bucket 1\n"),
            .put(
                "job/sfx3", "# TYPE df_g histogram\ndf_g_bucket{le=\"+Inf\"} 1\ndf_g_sum 1\ndf_g_count 1\n",
                accepted: false),
            .put("job/dup", "df_dup 1\ndf_dup 2\n", accepted: false),
            .post("job/diff/instance/a", "df_added{x=\"1\"} 9 1700000000000\n", accepted: false),
            // Refused by both for the grouping key, before any group is touched.
            .put("job/x/odd", "df_key 1\n", accepted: false),
            .put("job/x/1bad/v", "df_key 1\n", accepted: false),
            .put("job/x/__reserved/v", "df_key 1\n", accepted: false),
            .put("job/x/a@base64/!!", "df_key 1\n", accepted: false),
            .put("job@base64/!!", "df_key 1\n", accepted: false),
            // Empty POST: only the push time; a family without samples is dropped.
            .post("job/diff/instance/a", ""),
            .post("job/diff/instance/a", "# TYPE df_gauge gauge\n# HELP df_nosamples Nothing.\n"),
            // Type changes a group may make to its own families.
            .put("job/retype", "# TYPE df_retype gauge\ndf_retype 1\n"),
            .post("job/retype", "# TYPE df_retype counter\ndf_retype 2\n"),
            .put("job/retype2", "# TYPE df_retype2 gauge\ndf_retype2 1\n"),
            .put("job/retype2", "# TYPE df_retype2 summary\ndf_retype2_sum 1\ndf_retype2_count 1\n"),
            // Edge values and minimal histogram / summary.
            .put(
                "job/values",
                "df_values{v=\"nan\"} NaN\ndf_values{v=\"inf\"} +Inf\ndf_values{v=\"ninf\"} -Inf\n"
                    + "df_values{v=\"big\"} 1e+21\ndf_values{v=\"negzero\"} -0.0\ndf_values{v=\"tiny\"} 1.5e-300\n"),
            .put(
                "job/minimal",
                "# TYPE df_min_h histogram\ndf_min_h_bucket{le=\"+Inf\"} 0\ndf_min_h_sum 0\n"
                    + "df_min_h_count 0\n# TYPE df_min_s summary\ndf_min_s_sum 1\ndf_min_s_count 1\n"),
            // gzip and protobuf bodies.
            Step(method: "PUT", path: "job/gz", body: gzip, headers: ["Content-Encoding": "gzip"], accepted: true),
            Step(
                method: "PUT", path: "job/proto/instance@base64/=", body: ProtobufEncoder.encode(protoFamilies),
                headers: ["Content-Type": protobufType], accepted: true),
            // Text histograms without a +Inf bucket: +Inf is the _count (expfmt's reading).
            .put(
                "job/noinf",
                "# TYPE df_noinf histogram\ndf_noinf_bucket{le=\"1\"} 1\ndf_noinf_bucket{le=\"2\"} 2\n"
                    + "df_noinf_sum 2\ndf_noinf_count 3\n# TYPE df_conly histogram\ndf_conly_sum 1\ndf_conly_count 2\n"),
            // A gauge x beside a counter x_total (client_golang's go_memstats_alloc_bytes and
            // go_memstats_alloc_bytes_total), in one push and across groups.
            .put(
                "job/memstats",
                "# TYPE df_alloc_bytes gauge\ndf_alloc_bytes 1024\n# TYPE df_alloc_bytes_total counter\n"
                    + "df_alloc_bytes_total 4096\n"),
            .put("job/memstats2", "# TYPE df_sys_bytes_total counter\ndf_sys_bytes_total 1\n"),
            .put("job/memstats3", "# TYPE df_sys_bytes gauge\ndf_sys_bytes 2\n"),
            // A pushed push_time_seconds is replaced by the server's own; the rest is stored.
            .put("job/ptime", "# TYPE push_time_seconds gauge\npush_time_seconds 5\ndf_ptime 1\n"),
            // A group that only holds a failure time can be deleted; a deleted name can be retyped.
            .delete("job/ts"),
            .put("job/gone2", "# TYPE df_gone counter\ndf_gone 5\n"),
        ]
    }

    /// Refused by both, but we record the failure on the group and the Pushgateway does not
    /// (it refuses before its store sees the push): sent after the last comparison.
    static let unparseable: [Step] = [
        .put("job/parse", "df_bad{ 1\n", accepted: false),
        .put("job/parse", "df_nonl 1", accepted: false),
        .put("job/parse", "# TYPE df_bogus bogus\ndf_bogus 1\n", accepted: false),
        .put("job/parse", "df_twice{a=\"1\",a=\"2\"} 1\n", accepted: false),
        .put("job/parse", "# TYPE df_t gauge\n# TYPE df_t gauge\ndf_t 1\n", accepted: false),
        .put("job/parse", "df_trailing 1 2 3\n", accepted: false),
    ]

    static let ours = ["abacus_", "process_"]
    static let theirs = ["go_", "process_", "pushgateway_"]

    func send(_ step: Step, to base: String) async throws -> HTTP.Response {
        try await HTTP.request(step.method, base + "/metrics/" + step.path, headers: step.headers, body: step.body)
    }

    func compare(_ gateway: String, _ pushgateway: String, _ what: String) async throws {
        let ourText = try await Interop.scrape(gateway)
        let theirText = try await Interop.scrape(pushgateway)
        let ignored = Self.ours + Self.theirs
        let mine = try ExpositionDigest.families(ourText, ignoring: ignored)
        let other = try ExpositionDigest.families(theirText, ignoring: ignored)
        #expect(mine.count > 5, "\(what): \(ourText)")
        ExpositionDigest.expectSame(mine, other, what)
    }

    @Test("the same pushes give the same statuses and the same /metrics")
    func samePushesSameMetrics() async throws {
        guard let pushgateway = Peers.require(.pushgateway) else { return }
        let gzipTool = try #require(Peers.executable("gzip"), "gzip (Debian: gzip) is needed to build a gzip body")
        let zipped = try await ProcessRunner.run(gzipTool, ["-c", "-n"], stdin: Array("df_gz{z=\"1\"} 1\n".utf8))
        try #require(zipped.status == 0)
        // Debian's build persists to /var/lib/prometheus/pushgateway.data by default.
        let arguments = ["--web.listen-address=127.0.0.1:$PORT", "--persistence.file=$DIR/pg.data"]
        try await withServer(pushgateway, name: "pushgateway", arguments: arguments, readyPath: "/-/ready") { server in
            try await Interop.withGateway { gateway in
                let first = Self.sequence()
                let steps = first + Self.rest(gzip: zipped.stdout)
                #expect(first.count == Self.checkpoint)
                for (index, step) in steps.enumerated() {
                    let ours = try await send(step, to: gateway.baseURL)
                    let theirs = try await send(step, to: server.baseURL)
                    #expect(
                        ours.status == theirs.status,
                        "\(step): abacus \(ours.status) \(ours.text) / Pushgateway \(theirs.status) \(theirs.text)")
                    if step.accepted {
                        #expect((200..<300).contains(ours.status), "\(step): \(ours.status) \(ours.text)")
                    } else {
                        #expect((400..<500).contains(ours.status), "\(step): \(ours.status) \(ours.text)")
                        #expect((400..<500).contains(theirs.status), "\(step): \(theirs.status) \(theirs.text)")
                    }
                    if index + 1 == Self.checkpoint {
                        try await compare(gateway.baseURL, server.baseURL, "after step \(index + 1) (\(step))")
                    }
                }
                try await compare(gateway.baseURL, server.baseURL, "after all \(steps.count) steps")

                for step in Self.unparseable {
                    let ours = try await send(step, to: gateway.baseURL)
                    let theirs = try await send(step, to: server.baseURL)
                    #expect(ours.status == 400, "\(step): abacus \(ours.status) \(ours.text)")
                    #expect(theirs.status == 400, "\(step): Pushgateway \(theirs.status) \(theirs.text)")
                }
            }
        }
    }
}
