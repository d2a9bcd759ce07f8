/// The type of a metric family, as the exposition formats define it.
///
/// Text 0.0.4 knows `counter`, `gauge`, `histogram`, `summary` and `untyped`; OpenMetrics 1.0
/// adds `gaugehistogram`, `info` and `stateset` and spells `untyped` as `unknown`; the protobuf
/// format knows everything but `info` and `stateset`.
public enum MetricType: Sendable, Hashable, CaseIterable {
    case counter
    case gauge
    case histogram
    case summary
    /// `untyped` in text 0.0.4 and protobuf, `unknown` in OpenMetrics.
    case untyped
    /// OpenMetrics `gaugehistogram` (protobuf `GAUGE_HISTOGRAM`).
    case gaugeHistogram
    /// OpenMetrics `info`.
    case info
    /// OpenMetrics `stateset`.
    case stateSet

    /// The keyword used on a text 0.0.4 `# TYPE` line, or `nil` when the format cannot express it.
    public var textName: String? {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        case .summary: "summary"
        case .untyped: "untyped"
        case .gaugeHistogram, .info, .stateSet: nil
        }
    }

    /// The keyword used on an OpenMetrics `# TYPE` line.
    public var openMetricsName: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        case .summary: "summary"
        case .untyped: "unknown"
        case .gaugeHistogram: "gaugehistogram"
        case .info: "info"
        case .stateSet: "stateset"
        }
    }
}

/// A metric family: a name, a type, optional help and unit, and its metrics (one per label set).
///
/// The `name` is the name as text 0.0.4 and protobuf carry it: a counter keeps its `_total`
/// suffix here (OpenMetrics strips it from the family name on the wire and puts it back on the
/// sample), an info family does not carry `_info`.
public struct MetricFamily: Sendable, Equatable {
    /// The family name (see the type's documentation for suffix rules).
    public var name: String
    /// The family's type.
    public var type: MetricType
    /// The HELP text, unescaped; `nil` when none was given.
    public var help: String?
    /// The OpenMetrics UNIT, e.g. `seconds`; `nil` when none was given.
    public var unit: String?
    /// The metrics of the family, in exposition order.
    public var metrics: [Metric]

    /// Creates a family.
    public init(name: String, type: MetricType, help: String? = nil, unit: String? = nil, metrics: [Metric] = []) {
        self.name = name
        self.type = type
        self.help = help
        self.unit = unit
        self.metrics = metrics
    }
}

/// One metric (one label set) of a family: labels, a typed value and an optional timestamp.
public struct Metric: Sendable, Equatable {
    /// The labels, in exposition order, without the type's own labels (`le`, `quantile`, the
    /// stateset's state label).
    public var labels: [Label]
    /// The value; its case must fit the family's type (see ``MetricValue``).
    public var value: MetricValue
    /// Timestamp in milliseconds since the Unix epoch, if the exposition carried one.
    public var timestampMs: Int64?

    /// Creates a metric.
    public init(labels: [Label] = [], value: MetricValue, timestampMs: Int64? = nil) {
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }
}

/// A label: a name and a value.
public struct Label: Sendable, Hashable, Comparable {
    /// The label name.
    public var name: String
    /// The label value (any UTF-8 text).
    public var value: String

    /// Creates a label.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Orders by name, then by value, comparing UTF-8 bytes (the order Prometheus sorts in).
    public static func < (lhs: Label, rhs: Label) -> Bool {
        if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
        return lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
    }
}
