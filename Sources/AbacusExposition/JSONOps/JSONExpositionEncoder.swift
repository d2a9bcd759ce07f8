/// Writes metric families as JSON in the shape of the output of Prometheus' `prom2json` tool
/// (used by `abacus check --convert json`), byte for byte what `prom2json` prints for the same
/// text-format input:
///
/// ```json
/// [{"name":"rpc_seconds","help":"RPC latency.","type":"HISTOGRAM","metrics":[
///   {"labels":{"method":"get"},"buckets":{"+Inf":"3","0.5":"2"},"count":"3","sum":"1.5"}]}]
/// ```
///
/// - One compact line and a final `\n`, like `prom2json` (`json.Marshal` + `Println`).
/// - Families in the given order; `help` always present (`""` when absent); `type` is the
///   protobuf enum name (`COUNTER`, `GAUGE`, `SUMMARY`, `UNTYPED`, `HISTOGRAM`,
///   `GAUGE_HISTOGRAM`); `metrics` left out when the family has none.
/// - Counter, gauge, untyped: `{"labels","timestamp_ms","value"}`; histogram and gauge
///   histogram: `{"labels","timestamp_ms","buckets":{le: cumulative count},"count","sum"}`;
///   summary: `{"labels","timestamp_ms","quantiles":{φ: value},"count","sum"}`. `labels`,
///   `timestamp_ms`, `buckets` and `quantiles` are left out when empty or absent; a missing
///   `count` or `sum` is `"0"`, as in `prom2json`.
/// - Every number is a string, formatted as Go's `fmt.Sprint` does (shortest round-trip digits,
///   `1e+06` notation from 10⁶, `+Inf`, `-Inf`, `NaN`); integral counts as integers.
/// - Object keys are sorted by their bytes and a repeated key keeps its last value, because
///   `prom2json` writes Go maps (so `"+Inf"` sorts first and `"10"` before `"2.5"`).
/// - Strings are escaped as `encoding/json` does, including `<`, `>`, `&`, U+2028 and U+2029
///   as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`.
///
/// What `prom2json` cannot express:
/// - **info** (OpenMetrics): written as the gauge Prometheus ingests, family `<name>_info`,
///   type `GAUGE`, every metric with value `"1"`.
/// - **stateset**: written as a `GAUGE` with one metric per state, labelled with the family
///   name as label name and the state as value, value `"1"` (set) or `"0"`.
/// - **gaugehistogram**: type `GAUGE_HISTOGRAM`, shaped like a histogram.
/// - **unit**: an extra `"unit"` member after `type`, only when the family has one (text 0.0.4
///   input never does, so the output still matches `prom2json` there).
/// - **exemplars**, `_created` and native histogram fields are not written.
public enum JSONExpositionEncoder {
    /// The families as JSON, ending in `\n`. O(size of the output).
    public static func encode(_ families: [MetricFamily]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 * families.count + 4)
        out.append(UInt8(ascii: "["))
        for (i, family) in families.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(family, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "]"), UInt8(ascii: "\n")])
        return out
    }

    /// Only the `metrics` array of one family (`[]` when it has none), for the gateway's
    /// `/api/v1/metrics`, which nests it under other keys.
    package static func metrics(of family: MetricFamily) -> [UInt8] {
        var out: [UInt8] = []
        write(family, to: &out)
        let key = Array(#","metrics":["#.utf8)
        guard let start = out.indices.first(where: { out[$0...].starts(with: key) }) else { return Array("[]".utf8) }
        // The object ends with "]}": the array runs from its "[" to that "]".
        return Array(out[(start + key.count - 1)..<(out.count - 1)])
    }

    static func write(_ family: MetricFamily, to out: inout [UInt8]) {
        let name: String
        let type: String
        switch family.type {
        case .counter: (name, type) = (family.name, "COUNTER")
        case .gauge: (name, type) = (family.name, "GAUGE")
        case .untyped: (name, type) = (family.name, "UNTYPED")
        case .histogram: (name, type) = (family.name, "HISTOGRAM")
        case .gaugeHistogram: (name, type) = (family.name, "GAUGE_HISTOGRAM")
        case .summary: (name, type) = (family.name, "SUMMARY")
        case .info: (name, type) = (family.name + "_info", "GAUGE")
        case .stateSet: (name, type) = (family.name, "GAUGE")
        }
        out.append(contentsOf: #"{"name":"#.utf8)
        JSONString.append(name, htmlSafe: true, to: &out)
        out.append(contentsOf: #","help":"#.utf8)
        JSONString.append(family.help ?? "", htmlSafe: true, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        JSONString.append(type, htmlSafe: true, to: &out)
        if let unit = family.unit {
            out.append(contentsOf: #","unit":"#.utf8)
            JSONString.append(unit, htmlSafe: true, to: &out)
        }
        var first = true
        func open() {
            out.append(contentsOf: first ? #","metrics":["#.utf8 : ",".utf8)
            first = false
        }
        for metric in family.metrics {
            switch metric.value {
            case .stateSet(let states):
                for state in states {
                    open()
                    var labels = metric.labels
                    labels.append(Label(family.name, state.name))
                    writeSimple(labels, metric.timestampMs, value: state.isSet ? 1 : 0, to: &out)
                }
            default:
                open()
                write(metric, to: &out)
            }
        }
        if !first { out.append(UInt8(ascii: "]")) }
        out.append(UInt8(ascii: "}"))
    }

    static func write(_ metric: Metric, to out: inout [UInt8]) {
        switch metric.value {
        case .counter(let counter): writeSimple(metric.labels, metric.timestampMs, value: counter.value, to: &out)
        case .gauge(let value), .untyped(let value):
            writeSimple(metric.labels, metric.timestampMs, value: value, to: &out)
        case .info: writeSimple(metric.labels, metric.timestampMs, value: 1, to: &out)
        case .stateSet: break  // written per state by the caller
        case .histogram(let histogram):
            writePrefix(metric.labels, metric.timestampMs, to: &out)
            let buckets = histogram.buckets.map { (formatFloat($0.upperBound), formatCount($0.cumulativeCount)) }
            writeMap("buckets", buckets, to: &out)
            writeCountAndSum(histogram.count, histogram.sum, to: &out)
        case .summary(let summary):
            writePrefix(metric.labels, metric.timestampMs, to: &out)
            let quantiles = summary.quantiles.map { (formatFloat($0.quantile), formatFloat($0.value)) }
            writeMap("quantiles", quantiles, to: &out)
            writeCountAndSum(summary.count, summary.sum, to: &out)
        }
    }

    /// `{"labels":…,"timestamp_ms":…` followed by `,` when anything was written (the caller
    /// always writes at least one more member).
    static func writePrefix(_ labels: [Label], _ timestampMs: Int64?, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        writeMap("labels", labels.map { ($0.name, $0.value) }, to: &out)
        if let timestampMs {
            out.append(contentsOf: #""timestamp_ms":"#.utf8)
            JSONString.append(String(timestampMs), htmlSafe: true, to: &out)
            out.append(UInt8(ascii: ","))
        }
    }

    static func writeSimple(_ labels: [Label], _ timestampMs: Int64?, value: Double, to out: inout [UInt8]) {
        writePrefix(labels, timestampMs, to: &out)
        out.append(contentsOf: #""value":"#.utf8)
        JSONString.append(formatFloat(value), htmlSafe: true, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func writeCountAndSum(_ count: Double?, _ sum: Double?, to out: inout [UInt8]) {
        out.append(contentsOf: #""count":"#.utf8)
        JSONString.append(formatCount(count ?? 0), htmlSafe: true, to: &out)
        out.append(contentsOf: #","sum":"#.utf8)
        JSONString.append(formatFloat(sum ?? 0), htmlSafe: true, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `"key":{…},` with keys sorted by bytes, the last of equal keys winning; nothing when empty.
    static func writeMap(_ key: String, _ pairs: [(String, String)], to out: inout [UInt8]) {
        guard !pairs.isEmpty else { return }
        var sorted: [(String, String)] = []
        sorted.reserveCapacity(pairs.count)
        // Stable sort by key bytes, then keep the last of each run of equal keys.
        let ordered = pairs.enumerated().sorted { a, b in
            if a.element.0 != b.element.0 { return a.element.0.utf8.lexicographicallyPrecedes(b.element.0.utf8) }
            return a.offset < b.offset
        }
        for (_, pair) in ordered {
            if let last = sorted.last, last.0 == pair.0 {
                sorted[sorted.count - 1] = pair
            } else {
                sorted.append(pair)
            }
        }
        JSONString.append(key, htmlSafe: true, to: &out)
        out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "{")])
        for (i, (k, v)) in sorted.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(k, htmlSafe: true, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONString.append(v, htmlSafe: true, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: ",")])
    }

    /// Go's `fmt.Sprint(float64)`.
    static func formatFloat(_ value: Double) -> String {
        if value == 0 && value.sign == .minus { return "-0" }
        return NumberFormatting.string(value)
    }

    /// Go's `fmt.Sprint(uint64)` for integral counts that fit, else as a float.
    static func formatCount(_ value: Double) -> String {
        if value >= 0 && value < 18_446_744_073_709_551_616 && value == value.rounded(.towardZero) {
            return String(UInt64(value))
        }
        return formatFloat(value)
    }

}
