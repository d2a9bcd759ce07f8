/// What a sample line contributes to its MetricPoint, decided by its name's suffix and the
/// family's type.
enum OpenMetricsSampleKind {
    /// Gauge or unknown: the family name itself.
    case value
    /// Counter `_total`.
    case total
    /// `_created` of a counter, histogram or summary.
    case created
    /// Histogram or gauge histogram `_bucket` (with `le`).
    case bucket
    /// `_count` (histogram, summary) or `_gcount` (gauge histogram).
    case count
    /// `_sum` (histogram, summary) or `_gsum` (gauge histogram).
    case sum
    /// Summary quantile: the family name with a `quantile` label.
    case quantile
    /// Info `_info`.
    case info
    /// Stateset: the family name with a label named after the family.
    case state

    /// The suffixes a family of `type` uses, with their kinds (static tables: no allocation).
    static func suffixes(of type: MetricType) -> [(suffix: String, kind: OpenMetricsSampleKind)] {
        switch type {
        case .counter: counterSuffixes
        case .gauge, .untyped: valueSuffixes
        case .histogram: histogramSuffixes
        case .gaugeHistogram: gaugeHistogramSuffixes
        case .summary: summarySuffixes
        case .info: infoSuffixes
        case .stateSet: stateSuffixes
        }
    }

    private static let counterSuffixes: [(suffix: String, kind: OpenMetricsSampleKind)] = [
        ("_total", .total), ("_created", .created),
    ]
    private static let valueSuffixes: [(suffix: String, kind: OpenMetricsSampleKind)] = [("", .value)]
    private static let histogramSuffixes: [(suffix: String, kind: OpenMetricsSampleKind)] = [
        ("_bucket", .bucket), ("_count", .count), ("_sum", .sum), ("_created", .created),
    ]
    private static let gaugeHistogramSuffixes: [(suffix: String, kind: OpenMetricsSampleKind)] = [
        ("_bucket", .bucket), ("_gcount", .count), ("_gsum", .sum),
    ]
    private static let summarySuffixes: [(suffix: String, kind: OpenMetricsSampleKind)] = [
        ("", .quantile), ("_count", .count), ("_sum", .sum), ("_created", .created),
    ]
    private static let infoSuffixes: [(suffix: String, kind: OpenMetricsSampleKind)] = [("_info", .info)]
    private static let stateSuffixes: [(suffix: String, kind: OpenMetricsSampleKind)] = [("", .state)]

    /// The kind of a sample named `sample` in a family named `family` of `type`, or `nil` when
    /// the name cannot belong to that family. O(name length).
    static func of(sample: UnsafeBufferPointer<UInt8>, family: [UInt8], type: MetricType) -> OpenMetricsSampleKind? {
        guard sample.count >= family.count else { return nil }
        for k in 0..<family.count where sample[k] != family[k] { return nil }
        let rest = UnsafeBufferPointer(rebasing: sample[family.count...])
        switch type {
        case .gauge, .untyped: return rest.isEmpty ? .value : nil
        case .stateSet: return rest.isEmpty ? .state : nil
        case .summary where rest.isEmpty: return .quantile
        default: break
        }
        if rest.isEmpty { return nil }
        for (suffix, kind) in suffixes(of: type) where !suffix.isEmpty && rest.elementsEqual(suffix.utf8) {
            return kind
        }
        return nil
    }

    /// The sample names a family may expose, for messages: `foo_total or foo_created`.
    static func expectedNames(family: String, type: MetricType) -> String {
        let names = suffixes(of: type).map { family + $0.suffix }
        if names.count == 1 { return names[0] }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }

    /// Every sample name a family could expose (plus its own name), for clash detection.
    static func reservedNames(family: String, type: MetricType) -> [String] {
        var names = [family]
        for (suffix, _) in suffixes(of: type) where !suffix.isEmpty { names.append(family + suffix) }
        return names
    }
}
