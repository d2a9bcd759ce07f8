/// The style findings of `promtool check metrics` (Prometheus 2.42's promlint), rule for rule:
/// things Prometheus accepts but that make metrics harder to use. They are advice, not
/// rejections; ``ExpositionValidator`` holds the rules a family must meet.
///
/// The rules, with promlint's wording (findings come family by family, in the order of the
/// input, where promtool sorts them by name):
/// - no HELP (or an empty one): `no help text`;
/// - a unit word (with an SI or binary prefix) that is not a base unit:
///   `use base unit "seconds" instead of "milliseconds"`;
/// - a counter without `_total`; a `_total` on anything but a counter or untyped;
/// - `_bucket`, `_count`, `_sum` suffixes and `le`, `quantile` labels on families of other
///   types (untyped families excepted);
/// - a type name as a word of the name (`_counter_`, `…_gauge`);
/// - a `:` in the name;
/// - camelCase (a lower-case letter followed by an upper-case one) in the name or a label name;
/// - an abbreviated unit (`_ms`, `_s`, `_kb`, …) as a word of the name.
///
/// Where promlint repeats a finding (one per series that has the camelCase label), it is given
/// once per family. A name with two unit words gets the finding of the first in promlint's unit
/// table (promlint itself picks one at random: it walks a Go map).
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

    /// Units and their base unit, as promlint lists them (a base unit maps to itself).
    static let units: [(unit: String, base: String)] = [
        ("amperes", "amperes"), ("bytes", "bytes"), ("celsius", "celsius"), ("grams", "grams"),
        ("joules", "joules"), ("kelvin", "kelvin"), ("meters", "meters"), ("metres", "metres"),
        ("seconds", "seconds"), ("volts", "volts"),
        ("minutes", "seconds"), ("hours", "seconds"), ("days", "seconds"), ("weeks", "seconds"),
        ("kelvins", "kelvin"), ("fahrenheit", "celsius"), ("rankine", "celsius"),
        ("inches", "meters"), ("yards", "meters"), ("miles", "meters"),
        ("bits", "bytes"), ("calories", "joules"), ("pounds", "grams"), ("ounces", "grams"),
    ]

    /// The prefixes promlint recognises before a unit.
    static let unitPrefixes = [
        "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega", "mibi", "giga",
        "gibi", "tera", "tebi", "peta", "pebi",
    ]

    /// Abbreviations promlint discourages as words of a name.
    static let unitAbbreviations = ["s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"]

    /// The type names promlint looks for in names (client_model's, but untyped).
    static let typeNames = ["counter", "gauge", "summary", "histogram", "gauge_histogram"]

    /// Every finding for `families`, family by family. O(series).
    public static func lint(_ families: [MetricFamily]) -> [Finding] {
        var findings: [Finding] = []
        // promtool's parser drops a family that has no samples (HELP or TYPE alone): so does the
        // linter.
        for family in families where !family.metrics.isEmpty {
            var messages: [String] = []
            func add(_ message: String) {
                if !messages.contains(message) { messages.append(message) }
            }
            let name = family.name
            let type = family.type
            if family.help == nil || family.help == "" { add("no help text") }
            if let (unit, base) = unit(in: name), unit != base {
                add("use base unit \"\(base)\" instead of \"\(unit)\"")
            }
            let isCounter = type == .counter
            let isUntyped = type == .untyped
            let hasTotal = name.hasSuffix("_total")
            if isCounter && !hasTotal { add("counter metrics should have \"_total\" suffix") }
            if !isUntyped && !isCounter && hasTotal { add("non-counter metrics should not have \"_total\" suffix") }
            let isHistogram = type == .histogram
            let isSummary = type == .summary
            if !isUntyped {
                if !isHistogram && name.hasSuffix("_bucket") {
                    add("non-histogram metrics should not have \"_bucket\" suffix")
                }
                if !isHistogram && !isSummary && name.hasSuffix("_count") {
                    add("non-histogram and non-summary metrics should not have \"_count\" suffix")
                }
                if !isHistogram && !isSummary && name.hasSuffix("_sum") {
                    add("non-histogram and non-summary metrics should not have \"_sum\" suffix")
                }
                for metric in family.metrics {
                    for label in metric.labels {
                        if !isHistogram && label.name == "le" {
                            add("non-histogram metrics should not have \"le\" label")
                        }
                        if !isSummary && label.name == "quantile" {
                            add("non-summary metrics should not have \"quantile\" label")
                        }
                    }
                }
            }
            let lower = name.lowercased()
            for typeName in typeNames where lower.contains("_\(typeName)_") || lower.hasSuffix("_\(typeName)") {
                add("metric name should not include type '\(typeName)'")
            }
            if name.contains(":") { add("metric names should not contain ':'") }
            if isCamelCase(name) { add("metric names should be written in 'snake_case' not 'camelCase'") }
            for metric in family.metrics where metric.labels.contains(where: { isCamelCase($0.name) }) {
                add("label names should be written in 'snake_case' not 'camelCase'")
            }
            for abbreviation in unitAbbreviations
            where lower.contains("_\(abbreviation)_") || lower.hasSuffix("_\(abbreviation)") {
                add("metric names should not contain abbreviated units")
            }
            findings += messages.map { Finding(family: name, message: $0) }
        }
        return findings
    }

    /// The first unit word of `name` (with a prefix or none) and its base unit.
    static func unit(in name: String) -> (String, String)? {
        let words = Set(name.split(separator: "_").map(String.init))
        for (unit, base) in units {
            if words.contains(unit) { return (unit, base) }
            for prefix in unitPrefixes where words.contains(prefix + unit) { return (prefix + unit, base) }
        }
        return nil
    }

    /// A lower-case ASCII letter directly followed by an upper-case one (promlint's
    /// `[a-z][A-Z]`).
    static func isCamelCase(_ name: String) -> Bool {
        var previousLower = false
        for byte in name.utf8 {
            if previousLower && byte >= 0x41 && byte <= 0x5A { return true }
            previousLower = byte >= 0x61 && byte <= 0x7A
        }
        return false
    }
}
