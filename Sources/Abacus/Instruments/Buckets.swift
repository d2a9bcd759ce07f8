/// The upper bounds of a histogram's buckets (`le`), in increasing order; the `+Inf` bucket is
/// always added and need not be listed.
///
/// ```swift
/// .default                                             // client_golang's DefBuckets, for seconds
/// .linear(start: 100, width: 100, count: 5)            // 100, 200, 300, 400, 500
/// .exponential(start: 0.001, factor: 2, count: 12)     // 1 ms … 2.048 s
/// .exponentialRange(from: 0.001, to: 10, count: 9)     // 9 bounds spread evenly on a log scale
/// [0.1, 0.5, 1, 5]                                     // explicit, as an array literal
/// ```
public struct Buckets: Sendable, Hashable, ExpressibleByArrayLiteral {
    /// The finite upper bounds as given; validated when the histogram is registered.
    public var upperBounds: [Double]

    /// Explicit upper bounds.
    public init(_ upperBounds: [Double]) { self.upperBounds = upperBounds }

    /// Explicit upper bounds, as an array literal.
    public init(arrayLiteral elements: Double...) { self.upperBounds = elements }

    /// client_golang's `DefBuckets`, meant for request durations in seconds:
    /// 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10.
    public static let `default`: Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// `count` bounds `start`, `start + width`, …; empty when `count < 1`.
    public static func linear(start: Double, width: Double, count: Int) -> Buckets {
        Buckets((0..<Swift.max(count, 0)).map { start + Double($0) * width })
    }

    /// `count` bounds `start`, `start · factor`, `start · factor²`, …; empty when `count < 1`.
    /// Registration refuses `start ≤ 0` or `factor ≤ 1` (the bounds would not increase).
    public static func exponential(start: Double, factor: Double, count: Int) -> Buckets {
        var bounds: [Double] = []
        var bound = start
        for _ in 0..<Swift.max(count, 0) {
            bounds.append(bound)
            bound *= factor
        }
        return Buckets(bounds)
    }

    /// `count` bounds from `min` to `max` (both included) with a constant factor between
    /// neighbours, as client_golang's `ExponentialBucketsRange`.
    public static func exponentialRange(from min: Double, to max: Double, count: Int) -> Buckets {
        guard count > 1 else { return Buckets(count == 1 ? [min] : []) }
        let factor = pow(max / min, 1 / Double(count - 1))
        var bounds = exponential(start: min, factor: factor, count: count).upperBounds
        bounds[count - 1] = max  // exact, whatever the rounding on the way
        return Buckets(bounds)
    }

    /// The bounds ready for a histogram: finite, increasing, `+Inf` appended; or why not.
    func validated() -> Result<[Double], RegistrationError.Reason> {
        var bounds = upperBounds
        if bounds.last == .infinity { bounds.removeLast() }
        for (index, bound) in bounds.enumerated() {
            guard bound.isFinite else { return .failure(.invalidBuckets("bound \(bound) is not finite")) }
            if index > 0, bound <= bounds[index - 1] {
                return .failure(.invalidBuckets("bounds must increase: \(bounds[index - 1]) then \(bound)"))
            }
        }
        bounds.append(.infinity)
        return .success(bounds)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
