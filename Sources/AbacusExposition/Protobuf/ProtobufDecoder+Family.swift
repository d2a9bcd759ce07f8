import SwiftProtobuf

/// Turns one decoded `MetricFamily` message into the model, following the rules documented on
/// ``ProtobufDecoder``. `start` (the message's byte offset) goes into every error message.
struct ProtobufFamilyReader {
    let start: Int
    private var familyName = ""

    init(at start: Int) {
        self.start = start
    }

    private func error(_ message: String) -> ExpositionError {
        ExpositionError("protobuf: metric family \(familyName) (message at byte \(start)): \(message)")
    }

    mutating func family(from message: Io_Prometheus_Client_MetricFamily) throws -> MetricFamily {
        guard message.hasName, !message.name.isEmpty else {
            throw ExpositionError("protobuf: metric family at byte \(start) has no name")
        }
        familyName = message.name
        let type = try type(of: message)
        var metrics: [Metric] = []
        metrics.reserveCapacity(message.metric.count)
        for (index, metric) in message.metric.enumerated() {
            metrics.append(try self.metric(metric, number: index + 1, type: type))
        }
        return MetricFamily(
            name: message.name, type: type, help: message.hasHelp ? message.help : nil,
            unit: message.hasUnit ? message.unit : nil, metrics: metrics)
    }

    private func type(of message: Io_Prometheus_Client_MetricFamily) throws -> MetricType {
        guard message.hasType else {
            // SwiftProtobuf keeps an unknown value of a proto2 enum among the unknown fields.
            if let raw = ProtobufMapping.firstVarintField(3, in: Array(message.unknownFields.data)) {
                throw error("unknown metric type \(Int64(bitPattern: raw))")
            }
            if let first = message.metric.first, first.hasCounter, !first.hasUntyped { return .counter }
            return .untyped
        }
        return switch message.type {
        case .counter: .counter
        case .gauge: .gauge
        case .summary: .summary
        case .untyped: .untyped
        case .histogram: .histogram
        case .gaugeHistogram: .gaugeHistogram
        }
    }

    private func metric(_ message: Io_Prometheus_Client_Metric, number: Int, type: MetricType) throws -> Metric {
        let present: [(String, Bool)] = [
            ("counter", message.hasCounter), ("gauge", message.hasGauge), ("summary", message.hasSummary),
            ("untyped", message.hasUntyped), ("histogram", message.hasHistogram),
        ]
        let expected =
            switch type {
            case .counter: "counter"
            case .gauge, .info, .stateSet: "gauge"
            case .summary: "summary"
            case .untyped: "untyped"
            case .histogram, .gaugeHistogram: "histogram"
            }
        let typeName = type.textName ?? type.openMetricsName
        if let wrong = present.first(where: { $0.1 && $0.0 != expected }) {
            throw error("metric \(number) carries a \(wrong.0) value, but a \(typeName) family needs \(expected)")
        }
        guard present.contains(where: { $0.1 }) else {
            throw error("metric \(number) has no value (a \(typeName) family needs the \(expected) field)")
        }
        let context = "metric \(number)"
        let value: MetricValue
        switch expected {
        case "counter":
            let counter = message.counter
            value = .counter(
                CounterValue(
                    counter.value,
                    created: counter.hasCreatedTimestamp
                        ? try seconds(counter.createdTimestamp, "\(context): created timestamp") : nil,
                    exemplar: counter.hasExemplar ? try exemplar(counter.exemplar, context) : nil))
        case "gauge": value = .gauge(message.gauge.value)
        case "untyped": value = .untyped(message.untyped.value)
        case "summary": value = .summary(try summary(message.summary, context))
        default: value = .histogram(try histogram(message.histogram, context))
        }
        return Metric(
            labels: labels(message.label), value: value, timestampMs: message.hasTimestampMs ? message.timestampMs : nil
        )
    }

    private func labels(_ pairs: [Io_Prometheus_Client_LabelPair]) -> [Label] {
        pairs.map { Label($0.name, $0.value) }
    }

    private func seconds(_ timestamp: Google_Protobuf_Timestamp, _ what: String) throws -> Double {
        guard let seconds = ProtobufMapping.seconds(of: timestamp) else {
            throw error(
                "\(what) out of range (seconds \(timestamp.seconds), nanos \(timestamp.nanos); "
                    + "expected year 1…9999 and nanos 0…999999999)")
        }
        return seconds
    }

    private func exemplar(_ message: Io_Prometheus_Client_Exemplar, _ context: String) throws -> Exemplar {
        Exemplar(
            labels: labels(message.label), value: message.value,
            timestamp: message.hasTimestamp ? try seconds(message.timestamp, "\(context): exemplar timestamp") : nil)
    }

    private func summary(_ message: Io_Prometheus_Client_Summary, _ context: String) throws -> SummaryValue {
        SummaryValue(
            quantiles: message.quantile.map { Quantile(quantile: $0.quantile, value: $0.value) },
            count: message.hasSampleCount ? Double(message.sampleCount) : nil,
            sum: message.hasSampleSum ? message.sampleSum : nil,
            created: message.hasCreatedTimestamp
                ? try seconds(message.createdTimestamp, "\(context): created timestamp") : nil)
    }

    private func histogram(_ message: Io_Prometheus_Client_Histogram, _ context: String) throws -> HistogramValue {
        var buckets: [Bucket] = []
        buckets.reserveCapacity(message.bucket.count)
        for bucket in message.bucket {
            let count = ProtobufMapping.count(
                integer: bucket.hasCumulativeCount ? bucket.cumulativeCount : nil,
                float: bucket.hasCumulativeCountFloat ? bucket.cumulativeCountFloat : nil)
            buckets.append(
                Bucket(
                    upperBound: bucket.upperBound, cumulativeCount: count ?? 0,
                    exemplar: bucket.hasExemplar ? try exemplar(bucket.exemplar, context) : nil))
        }
        let count = ProtobufMapping.count(
            integer: message.hasSampleCount ? message.sampleCount : nil,
            float: message.hasSampleCountFloat ? message.sampleCountFloat : nil)
        let native = try native(message, context)
        // client_golang (and so Prometheus and the Pushgateway) leaves the +Inf bucket implicit
        // in protobuf: it holds every observation, so its count is sample_count. Make it
        // explicit, as expfmt does when it writes text.
        if let count, buckets.last.map({ $0.upperBound != .infinity }) ?? (native == nil) {
            buckets.append(Bucket(upperBound: .infinity, cumulativeCount: count))
        }
        return HistogramValue(
            buckets: buckets,
            count: count,
            sum: message.hasSampleSum ? message.sampleSum : nil,
            created: message.hasCreatedTimestamp
                ? try seconds(message.createdTimestamp, "\(context): created timestamp") : nil,
            native: native)
    }

    private func native(_ message: Io_Prometheus_Client_Histogram, _ context: String) throws -> NativeHistogram? {
        let isNative =
            message.hasSchema || message.hasZeroThreshold || message.hasZeroCount || message.hasZeroCountFloat
            || !message.negativeSpan.isEmpty || !message.negativeDelta.isEmpty || !message.negativeCount.isEmpty
            || !message.positiveSpan.isEmpty || !message.positiveDelta.isEmpty || !message.positiveCount.isEmpty
            || !message.exemplars.isEmpty
        guard isNative else { return nil }
        func spans(_ spans: [Io_Prometheus_Client_BucketSpan]) -> [NativeHistogram.Span] {
            spans.map { NativeHistogram.Span(offset: $0.offset, length: $0.length) }
        }
        return NativeHistogram(
            schema: message.schema, zeroThreshold: message.zeroThreshold,
            zeroCount: message.hasZeroCount ? message.zeroCount : nil,
            zeroCountFloat: message.hasZeroCountFloat ? message.zeroCountFloat : nil,
            negativeSpans: spans(message.negativeSpan), negativeDeltas: message.negativeDelta,
            negativeCounts: message.negativeCount,
            positiveSpans: spans(message.positiveSpan), positiveDeltas: message.positiveDelta,
            positiveCounts: message.positiveCount,
            exemplars: try message.exemplars.map { try exemplar($0, "\(context): native") })
    }
}
