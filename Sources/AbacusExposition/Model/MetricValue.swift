/// The value of one metric; which case is valid depends on the family's ``MetricType``:
///
/// | type | case |
/// |---|---|
/// | counter | ``counter(_:)`` |
/// | gauge | ``gauge(_:)`` |
/// | untyped | ``untyped(_:)`` |
/// | histogram, gaugeHistogram | ``histogram(_:)`` |
/// | summary | ``summary(_:)`` |
/// | info | ``info`` |
/// | stateSet | ``stateSet(_:)`` |
public enum MetricValue: Sendable, Equatable {
    /// A counter's value.
    case counter(CounterValue)
    /// A gauge's value.
    case gauge(Double)
    /// An untyped (OpenMetrics: unknown) value.
    case untyped(Double)
    /// A histogram's or gauge histogram's value.
    case histogram(HistogramValue)
    /// A summary's value.
    case summary(SummaryValue)
    /// An info metric: its labels are the information, its value is always 1.
    case info
    /// A stateset: each state and whether it is set.
    case stateSet([State])

    /// Equality that treats two NaNs as equal, so parsed and encoded values compare as users expect.
    /// Equal when every field is, NaN counting as equal to NaN.
    public static func == (lhs: MetricValue, rhs: MetricValue) -> Bool {
        switch (lhs, rhs) {
        case let (.counter(a), .counter(b)): a == b
        case let (.gauge(a), .gauge(b)): sameValue(a, b)
        case let (.untyped(a), .untyped(b)): sameValue(a, b)
        case let (.histogram(a), .histogram(b)): a == b
        case let (.summary(a), .summary(b)): a == b
        case (.info, .info): true
        case let (.stateSet(a), .stateSet(b)): a == b
        default: false
        }
    }

    /// A short name for messages ("counter", "gauge", …).
    public var kindName: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .untyped: "untyped"
        case .histogram: "histogram"
        case .summary: "summary"
        case .info: "info"
        case .stateSet: "stateset"
        }
    }
}

/// A state of a stateset.
public struct State: Sendable, Hashable {
    /// The state's name (the value of the label named after the family).
    public var name: String
    /// Whether the state is set (sample value 1) or not (0).
    public var isSet: Bool

    /// Creates a state.
    public init(_ name: String, isSet: Bool) {
        self.name = name
        self.isSet = isSet
    }
}

/// A counter's value.
public struct CounterValue: Sendable, Equatable {
    /// The running total (≥ 0 for a valid counter).
    public var value: Double
    /// When the counter was created, in seconds since the Unix epoch (`_created`).
    public var created: Double?
    /// An exemplar attached to the counter's sample.
    public var exemplar: Exemplar?

    /// Creates a counter value.
    public init(_ value: Double, created: Double? = nil, exemplar: Exemplar? = nil) {
        self.value = value
        self.created = created
        self.exemplar = exemplar
    }

    /// Equal when every field is, NaN counting as equal to NaN.

    public static func == (lhs: CounterValue, rhs: CounterValue) -> Bool {
        sameValue(lhs.value, rhs.value) && sameValue(lhs.created, rhs.created) && lhs.exemplar == rhs.exemplar
    }
}

/// A histogram's (or gauge histogram's) value.
///
/// Counts are `Double` because the text formats allow any float; the protobuf encoder writes
/// integral counts as integers and the rest as the `_float` fields.
public struct HistogramValue: Sendable, Equatable {
    /// The classic buckets, in exposition order; counts are cumulative.
    public var buckets: [Bucket]
    /// `_count` (`_gcount` for a gauge histogram), when present.
    public var count: Double?
    /// `_sum` (`_gsum` for a gauge histogram), when present.
    public var sum: Double?
    /// `_created`, in seconds since the Unix epoch.
    public var created: Double?
    /// Native (sparse) histogram fields, carried through from protobuf; text formats cannot
    /// express them.
    public var native: NativeHistogram?

    /// Creates a histogram value.
    public init(
        buckets: [Bucket], count: Double? = nil, sum: Double? = nil, created: Double? = nil,
        native: NativeHistogram? = nil
    ) {
        self.buckets = buckets
        self.count = count
        self.sum = sum
        self.created = created
        self.native = native
    }

    /// Equal when every field is, NaN counting as equal to NaN.

    public static func == (lhs: HistogramValue, rhs: HistogramValue) -> Bool {
        lhs.buckets == rhs.buckets && sameValue(lhs.count, rhs.count) && sameValue(lhs.sum, rhs.sum)
            && sameValue(lhs.created, rhs.created) && lhs.native == rhs.native
    }
}

/// One classic histogram bucket.
public struct Bucket: Sendable, Equatable {
    /// The inclusive upper bound (`le`).
    public var upperBound: Double
    /// The cumulative count of observations ≤ `upperBound`.
    public var cumulativeCount: Double
    /// An exemplar attached to this bucket.
    public var exemplar: Exemplar?

    /// Creates a bucket.
    public init(upperBound: Double, cumulativeCount: Double, exemplar: Exemplar? = nil) {
        self.upperBound = upperBound
        self.cumulativeCount = cumulativeCount
        self.exemplar = exemplar
    }

    /// Equal when every field is, NaN counting as equal to NaN.

    public static func == (lhs: Bucket, rhs: Bucket) -> Bool {
        sameValue(lhs.upperBound, rhs.upperBound) && sameValue(lhs.cumulativeCount, rhs.cumulativeCount)
            && lhs.exemplar == rhs.exemplar
    }
}

/// A summary's value.
public struct SummaryValue: Sendable, Equatable {
    /// The quantiles, in exposition order.
    public var quantiles: [Quantile]
    /// `_count`, when present.
    public var count: Double?
    /// `_sum`, when present.
    public var sum: Double?
    /// `_created`, in seconds since the Unix epoch.
    public var created: Double?

    /// Creates a summary value.
    public init(quantiles: [Quantile], count: Double? = nil, sum: Double? = nil, created: Double? = nil) {
        self.quantiles = quantiles
        self.count = count
        self.sum = sum
        self.created = created
    }

    /// Equal when every field is, NaN counting as equal to NaN.

    public static func == (lhs: SummaryValue, rhs: SummaryValue) -> Bool {
        lhs.quantiles == rhs.quantiles && sameValue(lhs.count, rhs.count) && sameValue(lhs.sum, rhs.sum)
            && sameValue(lhs.created, rhs.created)
    }
}

/// One summary quantile.
public struct Quantile: Sendable, Equatable {
    /// The quantile rank φ, within [0, 1].
    public var quantile: Double
    /// The value at that rank.
    public var value: Double

    /// Creates a quantile.
    public init(quantile: Double, value: Double) {
        self.quantile = quantile
        self.value = value
    }

    /// Equal when every field is, NaN counting as equal to NaN.

    public static func == (lhs: Quantile, rhs: Quantile) -> Bool {
        sameValue(lhs.quantile, rhs.quantile) && sameValue(lhs.value, rhs.value)
    }
}

/// An exemplar: a sample of one observation with its own labels (e.g. a trace id).
public struct Exemplar: Sendable, Equatable {
    /// The exemplar's labels; OpenMetrics limits their combined length to 128 UTF-8 code points.
    public var labels: [Label]
    /// The observed value.
    public var value: Double
    /// When it was observed, in seconds since the Unix epoch.
    public var timestamp: Double?

    /// Creates an exemplar.
    public init(labels: [Label], value: Double, timestamp: Double? = nil) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    /// Equal when every field is, NaN counting as equal to NaN.

    public static func == (lhs: Exemplar, rhs: Exemplar) -> Bool {
        lhs.labels == rhs.labels && sameValue(lhs.value, rhs.value) && sameValue(lhs.timestamp, rhs.timestamp)
    }
}

/// The native (sparse, exponential) histogram fields of the protobuf format, kept as they are.
public struct NativeHistogram: Sendable, Equatable {
    /// A span of consecutive buckets: an offset from the previous span's end and a length.
    public struct Span: Sendable, Hashable {
        /// Buckets skipped since the previous span (or from index 0 for the first span).
        public var offset: Int32
        /// Consecutive buckets in this span.
        public var length: UInt32
        /// Creates a span.
        public init(offset: Int32, length: UInt32) {
            self.offset = offset
            self.length = length
        }
    }

    /// Resolution: bucket boundaries grow by 2^(2^-schema).
    public var schema: Int32
    /// Observations with an absolute value up to this go to the zero bucket.
    public var zeroThreshold: Double
    /// The zero bucket count (integer form).
    public var zeroCount: UInt64?
    /// The zero bucket count (float form, for float histograms).
    public var zeroCountFloat: Double?
    /// Spans of the negative buckets.
    public var negativeSpans: [Span]
    /// Integer histograms: deltas between consecutive bucket counts.
    public var negativeDeltas: [Int64]
    /// Float histograms: absolute bucket counts.
    public var negativeCounts: [Double]
    /// Spans of the positive buckets.
    public var positiveSpans: [Span]
    /// Integer histograms: deltas between consecutive positive bucket counts.
    public var positiveDeltas: [Int64]
    /// Float histograms: absolute positive bucket counts.
    public var positiveCounts: [Double]
    /// Exemplars of the native histogram.
    public var exemplars: [Exemplar]

    /// Creates native histogram fields.
    public init(
        schema: Int32 = 0, zeroThreshold: Double = 0, zeroCount: UInt64? = nil, zeroCountFloat: Double? = nil,
        negativeSpans: [Span] = [], negativeDeltas: [Int64] = [], negativeCounts: [Double] = [],
        positiveSpans: [Span] = [], positiveDeltas: [Int64] = [], positiveCounts: [Double] = [],
        exemplars: [Exemplar] = []
    ) {
        self.schema = schema
        self.zeroThreshold = zeroThreshold
        self.zeroCount = zeroCount
        self.zeroCountFloat = zeroCountFloat
        self.negativeSpans = negativeSpans
        self.negativeDeltas = negativeDeltas
        self.negativeCounts = negativeCounts
        self.positiveSpans = positiveSpans
        self.positiveDeltas = positiveDeltas
        self.positiveCounts = positiveCounts
        self.exemplars = exemplars
    }

    /// Equal when every field is, NaN counting as equal to NaN.

    public static func == (lhs: NativeHistogram, rhs: NativeHistogram) -> Bool {
        lhs.schema == rhs.schema && sameValue(lhs.zeroThreshold, rhs.zeroThreshold) && lhs.zeroCount == rhs.zeroCount
            && sameValue(lhs.zeroCountFloat, rhs.zeroCountFloat) && lhs.negativeSpans == rhs.negativeSpans
            && lhs.negativeDeltas == rhs.negativeDeltas
            && lhs.negativeCounts.elementsEqual(rhs.negativeCounts, by: sameValue)
            && lhs.positiveSpans == rhs.positiveSpans && lhs.positiveDeltas == rhs.positiveDeltas
            && lhs.positiveCounts.elementsEqual(rhs.positiveCounts, by: sameValue) && lhs.exemplars == rhs.exemplars
    }
}

/// Value equality where NaN equals NaN (exposition formats cannot tell NaNs apart).
@inlinable
func sameValue(_ a: Double, _ b: Double) -> Bool {
    a == b || (a.isNaN && b.isNaN)
}

@inlinable
func sameValue(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case let (x?, y?): sameValue(x, y)
    default: false
    }
}
