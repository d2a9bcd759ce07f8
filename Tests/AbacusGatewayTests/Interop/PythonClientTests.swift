import AbacusTesting
import Foundation
import Testing

/// Python's `prometheus_client` (0.26, unchanged) pushing to the built `abacus gateway` with
/// `push_to_gateway` (PUT), `pushadd_to_gateway` (POST, gzip-compressed here) and
/// `delete_from_gateway` (DELETE). The client writes a value containing `/` and an empty value
/// as `@base64` path segments; `/metrics` must serve exactly the pushed samples after each step.
@Suite("Interop: Python prometheus_client pushes to abacus gateway")
struct PythonClientTests {
    /// `python -c SCRIPT BASE_URL STEP`.
    static let script = #"""
        import sys
        from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Summary, delete_from_gateway,
                                       push_to_gateway, pushadd_to_gateway)

        base, step = sys.argv[1], sys.argv[2]
        key_a = {"instance": "py-1", "path": "/var/lib/x", "shard": ""}

        def full():
            r = CollectorRegistry()
            jobs = Counter("py_jobs", "Jobs run.", ["queue"], registry=r)
            jobs.labels("mail").inc(3)
            jobs.labels('say "hi" \\ o/').inc()
            Gauge("py_temperature_celsius", "Temperature.", registry=r).set(21.5)
            duration = Histogram("py_duration_seconds", "Duration.", buckets=[0.1, 1, 10], registry=r)
            for v in (0.05, 0.5, 2):
                duration.observe(v)
            payload = Summary("py_payload_bytes", "Payload size.", registry=r)
            payload.observe(100)
            payload.observe(300)
            return r

        if step == "push":
            push_to_gateway(base, job="pyjob", registry=full(), grouping_key=key_a)
            b = CollectorRegistry()
            Gauge("py_temperature_celsius", "Temperature.", registry=b).set(5)
            push_to_gateway(base, job="pyjob-b", registry=b, grouping_key={"instance": ""})
        elif step == "pushadd":
            r = CollectorRegistry()
            Gauge("py_temperature_celsius", "Temperature.", registry=r).set(30)
            Gauge("py_added", "Added by pushadd.", registry=r).set(1)
            pushadd_to_gateway(base, job="pyjob", registry=r, grouping_key=key_a, compression="gzip")
        elif step == "replace":
            r = CollectorRegistry()
            Summary("py_payload_bytes", "Payload size.", registry=r).observe(7)
            push_to_gateway(base, job="pyjob", registry=r, grouping_key=key_a)
        elif step == "delete":
            delete_from_gateway(base, job="pyjob", grouping_key=key_a)
        else:
            sys.exit("unknown step " + step)
        """#

    // Python sends the empty shard as shard@base64/=: no label (docs/gateway.md).
    static let a = #"instance="py-1",job="pyjob",path="/var/lib/x""#
    static let b = #"instance="",job="pyjob-b""#

    func run(_ python: URL, _ base: String, _ step: String) async throws {
        let result = try await ProcessRunner.run(python, ["-c", Self.script, base, step])
        try #require(result.status == 0, "python step \(step): \(result.stderrText)")
    }

    /// The `py_` sample lines but the `_created` ones (timestamps of the Python process).
    func pushed(_ text: String) -> [String] {
        Interop.samples(text, prefix: "py_").filter { !$0.contains("_created") }
    }

    /// The `_created` families' sample lines, without their values.
    func created(_ text: String) -> [String] {
        Interop.samples(text, prefix: "py_").filter { $0.contains("_created") }.map {
            String($0[..<($0.lastIndex(of: " ") ?? $0.endIndex)])
        }
    }

    @Test("push_to_gateway, pushadd_to_gateway (gzip) and delete_from_gateway: /metrics after each")
    func pushAddDelete() async throws {
        guard let python = Peers.require(.pythonClient) else { return }
        try await Interop.withGateway { gateway in
            let base = gateway.baseURL
            let a = Self.a
            let b = Self.b

            // PUT: counter, gauge, histogram, summary; a second group with an empty instance.
            try await run(python, base, "push")
            var text = try await Interop.scrape(base)
            #expect(
                pushed(text) == [
                    #"py_duration_seconds_bucket{\#(a),le="0.1"} 1"#,
                    #"py_duration_seconds_bucket{\#(a),le="1"} 2"#,
                    #"py_duration_seconds_bucket{\#(a),le="10"} 3"#,
                    #"py_duration_seconds_bucket{\#(a),le="+Inf"} 3"#,
                    #"py_duration_seconds_sum{\#(a)} 2.55"#,
                    #"py_duration_seconds_count{\#(a)} 3"#,
                    #"py_jobs_total{instance="py-1",job="pyjob",path="/var/lib/x",queue="mail"} 3"#,
                    #"py_jobs_total{instance="py-1",job="pyjob",path="/var/lib/x",queue="say \"hi\" \\ o/"} 1"#,
                    #"py_payload_bytes_sum{\#(a)} 400"#,
                    #"py_payload_bytes_count{\#(a)} 2"#,
                    #"py_temperature_celsius{\#(b)} 5"#,
                    #"py_temperature_celsius{\#(a)} 21.5"#,
                ], "\(text)")
            #expect(
                Interop.headers(text, prefix: "py_") == [
                    "# HELP py_duration_seconds Duration.", "# TYPE py_duration_seconds histogram",
                    "# HELP py_duration_seconds_created Duration.", "# TYPE py_duration_seconds_created gauge",
                    "# HELP py_jobs_created Jobs run.", "# TYPE py_jobs_created gauge",
                    "# HELP py_jobs_total Jobs run.", "# TYPE py_jobs_total counter",
                    "# HELP py_payload_bytes Payload size.", "# TYPE py_payload_bytes summary",
                    "# HELP py_payload_bytes_created Payload size.", "# TYPE py_payload_bytes_created gauge",
                    "# HELP py_temperature_celsius Temperature.", "# TYPE py_temperature_celsius gauge",
                ])
            #expect(
                created(text) == [
                    "py_duration_seconds_created{\(a)}",
                    #"py_jobs_created{instance="py-1",job="pyjob",path="/var/lib/x",queue="mail"}"#,
                    #"py_jobs_created{instance="py-1",job="pyjob",path="/var/lib/x",queue="say \"hi\" \\ o/"}"#,
                    "py_payload_bytes_created{\(a)}",
                ])
            let firstPush = try #require(Interop.value(text, "push_time_seconds", a))
            #expect(firstPush > 1e9)
            #expect(Interop.value(text, "push_failure_time_seconds", a) == 0)
            #expect((Interop.value(text, "push_time_seconds", b) ?? 0) > 1e9)

            // POST (gzip): replaces the gauge, adds a family, keeps the rest.
            try await run(python, base, "pushadd")
            text = try await Interop.scrape(base)
            #expect(
                pushed(text) == [
                    #"py_added{\#(a)} 1"#,
                    #"py_duration_seconds_bucket{\#(a),le="0.1"} 1"#,
                    #"py_duration_seconds_bucket{\#(a),le="1"} 2"#,
                    #"py_duration_seconds_bucket{\#(a),le="10"} 3"#,
                    #"py_duration_seconds_bucket{\#(a),le="+Inf"} 3"#,
                    #"py_duration_seconds_sum{\#(a)} 2.55"#,
                    #"py_duration_seconds_count{\#(a)} 3"#,
                    #"py_jobs_total{instance="py-1",job="pyjob",path="/var/lib/x",queue="mail"} 3"#,
                    #"py_jobs_total{instance="py-1",job="pyjob",path="/var/lib/x",queue="say \"hi\" \\ o/"} 1"#,
                    #"py_payload_bytes_sum{\#(a)} 400"#,
                    #"py_payload_bytes_count{\#(a)} 2"#,
                    #"py_temperature_celsius{\#(b)} 5"#,
                    #"py_temperature_celsius{\#(a)} 30"#,
                ], "\(text)")
            #expect(created(text).count == 4)
            #expect((Interop.value(text, "push_time_seconds", a) ?? 0) >= firstPush)

            // PUT again: the group is only what was pushed this time.
            try await run(python, base, "replace")
            text = try await Interop.scrape(base)
            #expect(
                pushed(text) == [
                    #"py_payload_bytes_sum{\#(a)} 7"#,
                    #"py_payload_bytes_count{\#(a)} 1"#,
                    #"py_temperature_celsius{\#(b)} 5"#,
                ], "\(text)")
            #expect(created(text) == ["py_payload_bytes_created{\(a)}"])

            // DELETE: the group and its push times are gone; the other group stays.
            try await run(python, base, "delete")
            text = try await Interop.scrape(base)
            #expect(pushed(text) == [#"py_temperature_celsius{\#(b)} 5"#], "\(text)")
            #expect(created(text).isEmpty)
            #expect(Interop.value(text, "push_time_seconds", a) == nil)
            #expect(Interop.value(text, "push_failure_time_seconds", a) == nil)
            #expect(Interop.value(text, "push_time_seconds", b) != nil)
        }
    }
}
