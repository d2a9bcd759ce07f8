/// Style checks in the spirit of `promtool check metrics` (promlint): things Prometheus accepts
/// but that make metrics harder to use. They are advice, not rejections; ``ExpositionValidator``
/// holds the rules a family must meet.
public enum ExpositionLinter {
    /// A finding about one family.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        /// The family concerned.
        public var family: String
        /// What to improve.
        public var message: String

        /// Creates a finding.
        public init(family: String, message: String) {
            self.family = family
            self.message = message
        }

        /// `family: message`
        public var description: String { "\(family): \(message)" }
    }

    /// Non-base units and the base unit to use instead, as promlint lists them.
    static let nonBaseUnits: [(String, String)] = [
        ("milliseconds", "seconds"), ("microseconds", "seconds"), ("nanoseconds", "seconds"),
        ("minutes", "seconds"), ("hours", "seconds"), ("days", "seconds"), ("weeks", "seconds"),
        ("kilobytes", "bytes"), ("megabytes", "bytes"), ("gigabytes", "bytes"), ("terabytes", "bytes"),
        ("petabytes", "bytes"), ("kibibytes", "bytes"), ("mebibytes", "bytes"), ("gibibytes", "bytes"),
        ("celsius", "celsius"), ("fahrenheit", "celsius"), ("percent", "ratio"),
    ]

    /// Every finding for `families`, family by family. O(series).
    public static func lint(_ families: [MetricFamily]) -> [Finding] {
        var findings: [Finding] = []
        for family in families {
            let name = family.name
            func add(_ message: String) { findings.append(Finding(family: name, message: message)) }
            if family.help == nil || family.help == "" { add("no help text") }
            if family.type == .counter && !name.hasSuffix("_total") {
                add("counter metrics should have \"_total\" suffix")
            }
            if family.type != .counter && name.hasSuffix("_total") {
                add("non-counter metrics should not have \"_total\" suffix")
            }
            if name.contains(":") { add("metric names should not contain ':' (reserved for recording rules)") }
            if name.contains(where: \.isUppercase) {
                add("metric names should be written in 'snake_case' not 'camelCase'")
            }
            let words = name.split(separator: "_").map(String.init)
            for (unit, base) in nonBaseUnits where words.contains(unit) && unit != base {
                add("use base unit \"\(base)\" instead of \"\(unit)\"")
            }
            if let typeName = family.type.textName, family.type != .untyped,
                name.lowercased().contains("_\(typeName)_") || name.lowercased().hasSuffix("_\(typeName)")
            {
                add("metric name should not include type '\(typeName)'")
            }
            var labelNames = Set<String>()
            for metric in family.metrics {
                for label in metric.labels where label.name.contains(where: \.isUppercase) {
                    labelNames.insert(label.name)
                }
                if case .counter(let counter) = metric.value, counter.value < 0 {
                    add(
                        "counter has a negative value \(NumberFormatting.string(counter.value)) in "
                            + "\(name)\(ExpositionValidator.render(metric.labels)); counters only go up")
                }
            }
            for label in labelNames.sorted() {
                add("label names should be written in 'snake_case' not 'camelCase' (\(label))")
            }
        }
        return findings
    }
}
