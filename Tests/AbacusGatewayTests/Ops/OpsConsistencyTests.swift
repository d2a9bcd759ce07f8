import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// One type and one set of label names per metric name across the whole gateway: pushed groups
/// (Pushgateway API), aggregated series (ops, `/aggregate`) and the gateway's own metrics; no
/// series both pushed and aggregated; a histogram's layout fixed by its first observation.
@Suite("Ops: consistency with pushed groups and between messages")
struct OpsConsistencyTests {
    /// Posts one message; expects it rejected with `reason` (HTTP 400, counted under http).
    static func expectRejected(
        _ ops: OpsHarness, _ message: String, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try await ops.scrape()
        let result = try await ops.postOps(message)
        #expect(result.status == 400, sourceLocation: sourceLocation)
        #expect(result.answer.applied == 0, sourceLocation: sourceLocation)
        #expect(result.answer.reasons == [reason], "\(result.answer)", sourceLocation: sourceLocation)
        let after = try await ops.scrape()
        #expect(after.state == before.state, sourceLocation: sourceLocation)
        #expect(
            after.rejected(reason, "http") == (before.rejected(reason, "http") ?? 0) + 1, sourceLocation: sourceLocation
        )
    }

    @Test("a pushed gauge cannot be inc-ed (type_conflict), over HTTP and UDP")
    func pushedGaugeThenInc() async throws {
        try await withOpsGateway { ops async throws in
            #expect(
                try await ops.api.put("/metrics/job/x", "# TYPE shared_metric gauge\nshared_metric 3\n").status == 200)
            try await Self.expectRejected(ops, #"{"name":"shared_metric","op":"inc","value":1}"#, "type_conflict")
            try await ops.send(#"{"name":"shared_metric","op":"inc","value":1}"#, via: .udp)
            let scrape = try await ops.wait { $0.rejected("type_conflict", "udp") == 1 }
            #expect(scrape.rejected("type_conflict", "udp") == 1)
            #expect(scrape.value(#"shared_metric{instance="",job="x"}"#) == 3)
            // The same type is fine: a gauge set aggregates beside the pushed one.
            let set = try await ops.postOps(#"{"name":"shared_metric","labels":{"src":"ops"},"op":"set","value":9}"#)
            #expect(set.status == 200, "\(set.answer)")
            #expect(try await ops.scrape().value(#"shared_metric{src="ops"}"#) == 9)
        }
    }

    @Test("an aggregated gauge cannot be pushed as a counter (HTTP 400, type_conflict)")
    func aggregatedGaugeThenPushedCounter() async throws {
        try await withOpsGateway { ops async throws in
            #expect(try await ops.postOps(#"{"name":"agg_gauge","op":"set","value":2}"#).status == 200)
            let before = try await ops.scrape()
            let response = try await ops.api.put("/metrics/job/x", "# TYPE agg_gauge counter\nagg_gauge 1\n")
            #expect(response.status == 400, "\(response)")
            #expect(response.text.contains("agg_gauge"), "\(response)")
            let after = try await ops.scrape()
            #expect(after.value(#"abacus_push_rejections_total{reason="type_conflict"}"#) == 1)
            #expect(after.value("agg_gauge") == 2)
            #expect(
                after.pushed(excluding: [
                    #"push_failure_time_seconds{instance="",job="x"}"#, #"push_time_seconds{instance="",job="x"}"#,
                ])
                .contains("agg_gauge 2\n"))
            #expect(before.value("agg_gauge") == 2)
            // Untyped is a type of its own too.
            #expect(try await ops.api.put("/metrics/job/x", "agg_gauge 1\n").status == 400)
        }
    }

    @Test("an aggregated counter cannot be set (type_conflict), a histogram cannot be inc-ed")
    func typesBetweenMessages() async throws {
        try await withOpsGateway { ops async throws in
            #expect(try await ops.postOps(#"{"name":"c_total","op":"inc","value":1}"#).status == 200)
            try await Self.expectRejected(ops, #"{"name":"c_total","op":"set","value":5}"#, "type_conflict")
            try await Self.expectRejected(ops, #"{"name":"c_total","op":"add","value":5}"#, "type_conflict")
            try await Self.expectRejected(ops, #"{"name":"c_total","op":"obs","value":5}"#, "type_conflict")
            #expect(try await ops.postOps(#"{"name":"h_seconds","op":"obs","value":0.3}"#).status == 200)
            try await Self.expectRejected(ops, #"{"name":"h_seconds","op":"inc","value":1}"#, "type_conflict")
            try await Self.expectRejected(ops, #"{"name":"h_seconds","op":"set","value":1}"#, "type_conflict")
            // Over a stream too (the quick path: same bytes as an accepted message's, other op).
            let client = try ops.connect(.unix)
            try await opsOffThread {
                defer { client.close() }
                try client.send(#"{"name":"c_total","op":"inc","value":1}{"name":"c_total","op":"set","value":1}"#)
            }
            let scrape = try await ops.wait { $0.rejected("type_conflict", "unix") == 1 && $0.value("c_total") == 2 }
            #expect(scrape.rejected("type_conflict", "unix") == 1)
            #expect(scrape.value("c_total") == 2)
        }
    }

    @Test("a name keeps its label names (label_conflict)")
    func labelNames() async throws {
        try await withOpsGateway { ops async throws in
            #expect(
                try await ops.postOps(#"{"name":"ln_total","labels":{"a":"1"},"op":"inc","value":1}"#).status == 200)
            try await Self.expectRejected(
                ops, #"{"name":"ln_total","labels":{"b":"1"},"op":"inc","value":1}"#, "label_conflict")
            try await Self.expectRejected(ops, #"{"name":"ln_total","op":"inc","value":1}"#, "label_conflict")
            try await Self.expectRejected(
                ops, #"{"name":"ln_total","labels":{"a":"1","b":"2"},"op":"inc","value":1}"#, "label_conflict")
            // Same names, other values, any order: fine.
            #expect(
                try await ops.postOps(#"{"name":"ln_total","labels":{"a":"2"},"op":"inc","value":1}"#).status == 200)
            #expect(
                try await ops.scrape().family("ln_total") == """
                    # TYPE ln_total counter
                    ln_total{a="1"} 1
                    ln_total{a="2"} 1

                    """)
        }
    }

    @Test("a series cannot be both pushed and aggregated (duplicate_series), either way round")
    func duplicateSeries() async throws {
        try await withOpsGateway { ops async throws in
            // Pushed first: the aggregated series with the same labels is refused.
            #expect(try await ops.api.put("/metrics/job/x", "# TYPE dup_total counter\ndup_total 1\n").status == 200)
            // With instance="" or without instance: the same series to Prometheus.
            try await Self.expectRejected(
                ops, #"{"name":"dup_total","labels":{"job":"x","instance":""},"op":"inc","value":1}"#,
                "duplicate_series")
            try await Self.expectRejected(
                ops, #"{"name":"dup_total","labels":{"job":"x"},"op":"inc","value":1}"#, "duplicate_series")
            // Other labels are another series: fine.
            #expect(
                try await ops.postOps(#"{"name":"dup_total","labels":{"job":"y"},"op":"inc","value":1}"#).status == 200)
            // Aggregated first: the push of the same series is refused, the group keeps its state.
            let before = try await ops.scrape()
            let response = try await ops.api.put("/metrics/job/y", "# TYPE dup_total counter\ndup_total 5\n")
            #expect(response.status == 400, "\(response)")
            let after = try await ops.scrape()
            #expect(after.value(#"abacus_push_rejections_total{reason="duplicate_series"}"#) == 1)
            let samples = after.samples(of: "dup_total")
            #expect(samples == [#"dup_total{instance="",job="x"}"#: 1, #"dup_total{job="y"}"#: 1])
            #expect(before.samples(of: "dup_total") == samples)
            // The exposition has each series once.
            let lines = after.lines.filter { $0.hasPrefix(#"dup_total{job="y"}"#) }
            #expect(lines.count == 1)
        }
    }

    /// The gateway writes its own series (`abacus_*`, `process_*`) into `/metrics`; an aggregated
    /// series with the same name and labels would be a second sample of the same series, an
    /// invalid exposition (Prometheus refuses the scrape). Same type or not, it must be refused.
    @Test("a message cannot write a series the gateway writes itself")
    func ownSeries() async throws {
        try await withOpsGateway { ops async throws in
            for message in [
                #"{"name":"abacus_groups","op":"set","value":5}"#,
                #"{"name":"process_cpu_seconds_total","op":"inc","value":7}"#,
                #"{"name":"abacus_ingest_messages_total","labels":{"op":"inc","transport":"udp"},"op":"inc","value":1}"#,
            ] {
                let result = try await ops.postOps(message)
                #expect(result.status == 400, "\(message): \(result.answer)")
                #expect(result.answer.applied == 0, "\(message)")
            }
            let aggregated = try await ops.api.post("/aggregate", "# TYPE abacus_groups gauge\nabacus_groups 5\n")
            #expect(aggregated.status == 400, "\(aggregated)")
            let scrape = try await ops.scrape()
            // Each of these series once, as the gateway writes it.
            #expect(scrape.lines.filter { $0.hasPrefix("abacus_groups ") } == ["abacus_groups 0"])
            #expect(scrape.lines.filter { $0.hasPrefix("process_cpu_seconds_total ") }.count == 1)
            #expect(
                scrape.lines.filter { $0.hasPrefix(#"abacus_ingest_messages_total{op="inc",transport="udp"}"#) }.isEmpty
            )
            #expect(scrape.value("abacus_aggregated_series") == 0)
        }
    }

    @Test("derived names collide (name_conflict): histogram series names, both ways")
    func derivedNames() async throws {
        try await withOpsGateway { ops async throws in
            #expect(try await ops.postOps(#"{"name":"dn_seconds","op":"obs","value":1}"#).status == 200)
            try await Self.expectRejected(ops, #"{"name":"dn_seconds_count","op":"set","value":1}"#, "name_conflict")
            try await Self.expectRejected(ops, #"{"name":"dn_seconds_bucket","op":"inc","value":1}"#, "name_conflict")
            let pushed = try await ops.api.put("/metrics/job/p", "# TYPE dn_seconds_sum gauge\ndn_seconds_sum 1\n")
            #expect(pushed.status == 400, "\(pushed)")
            #expect(try await ops.api.put("/metrics/job/p", "# TYPE pb gauge\npb_bucket 1\n").status == 200)
            try await Self.expectRejected(ops, #"{"name":"pb","op":"obs","value":1}"#, "name_conflict")
        }
    }

    @Test("strings from messages are escaped in the exposition, which stays parseable")
    func escaping() async throws {
        try await withOpsGateway { ops async throws in
            let message =
                #"{"name":"esc_total","help":"line1\nline2 \\ back \"q\"","labels":{"v":"a\nb\\c\"d é"},"op":"inc","value":1}"#
            #expect(try await ops.postOps(message).status == 200)
            let scrape = try await ops.scrape()
            #expect(
                scrape.pushed == #"""
                    # HELP esc_total line1\nline2 \\ back "q"
                    # TYPE esc_total counter
                    esc_total{v="a\nb\\c\"d é"} 1

                    """#)
            let families = try TextParser.parse(Array(scrape.raw.utf8))
            let family = families.first { $0.name == "esc_total" }
            #expect(family?.help == "line1\nline2 \\ back \"q\"")
            #expect(family?.metrics.first?.labels == [Label("v", "a\nb\\c\"d é")])
        }
    }

    @Test("--store.max-series bounds aggregated series too (too_many_series)")
    func seriesLimit() async throws {
        try await withOpsGateway(Configure { $0.limits.maxSeries = 5 }) { ops async throws in
            var body = ""
            for index in 0..<5 {
                body += #"{"name":"lim_total","labels":{"i":"\#(index)"},"op":"inc","value":1}"# + "\n"
            }
            #expect(try await ops.postOps(body).status == 200)
            try await Self.expectRejected(
                ops, #"{"name":"lim_total","labels":{"i":"5"},"op":"inc","value":1}"#, "too_many_series")
            // An existing series still takes updates.
            #expect(
                try await ops.postOps(#"{"name":"lim_total","labels":{"i":"0"},"op":"inc","value":1}"#).status == 200)
            #expect(try await ops.scrape().value(#"lim_total{i="0"}"#) == 2)
            #expect(try await ops.scrape().value("abacus_aggregated_series") == 5)
        }
    }

    @Test("the first observation fixes a histogram's layout")
    func firstObservationFixesLayout() async throws {
        try await withOpsGateway { ops async throws in
            let body = """
                {"name":"lat_seconds","help":"Latency.","op":"obs","value":3,"bucket_custom":[1,5,10]}
                {"name":"lat_seconds","op":"obs","value":5,"bucket_width":2,"buckets":3}
                {"name":"lat_seconds","op":"obs","value":7,"bucket_min":1,"bucket_max":100,"buckets":3}
                {"name":"lat_seconds","op":"obs","value":50,"bucket_factor":2}
                {"name":"lat_seconds","op":"obs","value":0.5}

                """
            let result = try await ops.postOps(body)
            #expect(result.status == 200, "\(result.answer)")
            #expect(result.answer.applied == 5)
            #expect(
                try await ops.scrape().family("lat_seconds") == """
                    # HELP lat_seconds Latency.
                    # TYPE lat_seconds histogram
                    lat_seconds_bucket{le="1"} 1
                    lat_seconds_bucket{le="5"} 3
                    lat_seconds_bucket{le="10"} 4
                    lat_seconds_bucket{le="+Inf"} 5
                    lat_seconds_sum 65.5
                    lat_seconds_count 5

                    """)
            // Over UDP, the fast path for the same series.
            try await ops.send(
                #"{"name":"lat_seconds","op":"obs","value":10}{"name":"lat_seconds","op":"obs","value":11}"#, via: .udp)
            let scrape = try await ops.wait { $0.value("lat_seconds_count") == 7 }
            #expect(scrape.value(#"lat_seconds_bucket{le="10"}"#) == 5)
            #expect(scrape.value(#"lat_seconds_bucket{le="+Inf"}"#) == 7)
            #expect(scrape.value("lat_seconds_sum") == 86.5)
        }
    }

    @Test("layouts of the protocol: default linear, width, range, factor, custom")
    func layouts() async throws {
        try await withOpsGateway { ops async throws in
            let body = """
                {"name":"l_default","op":"obs","value":15}
                {"name":"l_width","op":"obs","value":1,"bucket_width":0.5,"buckets":3}
                {"name":"l_range","op":"obs","value":1,"bucket_min":1,"bucket_max":100,"buckets":3}
                {"name":"l_factor","op":"obs","value":1,"bucket_factor":10,"buckets":3}
                {"name":"l_custom","op":"obs","value":1,"bucket_custom":[1.0, 2.0, 5.5, 7, 10, 50]}

                """
            #expect(try await ops.postOps(body).status == 200)
            let scrape = try await ops.scrape()
            func bounds(_ name: String) -> [String] {
                scrape.lines.filter { $0.hasPrefix(name + "_bucket{") }.compactMap { line in
                    line.split(separator: "\"").dropFirst().first.map(String.init)
                }
            }
            // The original's default: 0, 10, …, 190.
            #expect(bounds("l_default") == (0..<20).map { "\($0 * 10)" } + ["+Inf"])
            #expect(scrape.value(#"l_default_bucket{le="10"}"#) == 0)
            #expect(scrape.value(#"l_default_bucket{le="20"}"#) == 1)
            #expect(bounds("l_width") == ["0", "0.5", "1", "+Inf"])
            #expect(bounds("l_range") == ["1", "10", "100", "+Inf"])
            #expect(bounds("l_factor") == ["0.1", "1", "10", "+Inf"])
            #expect(bounds("l_custom") == ["1", "2", "5.5", "7", "10", "50", "+Inf"])
            // A bound is inclusive (le).
            #expect(scrape.value(#"l_width_bucket{le="1"}"#) == 1)
            #expect(scrape.value(#"l_width_bucket{le="0.5"}"#) == 0)
            #expect(scrape.value(#"l_width_bucket{le="0"}"#) == 0)
        }
    }

    @Test("set replaces, add adds to a gauge, inc adds to a counter")
    func operations() async throws {
        try await withOpsGateway { ops async throws in
            let body = """
                {"name":"g","op":"set","value":5}
                {"name":"g","op":"add","value":-2.5}
                {"name":"g","op":"add","value":1}
                {"name":"c_total","op":"inc","value":0.25}
                {"name":"c_total","op":"inc","value":0}
                {"name":"c_total","op":"inc","value":2}
                {"name":"s","op":"set","value":5}
                {"name":"s","op":"set","value":-1}

                """
            let result = try await ops.postOps(body)
            #expect(result.status == 200)
            let scrape = try await ops.scrape()
            #expect(scrape.value("g") == 3.5)
            #expect(scrape.value("c_total") == 2.25)
            #expect(scrape.value("s") == -1)
            #expect(scrape.ingested("set", "http") == 3)
            #expect(scrape.ingested("add", "http") == 2)
            #expect(scrape.ingested("inc", "http") == 3)
        }
    }
}
