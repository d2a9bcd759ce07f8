import AbacusExposition
import AbacusTesting
import Foundation
import Testing

/// One exposed sample in a canonical, comparable form: what a reader of the exposition sees,
/// independent of how the writer spelled numbers.
///
/// Values and float-valued labels (`le`, `quantile`) are kept as Swift's shortest round-trip
/// spelling of the `Double`, so two samples are equal exactly when the numbers are; every NaN
/// is `NaN` and -0 is 0 (Python's parser reads `-0` as the integer 0).
struct PeerSample: Hashable, Comparable, CustomStringConvertible {
    var name: String
    /// Sorted by name.
    var labels: [Label]
    var value: String
    var timestampMs: Int64?
    var exemplar: PeerExemplar?

    init(name: String, labels: [Label], value: Double, timestampMs: Int64? = nil, exemplar: PeerExemplar? = nil) {
        self.name = name
        self.labels = labels.sorted()
        self.value = canonical(value)
        self.timestampMs = timestampMs
        self.exemplar = exemplar
    }

    static func < (lhs: PeerSample, rhs: PeerSample) -> Bool {
        lhs.description.utf8.lexicographicallyPrecedes(rhs.description.utf8)
    }

    var description: String {
        var text = name + "{" + labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",") + "} " + value
        if let timestampMs { text += " @\(timestampMs)ms" }
        if let exemplar { text += " # \(exemplar)" }
        return text
    }
}

struct PeerExemplar: Hashable, CustomStringConvertible {
    var labels: [Label]
    var value: String
    /// Seconds, canonical spelling.
    var timestamp: String?

    init(labels: [Label], value: Double, timestamp: Double?) {
        self.labels = labels.sorted()
        self.value = canonical(value)
        self.timestamp = timestamp.map(canonical)
    }

    init(_ exemplar: Exemplar) {
        self.init(labels: exemplar.labels, value: exemplar.value, timestamp: exemplar.timestamp)
    }

    var description: String {
        "{" + labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",") + "} " + value
            + (timestamp.map { " @\($0)s" } ?? "")
    }
}

/// Swift's shortest round-trip spelling, with one NaN and no negative zero.
func canonical(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value == 0 { return "0.0" }
    return "\(value)"
}

/// The canonical spelling of a number written by another program (`1e+06`, `+Inf`, `nan`,
/// `1.0`), or the text itself when it is not a number.
func canonicalNumber(_ text: String) -> String {
    switch text.lowercased() {
    case "+inf", "inf": return canonical(.infinity)
    case "-inf": return canonical(-.infinity)
    case "nan": return "NaN"
    default: return Double(text).map(canonical) ?? text
    }
}

/// The family metadata a reader sees: name as written on the `# TYPE` line, type keyword, help.
struct PeerFamily: Hashable, CustomStringConvertible {
    var name: String
    var type: String
    var help: String
    var unit: String
    var description: String { "\(name) \(type) unit=\(unit) help=\(help.debugDescription)" }
}

/// What the exposition formats make of a model: the samples a reader must see.
enum ExpectedSamples {
    enum Format { case text, openMetrics }

    static func samples(of families: [MetricFamily], in format: Format) -> [PeerSample] {
        families.flatMap { samples(of: $0, in: format) }.sorted()
    }

    static func samples(of family: MetricFamily, in format: Format) -> [PeerSample] {
        let om = format == .openMetrics
        var out: [PeerSample] = []
        for metric in family.metrics {
            let ts = metric.timestampMs
            func add(_ suffix: String, _ extra: [Label], _ value: Double, _ exemplar: Exemplar? = nil) {
                out.append(
                    PeerSample(
                        name: family.name + suffix, labels: metric.labels + extra, value: value, timestampMs: ts,
                        exemplar: om ? exemplar.map(PeerExemplar.init) : nil))
            }
            switch metric.value {
            case .counter(let counter):
                // The model's counter name carries `_total`; OpenMetrics writes the family
                // without it and the samples `_total` and `_created` after the base name.
                let base = family.name.hasSuffix("_total") ? String(family.name.dropLast(6)) : family.name
                if om {
                    out.append(
                        PeerSample(
                            name: base + "_total", labels: metric.labels, value: counter.value, timestampMs: ts,
                            exemplar: counter.exemplar.map(PeerExemplar.init)))
                    if let created = counter.created {
                        out.append(
                            PeerSample(name: base + "_created", labels: metric.labels, value: created, timestampMs: ts))
                    }
                } else {
                    // Python's text parser reports a counter sample without `_total` with it.
                    add(family.name.hasSuffix("_total") ? "" : "_total", [], counter.value)
                }
            case .gauge(let value), .untyped(let value):
                add("", [], value)
            case .histogram(let histogram):
                for bucket in histogram.buckets {
                    add("_bucket", [Label("le", canonical(bucket.upperBound))], bucket.cumulativeCount, bucket.exemplar)
                }
                // OpenMetrics closes a histogram whose last bucket is finite with `le="+Inf"`.
                if om, let count = histogram.count, histogram.buckets.last?.upperBound != .infinity {
                    add("_bucket", [Label("le", canonical(.infinity))], count)
                }
                // Text 0.0.4 writes a gauge histogram as a plain histogram.
                let gauge = om && family.type == .gaugeHistogram
                if let count = histogram.count { add(gauge ? "_gcount" : "_count", [], count) }
                if let sum = histogram.sum { add(gauge ? "_gsum" : "_sum", [], sum) }
                if om, !gauge, let created = histogram.created { add("_created", [], created) }
            case .summary(let summary):
                for quantile in summary.quantiles {
                    add("", [Label("quantile", canonical(quantile.quantile))], quantile.value)
                }
                if let count = summary.count { add("_count", [], count) }
                if let sum = summary.sum { add("_sum", [], sum) }
                if om, let created = summary.created { add("_created", [], created) }
            case .info:
                add("_info", [], 1)
            case .stateSet(let states):
                for state in states { add("", [Label(family.name, state.name)], state.isSet ? 1 : 0) }
            }
        }
        return out
    }

    /// The family metadata Python's parser reports for what we wrote.
    static func pythonFamilies(of families: [MetricFamily], in format: Format) -> [PeerFamily] {
        families.map { family in
            var name = family.name
            if family.type == .counter, name.hasSuffix("_total") { name.removeLast(6) }
            switch format {
            case .openMetrics:
                return PeerFamily(
                    name: name, type: family.type.openMetricsName, help: family.help ?? "", unit: family.unit ?? "")
            case .text:
                // Text has no units; the encoder writes info and stateset as gauges and a gauge
                // histogram as a histogram; Python's text parser reports `untyped` as `unknown`.
                let type: String =
                    switch family.type {
                    case .counter: "counter"
                    case .gauge, .info, .stateSet: "gauge"
                    case .histogram, .gaugeHistogram: "histogram"
                    case .summary: "summary"
                    case .untyped: "unknown"
                    }
                if family.type == .info { name += "_info" }
                return PeerFamily(name: name, type: type, help: family.help ?? "", unit: "")
            }
        }
    }
}

/// Python's `prometheus_client` parsers as a referee: they parse an exposition and print every
/// family and sample as JSON, which ``PythonReferee/parse(_:format:)`` turns into
/// ``PeerSample``s.
enum PythonReferee {
    struct Parsed {
        var families: [PeerFamily]
        var samples: [PeerSample]
    }

    /// Runs the parser; throws with Python's message when it rejects the input.
    static func parse(_ bytes: [UInt8], format: ExpectedSamples.Format, python: URL) async throws -> Parsed {
        let mode = format == .text ? "text" : "openmetrics"
        let result = try await ProcessRunner.run(python, ["-c", script, mode], stdin: bytes)
        guard result.status == 0 else {
            throw PeerError("prometheus_client rejected the \(mode) exposition: \(result.stderrText)")
        }
        return try decode(result.stdout)
    }

    private struct JSONFamily: Decodable {
        var name: String
        var type: String
        var help: String
        var unit: String
        var samples: [JSONSample]
    }

    private struct JSONSample: Decodable {
        var name: String
        var labels: [[String]]
        var value: String
        var timestampMs: Int64?
        var exemplar: JSONExemplar?
    }

    private struct JSONExemplar: Decodable {
        var labels: [[String]]
        var value: String
        var timestamp: String?
    }

    private static func decode(_ json: [UInt8]) throws -> Parsed {
        let families = try JSONDecoder().decode([JSONFamily].self, from: Data(json))
        var parsed = Parsed(families: [], samples: [])
        for family in families {
            parsed.families.append(
                PeerFamily(name: family.name, type: family.type, help: family.help, unit: family.unit))
            for sample in family.samples {
                let labels = sample.labels.map { pair in
                    // `le` and `quantile` are numbers spelled as label values: compare the numbers.
                    let numeric =
                        (pair[0] == "le" && sample.name.hasSuffix("_bucket"))
                        || (pair[0] == "quantile" && family.type == "summary")
                    return Label(pair[0], numeric ? canonicalNumber(pair[1]) : pair[1])
                }
                var peer = PeerSample(name: sample.name, labels: labels, value: 0, timestampMs: sample.timestampMs)
                peer.value = canonicalNumber(sample.value)
                if let exemplar = sample.exemplar {
                    var ex = PeerExemplar(labels: exemplar.labels.map { Label($0[0], $0[1]) }, value: 0, timestamp: nil)
                    ex.value = canonicalNumber(exemplar.value)
                    ex.timestamp = exemplar.timestamp.map(canonicalNumber)
                    peer.exemplar = ex
                }
                parsed.samples.append(peer)
            }
        }
        parsed.samples.sort()
        return parsed
    }

    /// Reads the exposition on stdin; `argv[1]` is `text` or `openmetrics`. Numbers are printed
    /// with `repr` (shortest round trip), timestamps as integer milliseconds (text: Python
    /// divides the milliseconds by 1000; OpenMetrics: a `Timestamp(sec, nsec)` or a float).
    static let script = #"""
        import json, sys
        from decimal import Decimal
        from prometheus_client.parser import text_string_to_metric_families as parse_text
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
        from prometheus_client.samples import Timestamp

        def number(value):
            return repr(float(value))

        def millis(ts):
            if ts is None:
                return None
            if isinstance(ts, Timestamp):
                if ts.nsec % 1000000:
                    raise SystemExit("sub-millisecond timestamp %r" % (ts,))
                return ts.sec * 1000 + ts.nsec // 1000000
            return round(float(ts) * 1000)

        def seconds(ts):
            if ts is None:
                return None
            if isinstance(ts, Timestamp):
                # Exact decimal, rounded once: the Double a correct parser reads.
                return number(Decimal(ts.sec) + Decimal(ts.nsec) / Decimal(10**9))
            return number(ts)

        def pairs(labels):
            return sorted([k, v] for k, v in labels.items())

        text = sys.stdin.buffer.read().decode("utf-8")
        parse = parse_text if sys.argv[1] == "text" else parse_om
        out = []
        for family in parse(text):
            samples = []
            for s in family.samples:
                ex = None
                if s.exemplar is not None:
                    ex = {"labels": pairs(s.exemplar.labels), "value": number(s.exemplar.value),
                          "timestamp": seconds(s.exemplar.timestamp)}
                samples.append({"name": s.name, "labels": pairs(s.labels), "value": number(s.value),
                                "timestampMs": millis(s.timestamp), "exemplar": ex})
            out.append({"name": family.name, "type": family.type, "help": family.documentation,
                        "unit": family.unit, "samples": samples})
        json.dump(out, sys.stdout)
        """#
}

/// Reports two sorted sample lists' differences in a readable way (only the differing lines).
func expectSameSamples(
    _ actual: [PeerSample], _ expected: [PeerSample], _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let extra = Set(actual).subtracting(expected).sorted()
    let missing = Set(expected).subtracting(actual).sorted()
    #expect(
        extra.isEmpty && missing.isEmpty && actual.count == expected.count,
        """
        \(what): \(actual.count) samples, expected \(expected.count)
        unexpected: \(extra.map(\.description).joined(separator: "\n  "))
        missing: \(missing.map(\.description).joined(separator: "\n  "))
        """, sourceLocation: sourceLocation)
}
