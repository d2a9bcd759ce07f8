/// Decodes and validates one JSON-lines ops message (docs/ops.md).
///
/// The message must be one JSON object (surrounding whitespace allowed). Checked here, on the
/// message alone: strict JSON (see ``OpsFramer`` for streams); `name` by the Prometheus rules;
/// label names (`[a-zA-Z_][a-zA-Z0-9_]*`, no `__` prefix, no repeats, no `le` on `obs`;
/// `quantile` is allowed) and label values (strings only: a number or `null` as a label value
/// is rejected, not converted); `op`; `value` present and finite for `inc`, `set`, `add` and
/// `obs`, ≥ 0 for `inc`, optional for `event` and `shutdown`; the bucket fields (`buckets` an
/// integer in 1…``OpsLimits/maxBuckets``, `bucket_width` > 0, `bucket_factor` > 1,
/// `0 < bucket_min < bucket_max` given together, `bucket_custom` non-empty, finite, strictly
/// increasing), each checked whenever present, and the bounds of the chosen layout (finite and
/// strictly increasing); the ``OpsLimits``.
///
/// Unknown fields are skipped (forward compatible) but must still be valid JSON; a known field
/// of the wrong type, or twice, is rejected. `null` counts as absent. When the bytes are not
/// JSON the reason is `invalid_json` even if a field before the error was also wrong.
///
/// Cost: one pass over the bytes; allocates the strings of the message (names and values of up
/// to 15 bytes are stored inline and do not allocate) and one array for its labels. Errors are
/// typed (`throws(OpsRejection)`), so rejecting costs no more than accepting.
public enum OpsDecoder {
    /// Decodes one message from `bytes`; throws why it was rejected.
    public static func decode(_ bytes: UnsafeRawBufferPointer, limits: OpsLimits = .default) throws(OpsRejection)
        -> OpsMessage
    {
        var cursor = JSONCursor(bytes)
        var rejection: OpsRejection?
        var message: OpsMessage?
        do throws(JSONSyntaxError) {
            if try cursor.peekSignificant() != UInt8(ascii: "{") {
                rejection = OpsRejection(
                    .invalidJSON, "a message must be a JSON object, found \(JSONCursor.describe(bytes[cursor.index]))")
            } else {
                message = try decodeObject(&cursor, limits: limits, rejection: &rejection)
                cursor.skipWhitespace()
                if cursor.index != cursor.end {
                    message = nil
                    rejection = OpsRejection(
                        .invalidJSON,
                        "unexpected \(JSONCursor.describe(bytes[cursor.index])) after the message at byte \(cursor.index)"
                    )
                }
            }
        } catch {
            throw self.rejection(for: error)
        }
        if let message { return message }
        throw rejection ?? OpsRejection(.invalidJSON, "unreadable message")
    }

    /// Decodes one message from `bytes` (any collection; contiguous ones are not copied).
    public static func decode(_ bytes: some Collection<UInt8>, limits: OpsLimits = .default) throws(OpsRejection)
        -> OpsMessage
    {
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in
                Result { () throws(OpsRejection) in try decode(UnsafeRawBufferPointer(buffer), limits: limits) }
            }
            ?? Array(bytes).withUnsafeBytes { raw in
                Result { () throws(OpsRejection) in try decode(raw, limits: limits) }
            }
        return try result.get()
    }

    static func rejection(for error: JSONSyntaxError) -> OpsRejection {
        OpsRejection(.invalidJSON, "\(error.message) at byte \(error.offset)")
    }

    // MARK: Fields

    enum Field: UInt16 {
        case name = 1, help = 2, labels = 4, op = 8, value = 16, buckets = 32, bucketWidth = 64
        case bucketMin = 128, bucketMax = 256, bucketFactor = 512, bucketCustom = 1024, bucketStart = 2048
        case index = 4096, timestamp = 8192

        var key: String {
            switch self {
            case .name: "name"
            case .help: "help"
            case .labels: "labels"
            case .op: "op"
            case .value: "value"
            case .buckets: "buckets"
            case .bucketWidth: "bucket_width"
            case .bucketMin: "bucket_min"
            case .bucketMax: "bucket_max"
            case .bucketFactor: "bucket_factor"
            case .bucketCustom: "bucket_custom"
            case .bucketStart: "bucket_start"
            case .index: "index"
            case .timestamp: "timestamp"
            }
        }
    }

    @inline(__always)
    static func matches(_ p: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard p.count == n else { return false }
        let w = word.utf8Start
        for i in 0..<n where p[i] != w[i] { return false }
        return true
    }

    static func field(_ p: UnsafeRawBufferPointer) -> Field? {
        switch p.count {
        case 2: return matches(p, "op") ? .op : nil
        case 4: return matches(p, "name") ? .name : matches(p, "help") ? .help : nil
        case 5: return matches(p, "value") ? .value : matches(p, "index") ? .index : nil
        case 6: return matches(p, "labels") ? .labels : nil
        case 7: return matches(p, "buckets") ? .buckets : nil
        case 9: return matches(p, "timestamp") ? .timestamp : nil
        case 10: return matches(p, "bucket_min") ? .bucketMin : matches(p, "bucket_max") ? .bucketMax : nil
        case 12: return matches(p, "bucket_width") ? .bucketWidth : matches(p, "bucket_start") ? .bucketStart : nil
        case 13: return matches(p, "bucket_factor") ? .bucketFactor : matches(p, "bucket_custom") ? .bucketCustom : nil
        default: return nil
        }
    }

    static func operation(_ p: UnsafeRawBufferPointer) -> OpsOperation? {
        switch p.count {
        case 3:
            if matches(p, "inc") { return .inc }
            if matches(p, "set") { return .set }
            if matches(p, "add") { return .add }
            if matches(p, "obs") { return .obs }
            if matches(p, "raw") { return .raw }
            return nil
        case 5: return matches(p, "event") ? .event : matches(p, "index") ? .index : nil
        case 8: return matches(p, "shutdown") ? .shutdown : nil
        default: return nil
        }
    }

    /// The numeric bucket fields (a trivial type: checking them copies no references).
    struct BucketFields {
        var buckets: Double?
        var width: Double?
        var min: Double?
        var max: Double?
        var factor: Double?
        var start: Double?
    }

    /// Everything read from the object before the checks that need several fields.
    struct Fields {
        var seen: UInt16 = 0
        var name: String?
        var help: String?
        var labels: [Label] = []
        var op: OpsOperation?
        var value: Double?
        var nameIsValid = false
        var bucket = BucketFields()
        var custom: [Double]?
        var index: String?
        var timestampNs: Int64?
        /// A `timestamp` that is not RFC 3339 (refused for `event`, `index` and `raw` only).
        var badTimestamp: String?
        /// The first problem found while reading; reported only if the JSON is valid throughout.
        var rejection: OpsRejection?

        mutating func reject(_ reason: OpsRejection.Reason, _ message: @autoclosure () -> String) {
            if rejection == nil { rejection = OpsRejection(reason, message()) }
        }
    }

    /// Decodes the object whose `{` is the next significant byte, leaving the cursor just after
    /// its `}`. Throws only for JSON errors (including running out of input); for every other
    /// problem it returns `nil` and sets `rejection`.
    static func decodeObject(_ c: inout JSONCursor, limits: OpsLimits, rejection: inout OpsRejection?)
        throws(JSONSyntaxError) -> OpsMessage?
    {
        var f = Fields()
        try c.expect(UInt8(ascii: "{"), "'{'")
        if try c.peekSignificant() == UInt8(ascii: "}") {
            c.index += 1
        } else {
            while true {
                guard try c.peekSignificant() == UInt8(ascii: "\"") else {
                    throw c.invalid("expected a field name in quotes, found \(JSONCursor.describe(c.base[c.index]))")
                }
                let key = try c.readString()
                try c.expect(UInt8(ascii: ":"), "':'")
                if let field = c.withBytes(of: key, field) {
                    if f.seen & field.rawValue != 0 {
                        f.reject(.invalidField, "field \"\(field.key)\" appears twice")
                    }
                    f.seen |= field.rawValue
                    try readField(field, &c, &f, limits: limits)
                } else {
                    try c.skipValue(depth: 1, maxDepth: limits.maxDepth)
                }
                let next = try c.peekSignificant()
                c.index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else {
                    c.index -= 1
                    throw c.invalid("expected ',' or '}', found \(JSONCursor.describe(next))")
                }
            }
        }
        if let problem = f.rejection {
            rejection = problem
            return nil
        }
        do {
            return try validate(&f, limits: limits)
        } catch {
            rejection = error
            return nil
        }
    }

    static func typeName(_ b: UInt8) -> String {
        switch b {
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "{"): "an object"
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
        case UInt8(ascii: "n"): "null"
        default: "a number"
        }
    }

    /// Reads a number, or `nil` for `null`; any other type is recorded as `invalid_field`.
    @inline(__always)
    static func nonZero(_ value: Double?) -> Double? {
        value == 0 ? nil : value
    }

    static func readNumber(_ field: Field, _ c: inout JSONCursor, _ f: inout Fields, limits: OpsLimits)
        throws(JSONSyntaxError) -> Double?
    {
        let b = try c.peekSignificant()
        if b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) {
            return try c.readNumber()
        }
        if b == UInt8(ascii: "n") {
            try c.readLiteral("null")
            return nil
        }
        f.reject(.invalidField, "\"\(field.key)\" must be a number, not \(typeName(b))")
        try c.skipValue(depth: 1, maxDepth: limits.maxDepth)
        return nil
    }

    /// Reads a string token, or `nil` for `null`; any other type is recorded as `invalid_field`.
    static func readStringToken(_ field: Field, _ c: inout JSONCursor, _ f: inout Fields, limits: OpsLimits)
        throws(JSONSyntaxError) -> JSONStringToken?
    {
        let b = try c.peekSignificant()
        if b == UInt8(ascii: "\"") { return try c.readString() }
        if b == UInt8(ascii: "n") {
            try c.readLiteral("null")
            return nil
        }
        f.reject(.invalidField, "\"\(field.key)\" must be a string, not \(typeName(b))")
        try c.skipValue(depth: 1, maxDepth: limits.maxDepth)
        return nil
    }

    static func readField(_ field: Field, _ c: inout JSONCursor, _ f: inout Fields, limits: OpsLimits)
        throws(JSONSyntaxError)
    {
        switch field {
        case .name:
            if let token = try readStringToken(field, &c, &f, limits: limits) {
                f.nameIsValid = c.withBytes(of: token) { isValidMetricName($0, limits: limits) }
                f.name = c.string(of: token)
            }
        case .help:
            if let token = try readStringToken(field, &c, &f, limits: limits) {
                let length = c.withBytes(of: token) { $0.count }
                if length > limits.maxHelpLength {
                    f.reject(.limitExceeded, "help is \(length) bytes long, the limit is \(limits.maxHelpLength)")
                } else if length > 0 {
                    // "help": "" is no help (the original's Go struct cannot tell them apart).
                    f.help = c.string(of: token)
                }
            }
        case .op:
            if let token = try readStringToken(field, &c, &f, limits: limits) {
                if let op = c.withBytes(of: token, operation) {
                    f.op = op
                } else {
                    let text = String(c.string(of: token).prefix(64))
                    f.reject(
                        .unknownOp,
                        "unknown op \"\(text)\" (expected inc, set, add, obs, event, index, raw or shutdown)")
                }
            }
        case .value: f.value = try readNumber(field, &c, &f, limits: limits)
        // A bucket field that is 0 is absent: the original decodes into a Go struct, where 0 and
        // absent are the same, and Go clients send every field of their struct.
        case .buckets: f.bucket.buckets = nonZero(try readNumber(field, &c, &f, limits: limits))
        case .bucketWidth: f.bucket.width = nonZero(try readNumber(field, &c, &f, limits: limits))
        case .bucketMin: f.bucket.min = nonZero(try readNumber(field, &c, &f, limits: limits))
        case .bucketMax: f.bucket.max = nonZero(try readNumber(field, &c, &f, limits: limits))
        case .bucketFactor: f.bucket.factor = nonZero(try readNumber(field, &c, &f, limits: limits))
        case .bucketStart: f.bucket.start = nonZero(try readNumber(field, &c, &f, limits: limits))
        case .index:
            if let token = try readStringToken(field, &c, &f, limits: limits) {
                let length = c.withBytes(of: token) { $0.count }
                if length > limits.maxLabelValueLength {
                    f.reject(
                        .limitExceeded, "index is \(length) bytes long, the limit is \(limits.maxLabelValueLength)")
                } else if length > 0 {
                    f.index = c.string(of: token)
                }
            }
        case .timestamp:
            // Go's zero time.Time (what a Go client's unset field marshals to) is absent; a bad
            // one is refused only for the operations that use it (see validate).
            if let token = try readStringToken(field, &c, &f, limits: limits) {
                if c.withBytes(of: token, { RFC3339.isGoZeroTime($0) }) {
                    break
                } else if let ns = c.withBytes(of: token, { RFC3339.nanoseconds($0) }) {
                    f.timestampNs = ns
                } else {
                    f.badTimestamp = String(c.string(of: token).prefix(64))
                }
            }
        case .labels: try readLabels(&c, &f, limits: limits)
        case .bucketCustom: try readCustomBuckets(&c, &f, limits: limits)
        }
    }

    static func readLabels(_ c: inout JSONCursor, _ f: inout Fields, limits: OpsLimits) throws(JSONSyntaxError) {
        let b = try c.peekSignificant()
        if b == UInt8(ascii: "n") { return try c.readLiteral("null") }
        guard b == UInt8(ascii: "{") else {
            f.reject(.invalidField, "\"labels\" must be an object of strings, not \(typeName(b))")
            return try c.skipValue(depth: 1, maxDepth: limits.maxDepth)
        }
        c.index += 1
        if try c.peekSignificant() == UInt8(ascii: "}") {
            c.index += 1
            return
        }
        var count = 0
        while true {
            guard try c.peekSignificant() == UInt8(ascii: "\"") else {
                throw c.invalid("expected a label name in quotes, found \(JSONCursor.describe(c.base[c.index]))")
            }
            let nameToken = try c.readString()
            try c.expect(UInt8(ascii: ":"), "':'")
            let valueByte = try c.peekSignificant()
            count += 1
            if valueByte != UInt8(ascii: "\"") {
                if f.rejection == nil {
                    let name = String(c.string(of: nameToken).prefix(64))
                    f.reject(
                        .invalidLabel, "the value of label \"\(name)\" must be a string, not \(typeName(valueByte))")
                }
                try c.skipValue(depth: 2, maxDepth: limits.maxDepth)
            } else {
                let valueToken = try c.readString()
                if f.rejection == nil {
                    if count > limits.maxLabels {
                        f.reject(.limitExceeded, "more than \(limits.maxLabels) labels")
                    } else if let problem = c.withBytes(of: nameToken, { labelNameProblem($0, limits: limits) }) {
                        f.reject(.invalidLabel, problem)
                    } else {
                        let valueLength = c.withBytes(of: valueToken) { $0.count }
                        let name = c.string(of: nameToken)
                        if valueLength > limits.maxLabelValueLength {
                            f.reject(
                                .limitExceeded,
                                "the value of label \"\(name)\" is \(valueLength) bytes long, the limit is \(limits.maxLabelValueLength)"
                            )
                        } else if f.labels.contains(where: { $0.name == name }) {
                            f.reject(.invalidLabel, "label \"\(name)\" appears twice")
                        } else {
                            if f.labels.isEmpty { f.labels.reserveCapacity(4) }
                            f.labels.append(Label(name, c.string(of: valueToken)))
                        }
                    }
                }
            }
            let next = try c.peekSignificant()
            c.index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else {
                c.index -= 1
                throw c.invalid("expected ',' or '}' in labels, found \(JSONCursor.describe(next))")
            }
        }
    }

    static func labelNameProblem(_ p: UnsafeRawBufferPointer, limits: OpsLimits) -> String? {
        if p.isEmpty { return "a label name is empty" }
        if p.count > limits.maxNameLength {
            return "a label name is \(p.count) bytes long, the limit is \(limits.maxNameLength)"
        }
        let first = p[0]
        var valid = isLetterOrUnderscore(first)
        if valid {
            for b in p where !(isLetterOrUnderscore(b) || isDigit(b)) {
                valid = false
                break
            }
        }
        if valid && !(p.count >= 2 && p[0] == UInt8(ascii: "_") && p[1] == UInt8(ascii: "_")) { return nil }
        let shown = String(decoding: p.prefix(64), as: UTF8.self)
        if !valid { return "invalid label name \"\(shown)\" (allowed: [a-zA-Z_][a-zA-Z0-9_]*)" }
        return "label name \"\(shown)\" is reserved (names starting with __ are for Prometheus)"
    }

    @inline(__always)
    static func isLetterOrUnderscore(_ b: UInt8) -> Bool {
        (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") || b == UInt8(ascii: "_")
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` within the length limit.
    static func isValidMetricName(_ p: UnsafeRawBufferPointer, limits: OpsLimits) -> Bool {
        guard !p.isEmpty, p.count <= limits.maxNameLength, !isDigit(p[0]) else { return false }
        for b in p where !(isLetterOrUnderscore(b) || isDigit(b) || b == UInt8(ascii: ":")) { return false }
        return true
    }

    static func metricNameProblem(_ name: String, limits: OpsLimits) -> (OpsRejection.Reason, String)? {
        let utf8 = name.utf8
        if utf8.isEmpty { return (.invalidName, "the metric name is empty") }
        if utf8.count > limits.maxNameLength {
            return (.limitExceeded, "the metric name is \(utf8.count) bytes long, the limit is \(limits.maxNameLength)")
        }
        var first = true
        for b in utf8 {
            if !(isLetterOrUnderscore(b) || b == UInt8(ascii: ":") || (!first && isDigit(b))) {
                return (
                    .invalidName,
                    "invalid metric name \"\(String(name.prefix(64)))\" (allowed: [a-zA-Z_:][a-zA-Z0-9_:]*)"
                )
            }
            first = false
        }
        return nil
    }
}
