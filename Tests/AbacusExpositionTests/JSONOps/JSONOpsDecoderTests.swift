import Testing

@testable import AbacusExposition

@Suite("JSONOps: message decoder")
struct JSONOpsDecoderTests {
    func decode(_ text: String, limits: OpsLimits = .default) -> Result<OpsMessage, OpsRejection> {
        Result { () throws(OpsRejection) in try OpsDecoder.decode(Array(text.utf8), limits: limits) }
    }

    func message(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> OpsMessage {
        switch decode(text) {
        case .success(let message): return message
        case .failure(let rejection):
            Issue.record("rejected: \(rejection)", sourceLocation: sourceLocation)
            throw rejection
        }
    }

    func rejection(_ text: String, limits: OpsLimits = .default) -> OpsRejection? {
        if case .failure(let rejection) = decode(text, limits: limits) { return rejection }
        return nil
    }

    // MARK: Accepted messages

    @Test("the protocol's examples")
    func examples() throws {
        #expect(
            try message(#"{"name":"jobs_total","help":"Jobs run","labels":{"queue":"mail"},"op":"inc","value":1}"#)
                == OpsMessage(
                    name: "jobs_total", help: "Jobs run", labels: [Label("queue", "mail")], op: .inc, value: 1))
        #expect(
            try message(#"{"name":"metric","labels":{"label1":"labelvalue1"},"op":"event","value":1.0}"#)
                == OpsMessage(name: "metric", labels: [Label("label1", "labelvalue1")], op: .event, value: 1))
        #expect(
            try message(#"{"name":"shuthdown","op":"shutdown","value":0}"#)
                == OpsMessage(name: "shuthdown", op: .shutdown, value: 0))
        #expect(
            try message(
                #"{"name":"metric_name","help":"metric description","labels":{"label1":"labelvalue1"},"op":"set","value":1.0}"#
            ).op == .set)
    }

    @Test("every operation")
    func operations() throws {
        for op in OpsOperation.allCases {
            let m = try message(#"{"name":"m","op":"\#(op.rawValue)","value":2.5}"#)
            #expect(m.op == op)
            #expect(m.value == 2.5)
            #expect(m.histogram == (op == .obs ? .default : nil))
        }
        #expect(try message(#"{"name":"g","op":"add","value":-3}"#).value == -3)
        #expect(try message(#"{"name":"g","op":"set","value":-3e-3}"#).value == -0.003)
        #expect(try message(#"{"name":"c","op":"inc","value":0}"#).value == 0)
        #expect(try message(#"{"name":"c","op":"inc","value":-0}"#).value == 0)
        #expect(try message(#"{"name":"e","op":"event","value":-7}"#).value == -7)
        #expect(try message(#"{"name":"e","op":"event"}"#).value == 0)
        #expect(try message(#"{"op":"shutdown"}"#) == OpsMessage(name: "", op: .shutdown, value: 0))
    }

    @Test("labels keep their order; help, labels and fields may be null; whitespace anywhere")
    func fields() throws {
        let m = try message(
            """
            {
              "value" : 1 ,
              "labels" : { "z" : "1", "a" : "", "quantile" : "0.5", "_x" : "é \\" {}" },
              "op" : "inc" ,
              "name" : "ns:sub_total"
            }
            """)
        #expect(m.labels == [Label("z", "1"), Label("a", ""), Label("quantile", "0.5"), Label("_x", "é \" {}")])
        #expect(m.name == "ns:sub_total")
        #expect(m.help == nil)
        let n = try message(#"{"name":"m","help":null,"labels":null,"op":"set","value":1,"buckets":null}"#)
        #expect(n.help == nil && n.labels.isEmpty)
        // "help": "" is no help, as in the original (a Go string field cannot tell them apart).
        #expect(try message(#"{"name":"m","help":"","labels":{},"op":"set","value":1}"#).help == nil)
    }

    @Test("escapes in keys, names and values are decoded")
    func escapes() throws {
        let m = try message(
            #"{"n\u0061me":"a\u005fb","labels":{"k":"line\nbreak \u00e9 \ud83d\ude00"},"op":"set","value":1}"#)
        #expect(m.name == "a_b")
        #expect(m.labels == [Label("k", "line\nbreak é 😀")])
    }

    @Test("unknown fields are skipped, whatever their value")
    func unknownFields() throws {
        let m = try message(
            #"{"name":"m","extra":{"a":[1,{"b":null}],"c":true},"op":"inc","value":1,"x":[],"timestamp":null}"#
        )
        #expect(m == OpsMessage(name: "m", op: .inc, value: 1))
        // index and timestamp are known fields: a metric op ignores them, if they are well formed.
        #expect(
            try message(#"{"name":"m","op":"inc","value":1,"index":"i","timestamp":"2024-01-01T00:00:00Z"}"#)
                == OpsMessage(name: "m", op: .inc, value: 1))
    }

    /// The original's other two operations (documents for OpenSearch, rows for ScyllaDB) with
    /// the fields they use: `index` (the index name template) and `timestamp` (RFC 3339, as Go's
    /// time.Time reads it).
    @Test("index and raw messages with index and timestamp")
    func indexAndRaw() throws {
        #expect(
            try message(
                #"{"name":"doc","labels":{"k":"v"},"op":"index","index":"preemptible","timestamp":"2024-05-01T12:30:00.5+02:00","value":2}"#
            )
                == OpsMessage(
                    name: "doc", labels: [Label("k", "v")], op: .index, value: 2, index: "preemptible",
                    timestampNs: 1_714_559_400_500_000_000))
        // The value is optional, as for event; the original's index.json sends no timestamp.
        #expect(
            try message(#"{"name":"doc","op":"index","index":"preemptible"}"#)
                == OpsMessage(name: "doc", op: .index, value: 0, index: "preemptible"))
        #expect(
            try message(#"{"name":"row","op":"raw","value":1.5,"timestamp":"2022-09-30T08:07:00Z"}"#)
                == OpsMessage(name: "row", op: .raw, value: 1.5, timestampNs: 1_664_525_220_000_000_000))
        #expect(try message(#"{"name":"ev","op":"event","timestamp":"1970-01-01T00:00:00Z"}"#).timestampNs == 0)
        // Go's zero time.Time, what a Go client's unset field marshals to: absent.
        #expect(try message(#"{"name":"ev","op":"raw","timestamp":"0001-01-01T00:00:00Z"}"#).timestampNs == nil)
        // The metric operations ignore timestamp, even one that is not RFC 3339.
        #expect(
            try message(#"{"name":"c","op":"inc","value":1,"timestamp":"yesterday"}"#)
                == OpsMessage(name: "c", op: .inc, value: 1))
        for bad in [
            "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-05-01 12:30:00Z", "2024-05-01T12:30:00", "yesterday",
        ] {
            #expect(
                rejection(#"{"name":"row","op":"raw","value":1,"timestamp":"\#(bad)"}"#)?.reason == .invalidField,
                "\(bad)")
        }
    }

    @Test("RFC 3339 reads and writes as Go's time.Time does")
    func rfc3339() {
        let cases: [(String, Int64, String)] = [
            ("2024-05-01T12:30:00Z", 1_714_566_600_000_000_000, "2024-05-01T12:30:00Z"),
            ("2024-05-01t12:30:00.123z", 1_714_566_600_123_000_000, "2024-05-01T12:30:00.123Z"),
            ("2024-02-29T23:59:59.999999999-00:30", 1_709_252_999_999_999_999, "2024-03-01T00:29:59.999999999Z"),
            ("1969-12-31T23:59:59.5Z", -500_000_000, "1969-12-31T23:59:59.5Z"),
            ("1900-01-01T00:00:00Z", -2_208_988_800_000_000_000, "1900-01-01T00:00:00Z"),
        ]
        for (text, ns, formatted) in cases {
            #expect(RFC3339.nanoseconds(Array(text.utf8)) == ns, "\(text)")
            #expect(RFC3339.format(nanoseconds: ns) == formatted)
            #expect(RFC3339.nanoseconds(Array(formatted.utf8)) == ns)
        }
        for bad in [
            "2024-05-01T12:30:00.Z", "2024-05-01T12:30:00.1234567890Z", "2024-05-01T24:00:00Z", "3000-01-01T00:00:00Z",
            "2024-05-01T12:30:00+1:00",
        ] {
            #expect(RFC3339.nanoseconds(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    // MARK: Histogram layouts

    func layout(_ fields: String) throws -> HistogramLayout? {
        try message(#"{"name":"h","op":"obs","value":1\#(fields)}"#).histogram
    }

    @Test("layouts, defaults and precedence")
    func layouts() throws {
        // As the original: the lowest linear bound is 0 (0, 10, …, 190 by default).
        #expect(try layout("") == .linear(start: 0, width: 10, count: 20))
        #expect(try layout(#","buckets":10,"bucket_width":5"#) == .linear(start: 0, width: 5, count: 10))
        #expect(try layout(#","bucket_start":0"#) == .linear(start: 0, width: 10, count: 20))
        #expect(try layout(#","bucket_start":-5"#) == .linear(start: -5, width: 10, count: 20))
        // 0 is absent for every numeric bucket field (Go's zero values, sent by Go clients).
        let zeros = #","buckets":0,"bucket_width":0,"bucket_start":0,"bucket_min":0,"bucket_max":0,"bucket_factor":0"#
        #expect(try layout(zeros) == .default)
        #expect(try layout(zeros + #","bucket_custom":[]"#) == .default)
        #expect(
            try layout(#","bucket_factor":2,"bucket_start":0"#) == .exponentialFactor(start: 0.1, factor: 2, count: 20))
        #expect(try layout(#","bucket_min":0,"bucket_max":0,"buckets":5"#) == .linear(start: 0, width: 10, count: 5))
        #expect(
            try layout(#","buckets":3,"bucket_width":0.5,"bucket_start":1"#) == .linear(start: 1, width: 0.5, count: 3))
        #expect(
            try layout(#","buckets":10,"bucket_min":1.0,"bucket_max":70.0"#)
                == .exponentialRange(min: 1, max: 70, count: 10))
        #expect(
            try layout(#","buckets":10,"bucket_factor":10.1"#)
                == .exponentialFactor(start: 0.1, factor: 10.1, count: 10))
        #expect(
            try layout(#","bucket_factor":2,"bucket_start":0.5"#)
                == .exponentialFactor(start: 0.5, factor: 2, count: 20))
        #expect(try layout(#","bucket_custom":[1.0, 2.0, 5.5, 7, 10, 50]"#) == .custom([1, 2, 5.5, 7, 10, 50]))
        #expect(try layout(#","buckets":4.0"#) == .linear(start: 0, width: 10, count: 4))
        // Precedence: min+max, then factor, then custom, then linear.
        let all = #","bucket_min":1,"bucket_max":8,"bucket_factor":3,"bucket_custom":[1],"bucket_width":2,"buckets":4"#
        #expect(try layout(all) == .exponentialRange(min: 1, max: 8, count: 4))
        #expect(
            try layout(#","bucket_factor":3,"bucket_custom":[1],"bucket_width":2"#)
                == .exponentialFactor(start: 0.1, factor: 3, count: 20))
        #expect(try layout(#","bucket_custom":[1],"bucket_width":2,"buckets":3"#) == .custom([1]))
        // Bucket fields of other operations are type-checked but not used (nor checked further:
        // the original reads them only for obs).
        #expect(try message(#"{"name":"c","op":"inc","value":1,"bucket_factor":3}"#).histogram == nil)
        #expect(try message(#"{"name":"c","op":"inc","value":1,"buckets":-1,"bucket_factor":0.5}"#).histogram == nil)
    }

    @Test("upper bounds match client_golang's helpers")
    func upperBounds() {
        let linear: [Double] = (0..<20).map { Double($0) * 10 }
        #expect(HistogramLayout.default.upperBounds() == linear)
        #expect(HistogramLayout.linear(start: 1, width: 0.5, count: 3).upperBounds() == [1, 1.5, 2])
        #expect(HistogramLayout.exponentialFactor(start: 0.1, factor: 10, count: 3).upperBounds() == [0.1, 1, 10])
        #expect(HistogramLayout.exponentialRange(min: 1, max: 8, count: 4).upperBounds() == [1, 2, 4, 8])
        #expect(HistogramLayout.exponentialRange(min: 3, max: 9, count: 1).upperBounds() == [3])
        #expect(HistogramLayout.custom([1, 2.5]).upperBounds() == [1, 2.5])
        #expect(HistogramLayout.linear(start: 0, width: 1, count: -3).upperBounds() == [])
        let range = HistogramLayout.exponentialRange(min: 1, max: 70, count: 10).upperBounds()
        #expect(range.count == 10 && range.first == 1 && abs(range.last! - 70) < 1e-9)
    }

    // MARK: Rejections

    @Test(
        "the original's known crash inputs are rejected cleanly",
        arguments: [
            (#"{"name":"c","op":"inc","value":-1}"#, "negative_increment"),
            (#"{"name":"h","op":"obs","value":1,"bucket_factor":1}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_factor":0.5}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_factor":-2}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_custom":[2,1]}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_custom":[1,1]}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"buckets":-5}"#, "invalid_buckets"),
            (#"{"name":"h","labels":{"le":"1"},"op":"obs","value":1}"#, "invalid_label"),
            (#"{"name":"c","op":"inc","value":1"#, "invalid_json"),
            (#"{"name":"c",op:"inc","value":1}"#, "invalid_json"),
        ])
    func knownCrashes(text: String, reason: String) {
        #expect(rejection(text)?.reason.rawValue == reason)
    }

    @Test(
        "every rejection has its reason",
        arguments: [
            // Not JSON, or not an object.
            ("", "invalid_json"), ("[]", "invalid_json"), ("1", "invalid_json"), (#""x""#, "invalid_json"),
            ("null", "invalid_json"),
            (#"{"name":"c","op":"inc","value":1} x"#, "invalid_json"),
            (#"{"name":"c","op":"inc","value":1}{}"#, "invalid_json"),
            (#"{"name":"c","op":"inc","value":01}"#, "invalid_json"),
            (#"{"name":"c","op":"inc","value":1,}"#, "invalid_json"),
            (#"{"name":"c\x","op":"inc","value":1}"#, "invalid_json"),
            (
                #"{"unknown":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"name":"c","op":"inc","value":1}"#,
                "invalid_json"
            ),
            // A JSON error wins over an earlier semantic problem.
            (#"{"name":"c","op":"inc","value":-1,}"#, "invalid_json"),
            // Missing fields.
            (#"{"op":"inc","value":1}"#, "missing_field"), (#"{"name":"c","value":1}"#, "missing_field"),
            (#"{"name":"c","op":"inc"}"#, "missing_field"), (#"{"name":"c","op":"set"}"#, "missing_field"),
            (#"{"name":"c","op":"obs","value":null}"#, "missing_field"),
            (#"{"name":null,"op":"add","value":1}"#, "missing_field"),
            ("{}", "missing_field"),
            // Wrong types and repeats of known fields.
            (#"{"name":1,"op":"inc","value":1}"#, "invalid_field"),
            (#"{"name":"c","op":1,"value":1}"#, "invalid_field"),
            (#"{"name":"c","op":"inc","value":"1"}"#, "invalid_field"),
            (#"{"name":"c","op":"inc","value":true}"#, "invalid_field"),
            (#"{"name":"c","help":3,"op":"inc","value":1}"#, "invalid_field"),
            (#"{"name":"c","labels":[],"op":"inc","value":1}"#, "invalid_field"),
            (#"{"name":"c","labels":"a=b","op":"inc","value":1}"#, "invalid_field"),
            (#"{"name":"h","op":"obs","value":1,"buckets":"10"}"#, "invalid_field"),
            (#"{"name":"h","op":"obs","value":1,"bucket_custom":5}"#, "invalid_field"),
            (#"{"name":"c","op":"inc","op":"set","value":1}"#, "invalid_field"),
            (#"{"name":"c","op":"inc","value":1,"value":2}"#, "invalid_field"),
            // Operation.
            (#"{"name":"c","op":"increment","value":1}"#, "unknown_op"),
            (#"{"name":"c","op":"RAW","value":1}"#, "unknown_op"),
            (#"{"name":"c","op":"INC","value":1}"#, "unknown_op"), (#"{"name":"c","op":"","value":1}"#, "unknown_op"),
            // Names.
            (#"{"name":"","op":"inc","value":1}"#, "invalid_name"),
            (#"{"name":"1abc","op":"inc","value":1}"#, "invalid_name"),
            (#"{"name":"a-b","op":"inc","value":1}"#, "invalid_name"),
            (#"{"name":"a b","op":"inc","value":1}"#, "invalid_name"),
            (#"{"name":"é","op":"inc","value":1}"#, "invalid_name"),
            (#"{"name":"a\u0000","op":"inc","value":1}"#, "invalid_name"),
            // Labels.
            (#"{"name":"c","labels":{"":"x"},"op":"inc","value":1}"#, "invalid_label"),
            (#"{"name":"c","labels":{"1a":"x"},"op":"inc","value":1}"#, "invalid_label"),
            (#"{"name":"c","labels":{"a:b":"x"},"op":"inc","value":1}"#, "invalid_label"),
            (#"{"name":"c","labels":{"__name__":"x"},"op":"inc","value":1}"#, "invalid_label"),
            (#"{"name":"c","labels":{"a":"x","a":"y"},"op":"inc","value":1}"#, "invalid_label"),
            (#"{"name":"c","labels":{"a":1},"op":"inc","value":1}"#, "invalid_label"),
            (#"{"name":"c","labels":{"a":null},"op":"inc","value":1}"#, "invalid_label"),
            (#"{"name":"c","labels":{"a":{"b":"c"}},"op":"inc","value":1}"#, "invalid_label"),
            // Values.
            (#"{"name":"c","op":"inc","value":-0.5}"#, "negative_increment"),
            (#"{"name":"c","op":"inc","value":1e400}"#, "non_finite_value"),
            (#"{"name":"g","op":"set","value":-1e309}"#, "non_finite_value"),
            (#"{"name":"e","op":"event","value":1e999}"#, "non_finite_value"),
            // Buckets.
            (#"{"name":"h","op":"obs","value":1,"buckets":2.5}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"buckets":1001}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"buckets":1e300}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_width":-1}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_min":0,"bucket_max":10}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_min":-1,"bucket_max":10}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_min":10,"bucket_max":10}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_min":10,"bucket_max":1}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_min":1}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_max":1}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_custom":[1,"2"]}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_custom":[1,1e400]}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_custom":[1,null]}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_factor":1e300,"buckets":5}"#, "invalid_buckets"),
            (#"{"name":"h","op":"obs","value":1,"bucket_start":1e17,"bucket_width":1}"#, "invalid_buckets"),
            (
                #"{"name":"h","op":"obs","value":1,"bucket_min":1e-300,"bucket_max":1e300,"buckets":1000}"#,
                "invalid_buckets"
            ),
        ])
    func rejections(text: String, reason: String) {
        let rejection = rejection(text)
        #expect(rejection?.reason.rawValue == reason, "\(text) → \(String(describing: rejection))")
        #expect(rejection.map { !$0.message.isEmpty } ?? false)
    }

    @Test("messages say what is wrong")
    func messages() {
        #expect(
            rejection(#"{"name":"c","op":"inc","value":-1}"#)?.message
                == #"inc of c by -1.0: a counter only goes up (use op "add" on a gauge)"#)
        #expect(
            rejection(#"{"name":"h","labels":{"le":"1"},"op":"obs","value":1}"#)?.message
                == #"label "le" is reserved for the bucket bounds of histogram h"#)
        #expect(
            rejection(#"{"name":"h","op":"obs","value":1,"bucket_factor":1}"#)?.message
                == #""bucket_factor" must be a finite number > 1, got 1.0"#)
        #expect(
            rejection(#"{"name":"h","op":"obs","value":1,"bucket_custom":[1,3,2]}"#)?.message
                == #""bucket_custom" is not sorted: 2.0 after 3.0"#)
        #expect(rejection(#"{"name":"c","op":"inc","value":1"#)?.message == "unexpected end of input at byte 32")
        #expect(
            rejection(#"{"name":"c","op":"bump","value":1}"#)?.message
                == #"unknown op "bump" (expected inc, set, add, obs, event, index, raw or shutdown)"#)
        #expect(
            rejection(#"{"name":"c","labels":{"a":1},"op":"inc","value":1}"#)?.message
                == #"the value of label "a" must be a string, not a number"#)
        #expect(rejection("[1]")?.message == "a message must be a JSON object, found '['")
        #expect(OpsRejection(.invalidName, "x").description == "invalid_name: x")
    }

    @Test("limits are enforced and configurable")
    func limits() {
        let long = String(repeating: "a", count: 257)
        #expect(rejection(#"{"name":"\#(long)","op":"inc","value":1}"#)?.reason == .limitExceeded)
        #expect(rejection(#"{"name":"c","labels":{"\#(long)":"x"},"op":"inc","value":1}"#)?.reason == .invalidLabel)
        let value = String(repeating: "v", count: 4097)
        #expect(rejection(#"{"name":"c","labels":{"a":"\#(value)"},"op":"inc","value":1}"#)?.reason == .limitExceeded)
        #expect(rejection(#"{"name":"c","help":"\#(value)","op":"inc","value":1}"#)?.reason == .limitExceeded)
        let many = (0..<65).map { #""l\#($0)":"x""# }.joined(separator: ",")
        #expect(rejection(#"{"name":"c","labels":{\#(many)},"op":"inc","value":1}"#)?.reason == .limitExceeded)
        let tight = OpsLimits(
            maxNameLength: 3, maxLabels: 1, maxLabelValueLength: 2, maxHelpLength: 1, maxBuckets: 2, maxDepth: 2)
        #expect(rejection(#"{"name":"abcd","op":"inc","value":1}"#, limits: tight)?.reason == .limitExceeded)
        #expect(
            rejection(#"{"name":"abc","labels":{"a":"x","b":"y"},"op":"inc","value":1}"#, limits: tight)?.reason
                == .limitExceeded)
        #expect(
            rejection(#"{"name":"abc","labels":{"a":"xyz"},"op":"inc","value":1}"#, limits: tight)?.reason
                == .limitExceeded)
        #expect(
            rejection(#"{"name":"abc","op":"obs","value":1,"buckets":3}"#, limits: tight)?.reason == .invalidBuckets)
        #expect(
            rejection(#"{"name":"abc","op":"obs","value":1,"bucket_custom":[1,2,3]}"#, limits: tight)?.reason
                == .invalidBuckets)
        #expect(rejection(#"{"name":"abc","op":"inc","value":1,"x":[[1]]}"#, limits: tight)?.reason == .invalidJSON)
        #expect(rejection(#"{"name":"abc","op":"inc","value":1,"x":[1]}"#, limits: tight) == nil)
        #expect(OpsRejection.Reason.allCases.count == 11)
        #expect(Set(OpsRejection.Reason.allCases.map(\.rawValue)).count == 11)
    }

    @Test("decodes from any collection and from raw memory")
    func inputs() throws {
        let text = #"{"name":"c","op":"inc","value":1}"#
        let expected = OpsMessage(name: "c", op: .inc, value: 1)
        #expect(try OpsDecoder.decode(text.utf8) == expected)
        #expect(try OpsDecoder.decode(ArraySlice(Array(text.utf8))) == expected)
        #expect(try OpsDecoder.decode(Array(text.utf8).reversed().reversed()) == expected)
        let raw = Array(text.utf8).withUnsafeBytes { bytes in
            Result { () throws(OpsRejection) in try OpsDecoder.decode(bytes) }
        }
        #expect(raw == .success(expected))
        #expect(try OpsDecoder.decode(Array((" \n" + text + "\r\n\t").utf8)) == expected)
    }
}
