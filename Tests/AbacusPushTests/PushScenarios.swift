import Abacus
import AbacusExposition
import AbacusPush
import AbacusTesting
import Testing

/// The Pushgateway semantics, as scenarios any Pushgateway-compatible server must pass: each
/// pushes with ``PushgatewayClient`` and reads back `/metrics` and `/api/v1/metrics`, checking
/// exact values. Run against Debian's Pushgateway 1.5.1 and against `abacus gateway`.
enum PushScenario: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case putReplacesTheGroup
    case postReplacesSameNamedFamilies
    case deleteRemovesTheGroup
    case groupingKeysWithSlashesAndEmptyValues
    case protobufAndGzipBodies
    case refusalsCarryStatusAndText

    var testDescription: String { rawValue }

    func run(_ baseURL: String) async throws {
        try await PushgatewayClient.withClient(url: baseURL) { client in
            switch self {
            case .putReplacesTheGroup: try await Self.putReplaces(client, baseURL)
            case .postReplacesSameNamedFamilies: try await Self.postReplaces(client, baseURL)
            case .deleteRemovesTheGroup: try await Self.delete(client, baseURL)
            case .groupingKeysWithSlashesAndEmptyValues: try await Self.awkwardKeys(client, baseURL)
            case .protobufAndGzipBodies: try await Self.protobufAndGzip(baseURL)
            case .refusalsCarryStatusAndText: try await Self.refusals(client, baseURL)
            }
        }
    }

    static func registry() -> Registry { Registry(processMetrics: false) }

    static func putReplaces(_ client: PushgatewayClient, _ baseURL: String) async throws {
        let key = try GroupingKey(job: "pt")
        let first = registry()
        try first.gauge("pt_gauge", help: "A gauge.").set(1.5)
        try first.counter("pt_events", help: "Events.").increment(by: 5)
        try await client.push(first, to: key, extraLabels: [Label("team", "infra")])
        let series = ["job": "pt", "instance": "", "team": "infra"]
        var scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("pt_gauge", series) == 1.5, "\(scrape.text)")
        #expect(scrape.value("pt_events_total", series) == 5)
        #expect(
            scrape.headers("pt_events_total") == ["# HELP pt_events_total Events.", "# TYPE pt_events_total counter"])

        let second = registry()
        try second.gauge("pt_gauge", help: "A gauge.").set(2)
        try await client.push(second, to: key)
        scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("pt_gauge", ["job": "pt", "instance": ""]) == 2, "\(scrape.text)")
        #expect(scrape.samples(named: "pt_gauge").count == 1)
        #expect(scrape.samples(named: "pt_events_total").isEmpty, "PUT must replace the whole group")

        let api = try await GroupsAPI.fetch(baseURL)
        let group = try #require(api.group(["job": "pt"]), "\(api.groups.map(\.labels))")
        #expect(group.value("pt_gauge", ["job": "pt", "instance": ""]) == 2)
        #expect(group.type("pt_gauge") == "GAUGE")
        #expect(group.families["pt_events_total"] == nil)
    }

    static func postReplaces(_ client: PushgatewayClient, _ baseURL: String) async throws {
        let key = try GroupingKey(job: "pa", labels: [Label("instance", "db1")])
        let first = registry()
        try first.gauge("pa_gauge", help: "A gauge.").set(1)
        try first.gauge("pa_other", help: "Another gauge.").set(7)
        try await client.push(first, to: key)
        let second = registry()
        try second.gauge("pa_gauge", help: "A gauge.").set(3)
        try await client.add(second, to: key)
        let series = ["job": "pa", "instance": "db1"]
        let scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("pa_gauge", series) == 3, "\(scrape.text)")
        #expect(scrape.value("pa_other", series) == 7, "POST must keep the families it does not push")
        let api = try await GroupsAPI.fetch(baseURL)
        let group = try #require(api.group(series))
        #expect(group.value("pa_gauge", series) == 3)
        #expect(group.value("pa_other", series) == 7)
    }

    static func delete(_ client: PushgatewayClient, _ baseURL: String) async throws {
        let a = try GroupingKey(job: "pd", labels: [Label("instance", "a")])
        let b = try GroupingKey(job: "pd", labels: [Label("instance", "b")])
        let registry = registry()
        let gauge = try registry.gauge("pd_gauge", help: "A gauge.")
        gauge.set(1)
        try await client.push(registry, to: a)
        gauge.set(2)
        try await client.push(registry, to: b)
        var scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("pd_gauge", ["job": "pd", "instance": "a"]) == 1)
        #expect(scrape.value("pd_gauge", ["job": "pd", "instance": "b"]) == 2)

        try await client.delete(a)
        scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("pd_gauge", ["job": "pd", "instance": "a"]) == nil, "\(scrape.text)")
        #expect(scrape.value("push_time_seconds", ["job": "pd", "instance": "a"]) == nil)
        #expect(scrape.value("pd_gauge", ["job": "pd", "instance": "b"]) == 2)
        let api = try await GroupsAPI.fetch(baseURL)
        #expect(api.group(["job": "pd", "instance": "a"]) == nil)
        #expect(api.group(["job": "pd", "instance": "b"]) != nil)
        // Deleting a group that does not exist is not an error (202).
        try await client.delete(try GroupingKey(job: "pd", labels: [Label("instance", "never")]))
    }

    static func awkwardKeys(_ client: PushgatewayClient, _ baseURL: String) async throws {
        let slashes = try GroupingKey(job: "nightly/backup", labels: [Label("path", "/var/lib/db")])
        let empty = try GroupingKey(job: "nightly", labels: [Label("shard", "")])
        let spaces = try GroupingKey(job: "workload 1", labels: [Label("host", "a+b c%d")])
        let registry = registry()
        let gauge = try registry.gauge("aw_gauge", help: "A gauge.")
        gauge.set(11)
        try await client.push(registry, to: slashes)
        gauge.set(12)
        try await client.push(registry, to: empty)
        gauge.set(13)
        try await client.push(registry, to: spaces)

        let scrape = try await Scraped.fetch(baseURL)
        #expect(
            scrape.value("aw_gauge", ["job": "nightly/backup", "path": "/var/lib/db", "instance": ""]) == 11,
            "\(scrape.text)")
        #expect(scrape.value("aw_gauge", ["job": "workload 1", "host": "a+b c%d", "instance": ""]) == 13)
        // The Pushgateway writes the empty grouping label (`shard=""`), which Prometheus reads
        // as no label; either spelling is the same series.
        let emptyShard =
            scrape.value("aw_gauge", ["job": "nightly", "shard": "", "instance": ""])
            ?? scrape.value("aw_gauge", ["job": "nightly", "instance": ""])
        #expect(emptyShard == 12)
        let api = try await GroupsAPI.fetch(baseURL)
        #expect(api.group(["job": "nightly/backup", "path": "/var/lib/db"]) != nil, "\(api.groups.map(\.labels))")
        // The same for the group: the gateway drops the empty label, the Pushgateway keeps it.
        #expect(
            (api.group(["job": "nightly", "shard": ""]) ?? api.group(["job": "nightly"])) != nil,
            "\(api.groups.map(\.labels))")
        #expect(api.group(["job": "workload 1", "host": "a+b c%d"]) != nil)

        for key in [slashes, empty, spaces] { try await client.delete(key) }
        let after = try await Scraped.fetch(baseURL)
        #expect(after.samples(named: "aw_gauge").isEmpty, "\(after.text)")
    }

    static func protobufAndGzip(_ baseURL: String) async throws {
        let registry = registry()
        let histogram = try registry.histogram("pb_seconds", help: "Durations.", buckets: [0.1, 1])
        for value in [0.05, 0.5, 2] { histogram.observe(value) }
        try registry.counter("pb_events", help: "Events.").increment(by: 4)
        let formats: [(PushBodyFormat, PushCompression, String)] = [
            (.protobuf, .none, "protobuf"), (.protobuf, .gzip, "protobuf-gzip"), (.text, .gzip, "text-gzip"),
        ]
        for (format, compression, job) in formats {
            let configuration = PushConfiguration(format: format, compression: compression)
            try await PushgatewayClient.withClient(url: baseURL, configuration: configuration) { client in
                try await client.push(registry, to: try GroupingKey(job: job))
            }
            let scrape = try await Scraped.fetch(baseURL)
            let series = ["job": job, "instance": ""]
            func bucket(_ le: String) -> Double? {
                scrape.value("pb_seconds_bucket", series.merging(["le": le]) { $1 })
            }
            #expect(bucket("0.1") == 1, "\(job): \(scrape.text)")
            #expect(bucket("1") == 2, "\(job)")
            #expect(bucket("+Inf") == 3, "\(job)")
            #expect(scrape.value("pb_seconds_sum", series) == 2.55, "\(job)")
            #expect(scrape.value("pb_seconds_count", series) == 3, "\(job)")
            #expect(scrape.value("pb_events_total", series) == 4, "\(job)")
        }
    }

    static func refusals(_ client: PushgatewayClient, _ baseURL: String) async throws {
        let gauges = registry()
        try gauges.gauge("cf_metric_total", help: "A gauge.").set(1)
        try await client.push(gauges, to: try GroupingKey(job: "cf_a"))
        let counters = registry()
        try counters.counter("cf_metric_total", help: "A gauge.").increment()
        let conflict = await failure(PushError.self, "a counter pushed over a gauge of another group") {
            try await client.push(counters, to: try GroupingKey(job: "cf_b"))
        }
        #expect(conflict?.code == .httpStatus)
        #expect(conflict?.status == 400)
        #expect(conflict?.method == "PUT")
        #expect(conflict?.url == baseURL + "/metrics/job/cf_b")
        #expect(conflict?.body.contains("cf_metric_total") == true, "\(conflict?.body ?? "")")
        #expect(conflict?.description.hasPrefix("PUT \(baseURL)/metrics/job/cf_b: HTTP 400: ") == true)
        let scrape = try await Scraped.fetch(baseURL)
        #expect(scrape.value("cf_metric_total", ["job": "cf_a", "instance": ""]) == 1)
        #expect(scrape.value("cf_metric_total", ["job": "cf_b", "instance": ""]) == nil)

        let invalid = MetricFamily(name: "bad-name", type: .gauge, metrics: [Metric(value: .gauge(1))])
        let refused = await failure(PushError.self, "an invalid metric name") {
            try await client.push(families: [invalid], to: try GroupingKey(job: "cf_c"), method: .post)
        }
        #expect(refused?.code == .httpStatus)
        #expect(refused?.status == 400)
        #expect(refused?.method == "POST")
        #expect(refused?.body.isEmpty == false)
    }
}

@Suite("PushgatewayClient against Debian's Prometheus Pushgateway 1.5.1")
struct PushgatewayInteropTests {
    @Test(arguments: PushScenario.allCases)
    func scenario(_ scenario: PushScenario) async throws {
        _ = try await RealPushgateway.with { server in
            try await scenario.run(server.baseURL)
        }
    }

    @Test("basic authentication checked by the Pushgateway's web config: wrong password 401, right one accepted")
    func basicAuthentication() async throws {
        // bcrypt (cost 4) of "s3cret", made once with Python's crypt module.
        let web = "basic_auth_users:\n  pusher: $2b$04$jJT/uFiCyHRyfXtbDx4sOu4J9AAQPE1tuV6j1WvnpcjyU0O6XxorS\n"
        guard let executable = Peers.require(.pushgateway) else { return }
        try await AuthenticatedPushgateway.with(executable, webConfig: web, user: "pusher", password: "s3cret") {
            baseURL in
            let registry = Registry(processMetrics: false)
            try registry.gauge("auth_gauge", help: "A gauge.").set(42)
            let key = try GroupingKey(job: "auth")
            let wrong = PushConfiguration(authorization: .basic(username: "pusher", password: "wrong"))
            try await PushgatewayClient.withClient(url: baseURL, configuration: wrong) { client in
                let error = await failure(PushError.self, "a wrong password") {
                    try await client.push(registry, to: key)
                }
                #expect(error?.code == .httpStatus)
                #expect(error?.status == 401)
            }
            let right = PushConfiguration(authorization: .basic(username: "pusher", password: "s3cret"))
            try await PushgatewayClient.withClient(url: baseURL, configuration: right) { client in
                try await client.push(registry, to: key)
            }
            let scrape = try await AuthenticatedPushgateway.scrape(baseURL, user: "pusher", password: "s3cret")
            #expect(scrape.value("auth_gauge", ["job": "auth", "instance": ""]) == 42, "\(scrape.text)")
        }
    }
}
