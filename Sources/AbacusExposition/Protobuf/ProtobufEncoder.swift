import SwiftProtobuf

/// Writes the Prometheus protobuf exposition format: one `io.prometheus.client.MetricFamily`
/// message per family, each preceded by its length as a varint.
///
/// Mapping from the model (``ProtobufDecoder`` reads it back):
/// - `type` is always written (so `COUNTER`, proto2's default, is explicit); ``MetricType/gaugeHistogram``
///   is `GAUGE_HISTOGRAM`. `help`, `unit`, `timestamp_ms`, `sample_count`, `sample_sum` and
///   created or exemplar timestamps are written only when non-`nil` (proto2 presence).
/// - Counts stored as `Double` (a histogram's count, a bucket's cumulative count) go to the
///   `uint64` field when integral and within 0…2^53, otherwise to the `*_float` field.
///   A summary's count has no float field: it is truncated to an integer, and dropped when
///   negative or NaN (lossy).
/// - Created and exemplar timestamps (`Double` seconds) become `google.protobuf.Timestamp` at
///   nanosecond resolution, chosen so the decoder gets the same `Double` back whenever one
///   timestamp does; non-finite or outside year 1…9999 they are dropped (lossy).
/// - A ``NativeHistogram`` always writes `schema` and `zero_threshold`, so even an empty one is
///   recognisable as native; the rest is written as stored.
/// - Types protobuf lacks (lossy — they decode as plain gauges):
///   - info: a `GAUGE` family named `<name>_info`, each metric with its labels and value 1;
///   - stateset: a `GAUGE` family named like the family, one metric per state carrying the
///     metric's labels plus a label named after the family whose value is the state, value 1
///     when set and 0 when not.
///
/// The encoder writes whatever it is given, valid or not, and never traps; a value whose case
/// does not fit the family type is written in its own field (which the decoder rejects).
public enum ProtobufEncoder {
    /// Encodes the families, each as a varint-length-delimited message. O(series).
    public static func encode(_ families: [MetricFamily]) -> [UInt8] {
        var buffer: [UInt8] = []
        for family in families {
            append(family, to: &buffer)
        }
        return buffer
    }

    /// Appends one family, length prefix included, to `buffer` (reuse the buffer across scrapes
    /// to avoid reallocating it). O(series of the family).
    ///
    /// A family whose message would exceed protobuf's 2 GiB limit cannot be encoded and is left
    /// out.
    public static func append(_ family: MetricFamily, to buffer: inout [UInt8]) {
        let message = ProtobufFamilyWriter.message(for: family)
        guard let bytes: [UInt8] = try? message.serializedBytes(partial: true) else { return }
        ProtobufMapping.appendVarint(UInt64(bytes.count), to: &buffer)
        buffer.append(contentsOf: bytes)
    }
}

/// Builds the generated message for one family (see ``ProtobufEncoder`` for the rules).
enum ProtobufFamilyWriter {
    static func message(for family: MetricFamily) -> Io_Prometheus_Client_MetricFamily {
        var message = Io_Prometheus_Client_MetricFamily()
        message.name = family.type == .info ? family.name + "_info" : family.name
        if let help = family.help { message.help = help }
        if let unit = family.unit { message.unit = unit }
        message.type =
            switch family.type {
            case .counter: .counter
            case .gauge, .info, .stateSet: .gauge
            case .summary: .summary
            case .untyped: .untyped
            case .histogram: .histogram
            case .gaugeHistogram: .gaugeHistogram
            }
        message.metric.reserveCapacity(family.metrics.count)
        for metric in family.metrics {
            append(metric, familyName: family.name, to: &message.metric)
        }
        return message
    }

    private static func append(_ metric: Metric, familyName: String, to messages: inout [Io_Prometheus_Client_Metric]) {
        var message = Io_Prometheus_Client_Metric()
        message.label = labels(metric.labels)
        if let timestamp = metric.timestampMs { message.timestampMs = timestamp }
        switch metric.value {
        case let .counter(counter):
            var value = Io_Prometheus_Client_Counter()
            value.value = counter.value
            if let exemplar = counter.exemplar { value.exemplar = self.exemplar(exemplar) }
            if let created = counter.created.flatMap(ProtobufMapping.timestamp) { value.createdTimestamp = created }
            message.counter = value
        case let .gauge(gauge):
            message.gauge.value = gauge
        case let .untyped(untyped):
            message.untyped.value = untyped
        case let .summary(summary):
            message.summary = self.summary(summary)
        case let .histogram(histogram):
            message.histogram = self.histogram(histogram)
        case .info:
            message.gauge.value = 1
        case let .stateSet(states):
            for state in states {
                var copy = message
                copy.label.append(pair(familyName, state.name))
                copy.gauge.value = state.isSet ? 1 : 0
                messages.append(copy)
            }
            return
        }
        messages.append(message)
    }

    private static func pair(_ name: String, _ value: String) -> Io_Prometheus_Client_LabelPair {
        var pair = Io_Prometheus_Client_LabelPair()
        pair.name = name
        pair.value = value
        return pair
    }

    private static func labels(_ labels: [Label]) -> [Io_Prometheus_Client_LabelPair] {
        labels.map { pair($0.name, $0.value) }
    }

    private static func exemplar(_ exemplar: Exemplar) -> Io_Prometheus_Client_Exemplar {
        var message = Io_Prometheus_Client_Exemplar()
        message.label = labels(exemplar.labels)
        message.value = exemplar.value
        if let timestamp = exemplar.timestamp.flatMap(ProtobufMapping.timestamp) { message.timestamp = timestamp }
        return message
    }

    private static func summary(_ summary: SummaryValue) -> Io_Prometheus_Client_Summary {
        var message = Io_Prometheus_Client_Summary()
        if let count = summary.count.flatMap(ProtobufMapping.summaryCount) { message.sampleCount = count }
        if let sum = summary.sum { message.sampleSum = sum }
        message.quantile = summary.quantiles.map {
            var quantile = Io_Prometheus_Client_Quantile()
            quantile.quantile = $0.quantile
            quantile.value = $0.value
            return quantile
        }
        if let created = summary.created.flatMap(ProtobufMapping.timestamp) { message.createdTimestamp = created }
        return message
    }

    private static func histogram(_ histogram: HistogramValue) -> Io_Prometheus_Client_Histogram {
        var message = Io_Prometheus_Client_Histogram()
        if let count = histogram.count {
            switch ProtobufMapping.countField(count) {
            case let .integer(value): message.sampleCount = value
            case let .float(value): message.sampleCountFloat = value
            }
        }
        if let sum = histogram.sum { message.sampleSum = sum }
        message.bucket = histogram.buckets.map { bucket in
            var message = Io_Prometheus_Client_Bucket()
            switch ProtobufMapping.countField(bucket.cumulativeCount) {
            case let .integer(value): message.cumulativeCount = value
            case let .float(value): message.cumulativeCountFloat = value
            }
            message.upperBound = bucket.upperBound
            if let exemplar = bucket.exemplar { message.exemplar = self.exemplar(exemplar) }
            return message
        }
        if let created = histogram.created.flatMap(ProtobufMapping.timestamp) { message.createdTimestamp = created }
        if let native = histogram.native {
            message.schema = native.schema
            message.zeroThreshold = native.zeroThreshold
            if let count = native.zeroCount { message.zeroCount = count }
            if let count = native.zeroCountFloat { message.zeroCountFloat = count }
            message.negativeSpan = spans(native.negativeSpans)
            message.negativeDelta = native.negativeDeltas
            message.negativeCount = native.negativeCounts
            message.positiveSpan = spans(native.positiveSpans)
            message.positiveDelta = native.positiveDeltas
            message.positiveCount = native.positiveCounts
            message.exemplars = native.exemplars.map(exemplar)
        }
        return message
    }

    private static func spans(_ spans: [NativeHistogram.Span]) -> [Io_Prometheus_Client_BucketSpan] {
        spans.map {
            var span = Io_Prometheus_Client_BucketSpan()
            span.offset = $0.offset
            span.length = $0.length
            return span
        }
    }
}
