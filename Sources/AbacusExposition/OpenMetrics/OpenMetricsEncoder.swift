/// Writes metric families as OpenMetrics 1.0 text
/// (`application/openmetrics-text; version=1.0.0; charset=utf-8`).
///
/// The output follows what client_golang's `expfmt` OpenMetrics writer produces:
///
/// - `# HELP` (only when the family has non-empty help, escaping `\`, `"` and line feed),
///   `# TYPE`, then `# UNIT` (only when the family has a non-empty unit), then the samples.
/// - A counter's family name is written without `_total` and its sample with it. A model
///   counter whose name does not end in `_total` keeps its name on the metadata lines and gets
///   `_total` appended on the sample, so it reads back with `_total` added to its name.
///   `_created` follows the total when the counter has a created time.
/// - Untyped families are written as `unknown`; an info family as `name_info{…} 1`; a
///   stateset as one sample per state with a label named after the family (0 or 1).
/// - Histograms write their buckets (adding `le="+Inf"` with the count when the last bucket is
///   finite and a count is known), then `_count`, `_sum`, `_created`; gauge histograms write
///   `_gcount` and `_gsum` and no `_created`. Summaries write their quantiles, then `_count`,
///   `_sum`, `_created`.
/// - Sample values use Go's shortest float text (``NumberFormatting``); `le` and `quantile`
///   values use the canonical form of the specification (`1.0`, `0.5`, `1e-05`, `+Inf`).
/// - Timestamps are exact decimal seconds (milliseconds / 1000, e.g. `1520879607.789`);
///   exemplar timestamps use the shortest plain decimal (`1700000123.125`), never an exponent.
/// - The type's own label (`le`, `quantile`, the stateset label) comes after the metric's labels.
///
/// A metric whose value case does not fit its family's type is written as well as it can be
/// (a scalar as the family's scalar sample) or skipped (a structured value that cannot be
/// expressed); ``ExpositionValidator`` reports such families.
public enum OpenMetricsEncoder {
    /// Encodes `families` in the given order and terminates the exposition with `# EOF\n`.
    /// O(total size of the output).
    ///
    /// Text 0.0.4 lets a counter `x_total` and another family `x` stand side by side
    /// (client_golang's Go collector exports gauge `go_memstats_alloc_bytes` and counter
    /// `go_memstats_alloc_bytes_total`); OpenMetrics names the counter family `x`, which would
    /// then appear twice. Such a counter is written as `unknown` under its full name, with its
    /// samples unchanged, so the exposition stays valid and every series keeps its name.
    public static func encode(_ families: [MetricFamily]) -> [UInt8] {
        var buffer: [UInt8] = []
        var estimate = 8
        for family in families { estimate += 64 + family.metrics.count * 48 }
        buffer.reserveCapacity(estimate)
        let clashing = clashingCounters(families)
        for (index, family) in families.enumerated() {
            if clashing.contains(index) {
                append(asUnknown(family), to: &buffer)
            } else {
                append(family, to: &buffer)
            }
        }
        appendEOF(to: &buffer)
        return buffer
    }

    /// The positions of the counters whose OpenMetrics family name is also another family's
    /// name (or OpenMetrics name). O(families).
    static func clashingCounters(_ families: [MetricFamily]) -> Set<Int> {
        var uses: [String: Int] = [:]
        for family in families {
            uses[family.name, default: 0] += 1
            let wire = wireName(of: family)
            if wire != family.name { uses[wire, default: 0] += 1 }
        }
        var clashing = Set<Int>()
        for (index, family) in families.enumerated() where family.type == .counter {
            if (uses[wireName(of: family)] ?? 0) > 1 { clashing.insert(index) }
        }
        return clashing
    }

    /// A counter as an `unknown` family of the same name and sample values. Its created time and
    /// exemplars are left out: OpenMetrics has no place for them on an `unknown` family.
    package static func asUnknown(_ family: MetricFamily) -> MetricFamily {
        MetricFamily(
            name: family.name, type: .untyped, help: family.help,
            metrics: family.metrics.map { metric in
                let value: Double =
                    switch metric.value {
                    case .counter(let c): c.value
                    case .gauge(let v), .untyped(let v): v
                    default: .nan
                    }
                return Metric(labels: metric.labels, value: .untyped(value), timestampMs: metric.timestampMs)
            })
    }

    /// Appends one family (metadata lines and samples) to `buffer`, without `# EOF`.
    /// O(size of the family's text).
    public static func append(_ family: MetricFamily, to buffer: inout [UInt8]) {
        var writer = Writer(family: family)
        writer.appendMetadata(to: &buffer)
        for metric in family.metrics { writer.append(metric, to: &buffer) }
    }

    /// Appends the terminating `# EOF\n` line.
    public static func appendEOF(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "# EOF\n".utf8)
    }

    /// The OpenMetrics family name of a model family (a counter's name loses `_total`).
    static func wireName(of family: MetricFamily) -> String {
        if family.type == .counter, family.name.utf8.count > 6, family.name.hasSuffix("_total") {
            return String(family.name.dropLast(6))
        }
        return family.name
    }
}

/// State for writing one family: its wire name as bytes, reused for every sample.
private struct Writer {
    let family: MetricFamily
    let name: [UInt8]

    init(family: MetricFamily) {
        self.family = family
        self.name = Array(OpenMetricsEncoder.wireName(of: family).utf8)
    }

    func appendMetadata(to buffer: inout [UInt8]) {
        if let help = family.help, !help.isEmpty {
            buffer.append(contentsOf: "# HELP ".utf8)
            buffer.append(contentsOf: name)
            buffer.append(UInt8(ascii: " "))
            Escaping.appendHelp(help, quotes: true, to: &buffer)
            buffer.append(UInt8(ascii: "\n"))
        }
        buffer.append(contentsOf: "# TYPE ".utf8)
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: family.type.openMetricsName.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if let unit = family.unit, !unit.isEmpty {
            buffer.append(contentsOf: "# UNIT ".utf8)
            buffer.append(contentsOf: name)
            buffer.append(UInt8(ascii: " "))
            buffer.append(contentsOf: unit.utf8)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    mutating func append(_ metric: Metric, to buffer: inout [UInt8]) {
        let ts = metric.timestampMs
        let labels = metric.labels
        switch (family.type, metric.value) {
        case let (.counter, .counter(c)):
            sample("_total", labels, nil, c.value, ts, c.exemplar, &buffer)
            if let created = c.created { sample("_created", labels, nil, created, ts, nil, &buffer) }
        case (.counter, _):
            if let v = scalar(metric.value) { sample("_total", labels, nil, v, ts, nil, &buffer) }
        case let (.histogram, .histogram(h)), let (.gaugeHistogram, .histogram(h)):
            appendHistogram(h, labels, ts, gauge: family.type == .gaugeHistogram, &buffer)
        case let (.summary, .summary(s)):
            for q in s.quantiles {
                sample("", labels, .quantile(q.quantile), q.value, ts, nil, &buffer)
            }
            if let count = s.count { sample("_count", labels, nil, count, ts, nil, &buffer) }
            if let sum = s.sum { sample("_sum", labels, nil, sum, ts, nil, &buffer) }
            if let created = s.created { sample("_created", labels, nil, created, ts, nil, &buffer) }
        case (.info, .info):
            sample("_info", labels, nil, 1, ts, nil, &buffer)
        case let (.stateSet, .stateSet(states)):
            for state in states {
                sample("", labels, .state(state.name), state.isSet ? 1 : 0, ts, nil, &buffer)
            }
        case (.gauge, _), (.untyped, _):
            if let v = scalar(metric.value) { sample("", labels, nil, v, ts, nil, &buffer) }
        default:
            break  // a structured value under the wrong type: nothing sensible to write
        }
    }

    private func scalar(_ value: MetricValue) -> Double? {
        switch value {
        case let .gauge(v), let .untyped(v): v
        case let .counter(c): c.value
        default: nil
        }
    }

    private func appendHistogram(
        _ h: HistogramValue, _ labels: [Label], _ ts: Int64?, gauge: Bool,
        _ buffer: inout [UInt8]
    ) {
        for bucket in h.buckets {
            sample("_bucket", labels, .le(bucket.upperBound), bucket.cumulativeCount, ts, bucket.exemplar, &buffer)
        }
        if let count = h.count, h.buckets.last?.upperBound != .infinity {
            sample("_bucket", labels, .le(.infinity), count, ts, nil, &buffer)
        }
        if let count = h.count { sample(gauge ? "_gcount" : "_count", labels, nil, count, ts, nil, &buffer) }
        if let sum = h.sum { sample(gauge ? "_gsum" : "_sum", labels, nil, sum, ts, nil, &buffer) }
        if !gauge, let created = h.created { sample("_created", labels, nil, created, ts, nil, &buffer) }
    }

    /// The label a type adds to a sample.
    private enum Extra {
        case le(Double)
        case quantile(Double)
        case state(String)
    }

    private func sample(
        _ suffix: StaticString, _ labels: [Label], _ extra: Extra?, _ value: Double,
        _ timestampMs: Int64?, _ exemplar: Exemplar?, _ buffer: inout [UInt8]
    ) {
        buffer.append(contentsOf: name)
        buffer.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        if !labels.isEmpty || extra != nil {
            buffer.append(UInt8(ascii: "{"))
            Escaping.appendLabelSet(labels, to: &buffer)
            if let extra {
                if !labels.isEmpty { buffer.append(UInt8(ascii: ",")) }
                switch extra {
                case let .le(bound):
                    buffer.append(contentsOf: "le=\"".utf8)
                    OpenMetricsNumbers.appendCanonical(bound, to: &buffer)
                    buffer.append(UInt8(ascii: "\""))
                case let .quantile(q):
                    buffer.append(contentsOf: "quantile=\"".utf8)
                    OpenMetricsNumbers.appendCanonical(q, to: &buffer)
                    buffer.append(UInt8(ascii: "\""))
                case let .state(state):
                    buffer.append(contentsOf: name)
                    buffer.append(contentsOf: "=\"".utf8)
                    Escaping.appendLabelValue(state, to: &buffer)
                    buffer.append(UInt8(ascii: "\""))
                }
            }
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(UInt8(ascii: " "))
        NumberFormatting.append(value, to: &buffer)
        if let timestampMs {
            buffer.append(UInt8(ascii: " "))
            OpenMetricsNumbers.appendTimestamp(milliseconds: timestampMs, to: &buffer)
        }
        if let exemplar {
            buffer.append(contentsOf: " # {".utf8)
            Escaping.appendLabelSet(exemplar.labels, to: &buffer)
            buffer.append(contentsOf: "} ".utf8)
            NumberFormatting.append(exemplar.value, to: &buffer)
            if let ts = exemplar.timestamp {
                buffer.append(UInt8(ascii: " "))
                OpenMetricsNumbers.appendPlainSeconds(ts, to: &buffer)
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }
}
