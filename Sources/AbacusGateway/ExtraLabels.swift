public import AbacusExposition

/// Extra labels as `--extra-labels` and `--extra-labels-file` give them (docs/ops.md): the
/// gateway adds them to every series it exposes that does not have a label of that name.
public enum ExtraLabels {
    /// Why extra labels were refused.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// `name:value,name:value`; a value may contain `:` (only the first one separates).
    public static func parseFlag(_ text: String) throws(Problem) -> [Label] {
        var labels: [Label] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let colon = part.firstIndex(of: ":") else {
                throw Problem(description: "\"\(part)\" is not name:value")
            }
            labels = merge(labels, [try label(part[..<colon], part[part.index(after: colon)...])])
        }
        return labels
    }

    /// `name=value` lines, read as the original metrics-server reads its
    /// `-extra-labels-file-path`: lines without `=` are skipped (so are blank lines and lines
    /// starting with `#` or `!`), blanks around the name and the value are trimmed, and every
    /// `"` is removed from the value (`env="prod"` is `env=prod`).
    public static func parseProperties(_ text: String) throws(Problem) -> [Label] {
        var labels: [Label] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = Substring(raw.trimmingBlanks())
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let equals = line.firstIndex(of: "=") else { continue }
            labels = merge(
                labels,
                [
                    try label(
                        Substring(line[..<equals].trimmingBlanks()),
                        Substring(line[line.index(after: equals)...].trimmingBlanks().filter { $0 != "\"" }))
                ])
        }
        return labels
    }

    static func label(_ name: Substring, _ value: Substring) throws(Problem) -> Label {
        let name = String(name)
        guard NameRules.isValidLabelName(name), !NameRules.isReservedLabelName(name) else {
            throw Problem(description: "\"\(name)\" is not a valid label name")
        }
        guard name != "le", name != "quantile" else {
            throw Problem(description: "\(name) is reserved for histogram and summary series")
        }
        return Label(name, String(value))
    }

    /// `base` with `overrides` replacing labels of the same name.
    public static func merge(_ base: [Label], _ overrides: [Label]) -> [Label] {
        var result = base.filter { label in !overrides.contains { $0.name == label.name } }
        result.append(contentsOf: overrides)
        return result
    }
}
