/// Escaping of label values and HELP text in the text formats.
///
/// Text 0.0.4 and OpenMetrics escape a label value's `\`, `"` and line feed as `\\`, `\"` and
/// `\n`. HELP text escapes `\` and line feed in text 0.0.4, and also `"` in OpenMetrics.
public enum Escaping {
    /// Appends `text` escaped as a label value (without the surrounding quotes).
    @inlinable
    public static func appendLabelValue(_ text: String, to buffer: inout [UInt8]) {
        appendEscaped(text, quotes: true, to: &buffer)
    }

    /// Appends a label set as the text formats write it inside braces: `a="1",b="2"`, values
    /// escaped, in the given order; a name outside the legacy rules is quoted (`"a.b"="1"`).
    @inlinable
    public static func appendLabelSet(_ labels: [Label], to buffer: inout [UInt8]) {
        for index in labels.indices {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            appendLabelName(labels[index].name, to: &buffer)
            buffer.append(UInt8(ascii: "="))
            buffer.append(UInt8(ascii: "\""))
            appendLabelValue(labels[index].value, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
    }

    /// Appends a label name as the text formats write it: as is when it follows the legacy rules
    /// (`[a-zA-Z_][a-zA-Z0-9_]*`), otherwise quoted and escaped like a value (`"a.b"`), as
    /// Prometheus 3 writes and reads UTF-8 names.
    @inlinable
    public static func appendLabelName(_ name: String, to buffer: inout [UInt8]) {
        if NameRules.isValidLabelName(name) {
            buffer.append(contentsOf: name.utf8)
        } else {
            appendQuoted(name, to: &buffer)
        }
    }

    /// Appends a metric name as HELP, TYPE and UNIT lines write it: as is when it follows the
    /// legacy rules, otherwise quoted.
    @inlinable
    public static func appendMetadataName(_ name: String, to buffer: inout [UInt8]) {
        if NameRules.isValidMetricName(name) {
            buffer.append(contentsOf: name.utf8)
        } else {
            appendQuoted(name, to: &buffer)
        }
    }

    /// `"text"`, escaped as a label value.
    @inlinable
    public static func appendQuoted(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        appendEscaped(text, quotes: true, to: &buffer)
        buffer.append(UInt8(ascii: "\""))
    }

    /// Appends HELP text escaped for text 0.0.4 (`quotes: false`) or OpenMetrics (`quotes: true`).
    @inlinable
    public static func appendHelp(_ text: String, quotes: Bool, to buffer: inout [UInt8]) {
        appendEscaped(text, quotes: quotes, to: &buffer)
    }

    @inlinable
    static func appendEscaped(_ text: String, quotes: Bool, to buffer: inout [UInt8]) {
        let utf8 = text.utf8
        // Common case: nothing to escape, one bulk copy.
        let clean = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b == 0x5C || b == 0x0A || (quotes && b == 0x22) { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if clean == true { return }
        for b in utf8 {
            switch b {
            case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
            case 0x0A: buffer.append(0x5C); buffer.append(UInt8(ascii: "n"))
            case 0x22 where quotes: buffer.append(0x5C); buffer.append(0x22)
            default: buffer.append(b)
            }
        }
    }
}

/// Which metric and label names are valid: the Prometheus rules before UTF-8 names (`legacy`:
/// `[a-zA-Z_:][a-zA-Z0-9_:]*` and `[a-zA-Z_][a-zA-Z0-9_]*`), or any non-empty UTF-8 text (`utf8`,
/// as Prometheus 3 and Pushgateway 1.11 with `--push.enable-utf8-names` accept them).
public enum NameValidation: Sendable, Hashable {
    case legacy
    case utf8
}

/// The name rules of the Prometheus data model.
public enum NameRules {
    /// Whether `name` is a valid metric name under `validation`. Under ``NameValidation/utf8``:
    /// non-empty, without `"`, `\\` or a line feed (which Prometheus allows but would need
    /// escapes inside a quoted name; refused here).
    public static func isValidMetricName(_ name: String, _ validation: NameValidation) -> Bool {
        validation == .utf8 ? isValidUTF8Name(name) : isValidMetricName(name)
    }

    /// Whether `name` is a valid label name under `validation` (see
    /// ``isValidMetricName(_:_:)``).
    public static func isValidLabelName(_ name: String, _ validation: NameValidation) -> Bool {
        validation == .utf8 ? isValidUTF8Name(name) : isValidLabelName(name)
    }

    static func isValidUTF8Name(_ name: String) -> Bool {
        !name.isEmpty && !name.utf8.contains { $0 == 0x22 || $0 == 0x5C || $0 == 0x0A }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    public static func isValidMetricName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isValidMetricName($0) }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    public static func isValidLabelName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isValidLabelName($0) }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` over bytes.
    @inlinable
    public static func isValidMetricName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, isMetricNameStart(first) else { return false }
        for b in bytes.dropFirst() where !isMetricNameChar(b) { return false }
        return true
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*` over bytes.
    @inlinable
    public static func isValidLabelName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, isLabelNameStart(first) else { return false }
        for b in bytes.dropFirst() where !isLabelNameChar(b) { return false }
        return true
    }

    /// A label name that starts with `__` is reserved for Prometheus' internal use.
    public static func isReservedLabelName(_ name: String) -> Bool {
        name.utf8.starts(with: [0x5F, 0x5F])
    }

    /// `[a-zA-Z_]`: a byte that may start a label name.
    @inlinable @inline(__always)
    public static func isLabelNameStart(_ b: UInt8) -> Bool {
        let l = b | 0x20
        return (l >= 0x61 && l <= 0x7A) || b == 0x5F
    }

    /// `[a-zA-Z0-9_]`: a byte that may continue a label name.
    @inlinable @inline(__always)
    public static func isLabelNameChar(_ b: UInt8) -> Bool {
        isLabelNameStart(b) || (b >= 0x30 && b <= 0x39)
    }

    /// `[a-zA-Z_:]`: a byte that may start a metric name.
    @inlinable @inline(__always)
    public static func isMetricNameStart(_ b: UInt8) -> Bool {
        isLabelNameStart(b) || b == 0x3A
    }

    /// `[a-zA-Z0-9_:]`: a byte that may continue a metric name.
    @inlinable @inline(__always)
    public static func isMetricNameChar(_ b: UInt8) -> Bool {
        isLabelNameChar(b) || b == 0x3A
    }
}
