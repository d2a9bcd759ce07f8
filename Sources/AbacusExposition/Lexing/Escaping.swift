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
    /// escaped, in the given order.
    @inlinable
    public static func appendLabelSet(_ labels: [Label], to buffer: inout [UInt8]) {
        for index in labels.indices {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: labels[index].name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(UInt8(ascii: "\""))
            appendLabelValue(labels[index].value, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
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

/// The name rules of the Prometheus data model.
public enum NameRules {
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
