#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What an ops message asks the gateway to do (the `op` field).
public enum OpsOperation: String, Sendable, Hashable, CaseIterable {
    /// Counter add; the value is ≥ 0.
    case inc
    /// Gauge set.
    case set
    /// Gauge add, of either sign (an Abacus addition to the original protocol).
    case add
    /// Histogram observation.
    case obs
    /// A raw event for event sinks (Loki); the value is optional and may have any sign.
    case event
    /// A document for a search index (OpenSearch in the original), named by the message's
    /// `index` field; the value is optional.
    case index
    /// A raw row for a table (ScyllaDB in the original): name, labels, value, time; the value
    /// is optional.
    case raw
    /// Graceful shutdown of the gateway; `name` and `value` are optional.
    case shutdown

    /// Whether the operation changes a metric series (`inc`, `set`, `add`, `obs`), rather than
    /// going to a sink or stopping the gateway.
    public var isMetric: Bool {
        switch self {
        case .inc, .set, .add, .obs: true
        case .event, .index, .raw, .shutdown: false
        }
    }
}

/// The bucket layout of a histogram created by an `obs` message. The first observation of a
/// series fixes it.
///
/// The semantics are those of docs/ops.md, which follows the original Go "metrics-server"
/// (its `ProcessHistogram`, which calls client_golang's bucket helpers):
///
/// | fields | layout | original |
/// |---|---|---|
/// | `bucket_min` + `bucket_max` | ``exponentialRange(min:max:count:)`` | `ExponentialBucketsRange(min, max, buckets)` |
/// | `bucket_factor` | ``exponentialFactor(start:factor:count:)``, start 0.1 | `ExponentialBuckets(0.1, factor, buckets)` |
/// | `bucket_custom` | ``custom(_:)`` | the list as given |
/// | otherwise | ``linear(start:width:count:)`` | `LinearBuckets(bucket_start, width, buckets)` |
///
/// in that order of precedence, with `buckets` defaulting to 20 and `bucket_width` to 10, and a
/// numeric field that is 0 the same as one that is absent (the original decodes into a Go
/// struct, where they are the same). The lowest linear bound is `bucket_start`, 0 by default, as
/// in the original: the default layout is 0, 10, …, 190. `bucket_start` also sets the first
/// bound of the factor layout (the original always starts it at 0.1, which stays the default).
/// The implicit `+Inf` bucket is not part of any layout.
public enum HistogramLayout: Sendable, Hashable {
    /// `count` bounds `start`, `start + width`, …, each `width` apart.
    case linear(start: Double, width: Double, count: Int)
    /// `count` bounds growing by a constant factor from `min` to `max` (both included).
    case exponentialRange(min: Double, max: Double, count: Int)
    /// `count` bounds `start`, `start·factor`, `start·factor²`, ….
    case exponentialFactor(start: Double, factor: Double, count: Int)
    /// Explicit upper bounds, strictly increasing and finite.
    case custom([Double])

    /// The number of buckets when `buckets` is absent.
    public static let defaultCount = 20
    /// The linear bucket width when `bucket_width` is absent.
    public static let defaultWidth = 10.0
    /// The lowest bound of a factor layout when `bucket_start` is absent (fixed in the original).
    public static let defaultFactorStart = 0.1
    /// The lowest linear bound when `bucket_start` is absent.
    public static let defaultLinearStart = 0.0
    /// The layout of an `obs` message without bucket fields: 0, 10, …, 190.
    public static let `default` = HistogramLayout.linear(
        start: defaultLinearStart, width: defaultWidth, count: defaultCount)

    /// The number of finite buckets.
    public var count: Int {
        switch self {
        case .linear(_, _, let count), .exponentialRange(_, _, let count), .exponentialFactor(_, _, let count):
            Swift.max(0, count)
        case .custom(let bounds): bounds.count
        }
    }

    /// The finite upper bounds (`le` values), in increasing order, computed as client_golang
    /// does (linear and factor layouts by repeated addition and multiplication, the range
    /// layout as `min · growth^i`). O(count); allocates one array. A decoded layout has at
    /// most ``OpsLimits/maxBuckets`` bounds.
    public func upperBounds() -> [Double] {
        var bounds: [Double] = []
        bounds.reserveCapacity(count)
        forEachBound { bounds.append($0) }
        return bounds
    }

    /// Calls `body` with each bound in order, without allocating.
    func forEachBound(_ body: (Double) -> Void) {
        switch self {
        case .linear(var bound, let width, let count):
            for _ in 0..<Swift.max(0, count) {
                body(bound)
                bound += width
            }
        case .exponentialRange(let min, let max, let count):
            guard count > 0 else { return }
            if count == 1 {
                body(min)
                return
            }
            let growth = pow(max / min, 1.0 / Double(count - 1))
            for i in 0..<count { body(min * pow(growth, Double(i))) }
        case .exponentialFactor(var bound, let factor, let count):
            for _ in 0..<Swift.max(0, count) {
                body(bound)
                bound *= factor
            }
        case .custom(let bounds):
            for bound in bounds { body(bound) }
        }
    }

    /// Why the computed bounds are unusable (not finite or not strictly increasing, e.g. a
    /// factor layout that overflows or a linear layout whose width vanishes next to its
    /// start), or `nil`. O(count), no allocation.
    func boundsProblem() -> String? {
        var previous = -Double.infinity
        var problem: String?
        var index = 0
        forEachBound { bound in
            guard problem == nil else { return }
            if !bound.isFinite {
                problem = "bucket bound \(index) is not finite (the layout overflows)"
            } else if !(bound > previous) {
                problem = "bucket bounds are not strictly increasing at bound \(index)"
            }
            previous = bound
            index += 1
        }
        return problem
    }
}

/// Limits a decoded message must respect. Every limit is in bytes (UTF-8) or items.
public struct OpsLimits: Sendable, Hashable {
    /// Longest metric name and label name (default 256 bytes).
    public var maxNameLength: Int
    /// Most labels on one message (default 64).
    public var maxLabels: Int
    /// Longest label value (default 4096 bytes).
    public var maxLabelValueLength: Int
    /// Longest help text (default 4096 bytes).
    public var maxHelpLength: Int
    /// Most finite buckets of a histogram layout, `buckets` and `bucket_custom` alike
    /// (default 1000; a histogram costs one series per bucket).
    public var maxBuckets: Int
    /// Deepest nesting of an unknown field's value (default 32).
    public var maxDepth: Int

    /// Creates limits; every argument has the documented default.
    public init(
        maxNameLength: Int = 256, maxLabels: Int = 64, maxLabelValueLength: Int = 4096,
        maxHelpLength: Int = 4096, maxBuckets: Int = 1000, maxDepth: Int = 32
    ) {
        self.maxNameLength = maxNameLength
        self.maxLabels = maxLabels
        self.maxLabelValueLength = maxLabelValueLength
        self.maxHelpLength = maxHelpLength
        self.maxBuckets = maxBuckets
        self.maxDepth = maxDepth
    }

    /// The default limits.
    public static let `default` = OpsLimits()
}

/// One decoded JSON-lines ops message (docs/ops.md), valid on its own: the name, labels,
/// operation, value and bucket fields passed every check ``OpsDecoder`` can make without
/// knowing the gateway's state.
public struct OpsMessage: Sendable, Equatable {
    /// The metric name; empty only for a `shutdown` message that carried none.
    public var name: String
    /// The HELP text, when the message carried one.
    public var help: String?
    /// The labels, in the order the message gave them (unique names).
    public var labels: [Label]
    /// The operation.
    public var op: OpsOperation
    /// The value: finite; ≥ 0 for `inc`; 0 for `event`, `index`, `raw` and `shutdown` messages
    /// without one.
    public var value: Double
    /// The histogram layout, for `obs` only (`nil` for every other operation): the layout the
    /// message's bucket fields describe, ``HistogramLayout/default`` when it had none.
    public var histogram: HistogramLayout?
    /// The `index` field of an `index` message: the name (template) of the search index; `nil`
    /// for every other operation.
    public var index: String?
    /// The `timestamp` field (RFC 3339) as Unix nanoseconds, for `event`, `index` and `raw`
    /// (`nil` for the metric operations, which ignore it, and when absent).
    public var timestampNs: Int64?

    /// Creates a message. `histogram` is kept only for `obs`, where `nil` means
    /// ``HistogramLayout/default``; `index` only for `index`; `timestampNs` only for `event`,
    /// `index` and `raw`.
    public init(
        name: String, help: String? = nil, labels: [Label] = [], op: OpsOperation, value: Double,
        histogram: HistogramLayout? = nil, index: String? = nil, timestampNs: Int64? = nil
    ) {
        self.name = name
        self.help = help
        self.labels = labels
        self.op = op
        self.value = value
        self.histogram = op == .obs ? (histogram ?? .default) : nil
        self.index = op == .index ? index : nil
        self.timestampNs = op == .event || op == .index || op == .raw ? timestampNs : nil
    }
}
