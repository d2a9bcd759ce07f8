/// Writes an ``OpsMessage`` as one compact JSON line, as a client (or a forwarding gateway)
/// sends it: `{"name":…,"help":…,"labels":{…},"op":…,"value":…,<bucket fields>}\n`.
///
/// `help` and `labels` are left out when absent or empty, `name` when empty (a `shutdown`);
/// bucket fields are written for `obs` only, and only where they differ from the defaults;
/// `index` and `timestamp` (RFC 3339, UTC) when the message has them.
/// Numbers are the shortest text that reads back as the same `Double`, integral values
/// without a fraction (`1`, not `1.0`). Strings escape `"`, `\` and control characters.
/// For every message ``OpsDecoder`` accepts, `decode(encode(m)) == m`. O(size of the message).
public enum OpsEncoder {
    /// The message as one `\n`-terminated JSON line.
    public static func encode(_ message: OpsMessage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + message.labels.count * 32)
        encode(message, into: &out)
        return out
    }

    /// Appends the message as one `\n`-terminated JSON line to `out`.
    public static func encode(_ message: OpsMessage, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ k: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        if !message.name.isEmpty {
            key("name")
            JSONString.append(message.name, to: &out)
        }
        if let help = message.help, !help.isEmpty {
            key("help")
            JSONString.append(help, to: &out)
        }
        if !message.labels.isEmpty {
            key("labels")
            out.append(UInt8(ascii: "{"))
            for (i, label) in message.labels.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.append(label.name, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONString.append(label.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        key("op")
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: message.op.rawValue.utf8)
        out.append(UInt8(ascii: "\""))
        key("value")
        appendNumber(message.value, to: &out)
        if let index = message.index {
            key("index")
            JSONString.append(index, to: &out)
        }
        if let timestampNs = message.timestampNs {
            key("timestamp")
            JSONString.append(RFC3339.format(nanoseconds: timestampNs), to: &out)
        }
        if message.op == .obs, let layout = message.histogram, layout != .default {
            func count(_ n: Int) {
                if n != HistogramLayout.defaultCount {
                    key("buckets")
                    appendNumber(Double(n), to: &out)
                }
            }
            switch layout {
            case .linear(let start, let width, let n):
                count(n)
                if width != HistogramLayout.defaultWidth {
                    key("bucket_width")
                    appendNumber(width, to: &out)
                }
                if start != HistogramLayout.defaultLinearStart {
                    key("bucket_start")
                    appendNumber(start, to: &out)
                }
            case .exponentialRange(let min, let max, let n):
                count(n)
                key("bucket_min")
                appendNumber(min, to: &out)
                key("bucket_max")
                appendNumber(max, to: &out)
            case .exponentialFactor(let start, let factor, let n):
                count(n)
                key("bucket_factor")
                appendNumber(factor, to: &out)
                if start != HistogramLayout.defaultFactorStart {
                    key("bucket_start")
                    appendNumber(start, to: &out)
                }
            case .custom(let bounds):
                key("bucket_custom")
                out.append(UInt8(ascii: "["))
                for (i, bound) in bounds.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    appendNumber(bound, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
    }

    /// Appends a JSON number: integral values of magnitude below 2^53 as integers, others in
    /// the shortest round-trip form. Non-finite values (which JSON cannot express) become `null`.
    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        if value == value.rounded(.towardZero) && value.magnitude < 9_007_199_254_740_992 {
            if value == 0 {
                if value.sign == .minus { out.append(UInt8(ascii: "-")) }
                out.append(UInt8(ascii: "0"))
                return
            }
            out.append(contentsOf: String(Int64(value)).utf8)  // short: usually an inline string
            return
        }
        // `description` is the shortest round-trip form, e.g. 0.1, 1e-05, 1.5e+300: valid JSON.
        out.append(contentsOf: value.description.utf8)
    }
}
