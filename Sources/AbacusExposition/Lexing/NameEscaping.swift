/// The escaping schemes Prometheus defines for UTF-8 metric and label names, for places and
/// readers that only take legacy names (`[a-zA-Z_:][a-zA-Z0-9_:]*`, labels without `:`).
///
/// - `values` (``escapeValues(_:)``, ``unescapeValues(_:)``): reversible. A name outside the
///   legacy rules becomes `U__` followed by its characters, `_` doubled and every other
///   character but ASCII letters and digits written as its code point in hex between
///   underscores (a leading digit too): `foo.bar` is `U__foo_2e_bar`. The Pushgateway (1.11, with
///   `--push.enable-utf8-names`) reads label names in a push URL this way.
/// - `underscores` (``escapeUnderscores(_:metric:)``): lossy, what a scraper that does not
///   accept UTF-8 names gets by default: every character outside the legacy rules becomes `_`.
public enum NameEscaping {
    /// `name` in the `values` scheme: unchanged when it follows the legacy metric-name rules
    /// (as Prometheus' encoder keeps them) and does not start with `U__`, else `U__` and the
    /// encoded characters.
    public static func escapeValues(_ name: String) -> String {
        if NameRules.isValidMetricName(name) && !name.hasPrefix("U__") { return name }
        var out = "U__"
        for (index, scalar) in name.unicodeScalars.enumerated() {
            // Kept as is: what may be anywhere in a legacy metric name, digits not first.
            let kept =
                scalar.isASCII
                && (NameRules.isMetricNameStart(UInt8(scalar.value))
                    || (index > 0 && NameRules.isMetricNameChar(UInt8(scalar.value))))
            if scalar == "_" {
                out += "__"
            } else if kept {
                out.unicodeScalars.append(scalar)
            } else {
                out += "_" + String(scalar.value, radix: 16) + "_"
            }
        }
        return out
    }

    /// Reads a name in the `values` scheme: a name starting with `U__` is decoded; a name that
    /// does not, or that holds an invalid sequence (an unclosed or overlong code, a code that is
    /// no Unicode scalar), is returned unchanged.
    public static func unescapeValues(_ name: String) -> String {
        guard name.hasPrefix("U__") else { return name }
        let scalars = Array(name.unicodeScalars.dropFirst(3))
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] != "_" {
                out.append(scalars[i])
                i += 1
                continue
            }
            i += 1
            guard i < scalars.count else { return name }
            if scalars[i] == "_" {
                out.append("_")
                i += 1
                continue
            }
            var value: UInt32 = 0
            var digits = 0
            while i < scalars.count, scalars[i] != "_" {
                guard digits < 6, scalars[i].isASCII, let digit = hexDigitValue(UInt8(scalars[i].value)) else {
                    return name
                }
                value = value << 4 | UInt32(digit)
                digits += 1
                i += 1
            }
            guard i < scalars.count, digits > 0, let scalar = Unicode.Scalar(value) else { return name }
            out.append(scalar)
            i += 1
        }
        return String(out)
    }

    /// `name` with every character outside the legacy rules replaced by `_` (a leading digit
    /// too): the metric-name rules when `metric`, else the label-name rules (no `:`).
    public static func escapeUnderscores(_ name: String, metric: Bool) -> String {
        if metric ? NameRules.isValidMetricName(name) : NameRules.isValidLabelName(name) { return name }
        var out = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            if scalar.isASCII, let byte = UInt8(exactly: scalar.value),
                index == 0
                    ? (metric ? NameRules.isMetricNameStart(byte) : NameRules.isLabelNameStart(byte))
                    : (metric ? NameRules.isMetricNameChar(byte) : NameRules.isLabelNameChar(byte))
            {
                out.unicodeScalars.append(scalar)
            } else {
                out += "_"
            }
        }
        return out.isEmpty ? "_" : out
    }
}
