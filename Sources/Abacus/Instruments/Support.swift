import AbacusExposition

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock and monotonic time for instruments.
enum Clock {
    /// Seconds since the Unix epoch, with microsecond resolution.
    static func unixNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec / 1000) / 1_000_000
    }

    /// A monotonic reading in nanoseconds (never goes back, unaffected by clock steps).
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// Building exemplars from user label sets.
enum Exemplars {
    /// OpenMetrics' limit on the combined length of an exemplar's label names and values.
    static let maxRunes = 128

    /// An exemplar with these labels (sorted by name), `value` and the current time; `nil`
    /// when a label name is invalid or the labels exceed ``maxRunes`` characters.
    static func make(_ labels: [String: String], value: Double) -> Exemplar? {
        var runes = 0
        var pairs: [Label] = []
        pairs.reserveCapacity(labels.count)
        for (name, labelValue) in labels {
            guard NameRules.isValidLabelName(name) else { return nil }
            runes += name.unicodeScalars.count + labelValue.unicodeScalars.count
            pairs.append(Label(name, labelValue))
        }
        guard runes <= maxRunes else { return nil }
        pairs.sort()
        return Exemplar(labels: pairs, value: value, timestamp: Clock.unixNow())
    }
}
