/// Writes metric families in the Prometheus text format 0.0.4, byte for byte as Prometheus' Go
/// code writes it: `# HELP` (when there is help), `# TYPE`, then one line per sample; `le` and
/// `quantile` last among the labels; floats in Go's shortest form (``NumberFormatting``).
///
/// Text 0.0.4 cannot express everything the model holds. What it cannot express is written the
/// way Prometheus' own converters do: a gauge histogram as a histogram; an info family as a gauge
/// named `<name>_info` with value 1; a stateset as a gauge with one series per state, labelled
/// with the family's name, valued 1 or 0. Exemplars, units, `_created` and native histogram
/// fields are left out. Optional `_sum`/`_count` are written only when present.
///
/// Cost: O(bytes written); no allocation beyond the growth of `buffer`.
public enum TextEncoder {
    /// The families, in the given order, as one text exposition.
    public static func encode(_ families: [MetricFamily]) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(families.count * 256)
        for family in families { append(family, to: &buffer) }
        return buffer
    }

    /// Appends one family to `buffer`.
    public static func append(_ family: MetricFamily, to buffer: inout [UInt8]) {
        let name = family.type == .info ? family.name + "_info" : family.name
        if let help = family.help {
            buffer.append(contentsOf: "# HELP ".utf8)
            buffer.append(contentsOf: name.utf8)
            buffer.append(0x20)
            Escaping.appendHelp(help, quotes: false, to: &buffer)
            buffer.append(0x0A)
        }
        buffer.append(contentsOf: "# TYPE ".utf8)
        buffer.append(contentsOf: name.utf8)
        buffer.append(0x20)
        switch family.type {
        case .counter: buffer.append(contentsOf: "counter\n".utf8)
        case .gauge, .info, .stateSet: buffer.append(contentsOf: "gauge\n".utf8)
        case .histogram, .gaugeHistogram: buffer.append(contentsOf: "histogram\n".utf8)
        case .summary: buffer.append(contentsOf: "summary\n".utf8)
        case .untyped: buffer.append(contentsOf: "untyped\n".utf8)
        }
        for metric in family.metrics {
            appendMetric(metric, family: family, name: name, to: &buffer)
        }
    }

    static func appendMetric(_ metric: Metric, family: MetricFamily, name: String, to buffer: inout [UInt8]) {
        let ts = metric.timestampMs
        switch metric.value {
        case .counter(let counter):
            line(name, "", metric.labels, nil, counter.value, ts, &buffer)
        case .gauge(let value), .untyped(let value):
            line(name, "", metric.labels, nil, value, ts, &buffer)
        case .info:
            line(name, "", metric.labels, nil, 1, ts, &buffer)
        case .stateSet(let states):
            for state in states {
                line(name, "", metric.labels, (family.name, .text(state.name)), state.isSet ? 1 : 0, ts, &buffer)
            }
        case .histogram(let histogram):
            for bucket in histogram.buckets {
                line(name, "_bucket", metric.labels, ("le", .number(bucket.upperBound)), bucket.cumulativeCount, ts, &buffer)
            }
            if let sum = histogram.sum { line(name, "_sum", metric.labels, nil, sum, ts, &buffer) }
            if let count = histogram.count { line(name, "_count", metric.labels, nil, count, ts, &buffer) }
        case .summary(let summary):
            for quantile in summary.quantiles {
                line(name, "", metric.labels, ("quantile", .number(quantile.quantile)), quantile.value, ts, &buffer)
            }
            if let sum = summary.sum { line(name, "_sum", metric.labels, nil, sum, ts, &buffer) }
            if let count = summary.count { line(name, "_count", metric.labels, nil, count, ts, &buffer) }
        }
    }

    enum ExtraValue {
        case text(String)
        case number(Double)
    }

    @inline(__always)
    static func line(_ name: String, _ suffix: StaticString, _ labels: [Label], _ extra: (String, ExtraValue)?,
                     _ value: Double, _ timestampMs: Int64?, _ buffer: inout [UInt8]) {
        buffer.append(contentsOf: name.utf8)
        if suffix.utf8CodeUnitCount > 0 {
            buffer.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        }
        if !labels.isEmpty || extra != nil {
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for label in labels {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                buffer.append(contentsOf: label.name.utf8)
                buffer.append(UInt8(ascii: "="))
                buffer.append(UInt8(ascii: "\""))
                Escaping.appendLabelValue(label.value, to: &buffer)
                buffer.append(UInt8(ascii: "\""))
            }
            if let (extraName, extraValue) = extra {
                if !first { buffer.append(UInt8(ascii: ",")) }
                buffer.append(contentsOf: extraName.utf8)
                buffer.append(UInt8(ascii: "="))
                buffer.append(UInt8(ascii: "\""))
                switch extraValue {
                case .text(let text): Escaping.appendLabelValue(text, to: &buffer)
                case .number(let number): NumberFormatting.append(number, to: &buffer)
                }
                buffer.append(UInt8(ascii: "\""))
            }
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(0x20)
        NumberFormatting.append(value, to: &buffer)
        if let timestampMs {
            buffer.append(0x20)
            NumberFormatting.appendInteger(timestampMs, to: &buffer)
        }
        buffer.append(0x0A)
    }
}
