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
/// Cost: O(bytes written); a label set is escaped once per series, not once per line, and `le`
/// values shared by a family's series are formatted once. A few scratch buffers per family.
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
        if let help = family.help { appendHelpLine(name: name, help: help, to: &buffer) }
        appendTypeLine(name: name, type: family.type, to: &buffer)
        appendSamples(family, to: &buffer)
    }

    /// `# HELP name text\n`, the text escaped.
    package static func appendHelpLine(name: String, help: String, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "# HELP ".utf8)
        Escaping.appendMetadataName(name, to: &buffer)
        buffer.append(0x20)
        Escaping.appendHelp(help, quotes: false, to: &buffer)
        buffer.append(0x0A)
    }

    /// `# TYPE name type\n`, with the type text 0.0.4 writes for `type`.
    package static func appendTypeLine(name: String, type: MetricType, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "# TYPE ".utf8)
        Escaping.appendMetadataName(name, to: &buffer)
        buffer.append(0x20)
        switch type {
        case .counter: buffer.append(contentsOf: "counter\n".utf8)
        case .gauge, .info, .stateSet: buffer.append(contentsOf: "gauge\n".utf8)
        case .histogram, .gaugeHistogram: buffer.append(contentsOf: "histogram\n".utf8)
        case .summary: buffer.append(contentsOf: "summary\n".utf8)
        case .untyped: buffer.append(contentsOf: "untyped\n".utf8)
        }
    }

    /// One sample line `name<suffix>{labels} value\n` from a label set already rendered as
    /// `a="1",b="2"` (no braces when it is empty): for writers that keep series rendered, such
    /// as the gateway's aggregated series. `quoted`: the name is not a legacy name
    /// (`!NameRules.isValidMetricName(name)`, worked out once per family by the caller).
    @inline(__always)
    package static func appendSampleLine(
        name: String, quoted: Bool, suffix: StaticString, labelText: [UInt8], value: Double, to buffer: inout [UInt8]
    ) {
        line(name, quoted, suffix, labelText, nil, value, nil, &buffer)
    }

    /// One histogram bucket line `name_bucket{labels,le="bound"} count\n` (see
    /// ``appendSampleLine(name:quoted:suffix:labelText:value:to:)``).
    @inline(__always)
    package static func appendBucketLine(
        name: String, quoted: Bool, labelText: [UInt8], upperBound: Double, cumulativeCount: Double,
        to buffer: inout [UInt8]
    ) {
        if openSeries(name, quoted, "_bucket", &buffer) {
            buffer.append(UInt8(ascii: ","))
        } else {
            buffer.append(UInt8(ascii: "{"))
        }
        if !labelText.isEmpty {
            buffer.append(contentsOf: labelText)
            buffer.append(UInt8(ascii: ","))
        }
        buffer.append(contentsOf: "le=\"".utf8)
        NumberFormatting.append(upperBound, to: &buffer)  // +Inf for the last bucket
        buffer.append(UInt8(ascii: "\""))
        buffer.append(UInt8(ascii: "}"))
        appendValue(cumulativeCount, nil, &buffer)
    }

    /// Appends only the family's sample lines (no `# HELP`, no `# TYPE`): the gateway stores
    /// these per group and writes one header per family at scrape.
    package static func appendSamples(_ family: MetricFamily, to buffer: inout [UInt8]) {
        let name = family.type == .info ? family.name + "_info" : family.name
        var scratch = Scratch()
        scratch.quoted = !NameRules.isValidMetricName(name)
        for metric in family.metrics {
            appendMetric(metric, family: family, name: name, scratch: &scratch, to: &buffer)
        }
    }

    /// Buffers reused across the metrics of one family: the rendered label set of the current
    /// series (shared by all its lines) and the formatted `le`/`quantile` values, which are
    /// usually the same for every series of a family.
    struct Scratch {
        var labels: [UInt8] = []
        var bounds: [Double] = []
        var boundEnds: [Int] = []
        var boundBytes: [UInt8] = []
        /// The family's name is not a legacy name: lines start `{"name…"`.
        var quoted = false

        /// Renders `labels` as `a="1",b="2"` (no braces) into `self.labels`.
        mutating func render(_ metricLabels: [Label]) {
            labels.removeAll(keepingCapacity: true)
            Escaping.appendLabelSet(metricLabels, to: &labels)
        }

        /// The formatted bound number `k` of the current layout, formatting it only when it
        /// differs from the previous series' bound at the same position.
        mutating func bound(_ k: Int, _ value: Double) -> Range<Int> {
            if k < bounds.count, bounds[k].bitPattern == value.bitPattern {
                return (k == 0 ? 0 : boundEnds[k - 1])..<boundEnds[k]
            }
            // A different layout from here on: drop the cached tail and format anew.
            if k < bounds.count {
                bounds.removeSubrange(k...)
                boundEnds.removeSubrange(k...)
                boundBytes.removeSubrange((k == 0 ? 0 : boundEnds[k - 1])...)
            }
            let start = boundBytes.count
            NumberFormatting.append(value, to: &boundBytes)
            bounds.append(value)
            boundEnds.append(boundBytes.count)
            return start..<boundBytes.count
        }
    }

    static func appendMetric(
        _ metric: Metric, family: MetricFamily, name: String, scratch: inout Scratch,
        to buffer: inout [UInt8]
    ) {
        let ts = metric.timestampMs
        let quoted = scratch.quoted
        scratch.render(metric.labels)
        switch metric.value {
        case .counter(let counter):
            line(name, quoted, "", scratch.labels, nil, counter.value, ts, &buffer)
        case .gauge(let value), .untyped(let value):
            line(name, quoted, "", scratch.labels, nil, value, ts, &buffer)
        case .info:
            line(name, quoted, "", scratch.labels, nil, 1, ts, &buffer)
        case .stateSet(let states):
            for state in states {
                var extra: [UInt8] = []
                Escaping.appendLabelName(family.name, to: &extra)
                extra.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "\"")])
                Escaping.appendLabelValue(state.name, to: &extra)
                extra.append(UInt8(ascii: "\""))
                line(name, quoted, "", scratch.labels, extra[...], state.isSet ? 1 : 0, ts, &buffer)
            }
        case .histogram(let histogram):
            for (k, bucket) in histogram.buckets.enumerated() {
                let range = scratch.bound(k, bucket.upperBound)
                lineWithBound(name, quoted, "_bucket", "le", scratch, range, bucket.cumulativeCount, ts, &buffer)
            }
            if let sum = histogram.sum { line(name, quoted, "_sum", scratch.labels, nil, sum, ts, &buffer) }
            if let count = histogram.count { line(name, quoted, "_count", scratch.labels, nil, count, ts, &buffer) }
        case .summary(let summary):
            for (k, quantile) in summary.quantiles.enumerated() {
                let range = scratch.bound(k, quantile.quantile)
                lineWithBound(name, quoted, "", "quantile", scratch, range, quantile.value, ts, &buffer)
            }
            if let sum = summary.sum { line(name, quoted, "_sum", scratch.labels, nil, sum, ts, &buffer) }
            if let count = summary.count { line(name, quoted, "_count", scratch.labels, nil, count, ts, &buffer) }
        }
    }

    @inline(__always)
    static func lineWithBound(
        _ name: String, _ quoted: Bool, _ suffix: StaticString, _ label: StaticString, _ scratch: Scratch,
        _ bound: Range<Int>, _ value: Double, _ timestampMs: Int64?, _ buffer: inout [UInt8]
    ) {
        if openSeries(name, quoted, suffix, &buffer) {
            buffer.append(UInt8(ascii: ","))
        } else {
            buffer.append(UInt8(ascii: "{"))
        }
        if !scratch.labels.isEmpty {
            buffer.append(contentsOf: scratch.labels)
            buffer.append(UInt8(ascii: ","))
        }
        buffer.append(contentsOf: UnsafeBufferPointer(start: label.utf8Start, count: label.utf8CodeUnitCount))
        buffer.append(UInt8(ascii: "="))
        buffer.append(UInt8(ascii: "\""))
        scratch.boundBytes.withUnsafeBufferPointer {
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[bound]))
        }
        buffer.append(UInt8(ascii: "\""))
        buffer.append(UInt8(ascii: "}"))
        appendValue(value, timestampMs, &buffer)
    }

    /// Starts a sample line: the name as is, or, outside the legacy rules, `{"name<suffix>"`
    /// with the braces left open (then returns `true`).
    @inline(__always)
    static func openSeries(_ name: String, _ quoted: Bool, _ suffix: StaticString, _ buffer: inout [UInt8]) -> Bool {
        if !quoted {
            appendName(name, suffix, &buffer)
            return false
        }
        buffer.append(UInt8(ascii: "{"))
        buffer.append(UInt8(ascii: "\""))
        Escaping.appendEscaped(name, quotes: true, to: &buffer)
        buffer.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        buffer.append(UInt8(ascii: "\""))
        return true
    }

    @inline(__always)
    static func appendName(_ name: String, _ suffix: StaticString, _ buffer: inout [UInt8]) {
        buffer.append(contentsOf: name.utf8)
        if suffix.utf8CodeUnitCount > 0 {
            buffer.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        }
    }

    @inline(__always)
    static func appendValue(_ value: Double, _ timestampMs: Int64?, _ buffer: inout [UInt8]) {
        buffer.append(0x20)
        NumberFormatting.append(value, to: &buffer)
        if let timestampMs {
            buffer.append(0x20)
            NumberFormatting.appendInteger(timestampMs, to: &buffer)
        }
        buffer.append(0x0A)
    }

    /// One sample line: the rendered label set plus, for a stateset, the state label.
    @inline(__always)
    static func line(
        _ name: String, _ quoted: Bool, _ suffix: StaticString, _ labels: [UInt8], _ extra: ArraySlice<UInt8>?,
        _ value: Double, _ timestampMs: Int64?, _ buffer: inout [UInt8]
    ) {
        if openSeries(name, quoted, suffix, &buffer) {
            if !labels.isEmpty {
                buffer.append(UInt8(ascii: ","))
                buffer.append(contentsOf: labels)
            }
            if let extra {
                buffer.append(UInt8(ascii: ","))
                buffer.append(contentsOf: extra)
            }
            buffer.append(UInt8(ascii: "}"))
        } else if !labels.isEmpty || extra != nil {
            buffer.append(UInt8(ascii: "{"))
            buffer.append(contentsOf: labels)
            if let extra {
                if !labels.isEmpty { buffer.append(UInt8(ascii: ",")) }
                buffer.append(contentsOf: extra)
            }
            buffer.append(UInt8(ascii: "}"))
        }
        appendValue(value, timestampMs, &buffer)
    }
}
