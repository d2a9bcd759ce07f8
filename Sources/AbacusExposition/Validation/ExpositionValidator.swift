/// Checks metric families against the Prometheus rules: metric and label names, reserved
/// labels, duplicate series, histogram and summary invariants. Every parser and decoder runs
/// its output through here, so a family is valid by the same rules whatever format it came in.
public enum ExpositionValidator {
    /// Every problem of one family, in order (empty when the family is valid). O(series).
    public static func problems(in family: MetricFamily) -> [String] {
        []  // filled in by the validation work
    }

    /// Throws an ``ExpositionError`` for the first problem of the first invalid family, and for
    /// a family name that appears twice. O(series).
    public static func validate(_ families: [MetricFamily]) throws {
        var seen = Set<String>()
        for family in families {
            if !seen.insert(family.name).inserted {
                throw ExpositionError("metric family \(family.name) appears twice")
            }
            if let first = problems(in: family).first { throw ExpositionError(first) }
        }
    }
}
