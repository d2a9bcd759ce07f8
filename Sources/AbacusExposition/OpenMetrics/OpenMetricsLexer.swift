/// A label as it appears in the input: byte ranges of its name and of its still-escaped value.
struct RawLabel {
    var nameStart: Int
    var nameEnd: Int
    var valueStart: Int
    var valueEnd: Int
    /// Whether the value contains an escape sequence.
    var escaped: Bool
}

/// An exemplar as it appears on a sample line.
struct RawExemplar {
    var labels: [Label]
    var value: Double
    var timestamp: Double?
}

/// One sample line split into its parts; labels point into the input.
struct RawSample {
    var nameStart = 0
    var nameEnd = 0
    var value = 0.0
    var timestampMs: Int64?
    var exemplar: RawExemplar?
}

/// Splits OpenMetrics sample lines into tokens, over the input's bytes. `line` is set by the
/// parser before each line so errors name it.
struct OpenMetricsLexer {
    let input: UnsafeBufferPointer<UInt8>
    var line = 1

    init(input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    func error(_ message: String) -> ExpositionError {
        ExpositionError(line: line, message)
    }

    func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: input[start..<end]), as: UTF8.self)
    }

    func bytes(_ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: input[start..<end])
    }

    /// Describes the byte at `i` (or the end of the line) for messages.
    func describe(_ i: Int, _ end: Int) -> String {
        if i >= end { return "the end of the line" }
        let b = input[i]
        switch b {
        case UInt8(ascii: " "): return "a space"
        case UInt8(ascii: "\t"): return "a tab"
        case UInt8(ascii: "\r"): return "a carriage return"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(b)))'"
        default: return "byte 0x\(String(b, radix: 16, uppercase: true))"
        }
    }

    /// Lexes a sample line `[start, end)` (without its line feed); fills `labels` with the
    /// sample's labels.
    func lexSample(_ start: Int, _ end: Int, labels: inout [RawLabel]) throws -> RawSample {
        var sample = RawSample()
        var i = start
        while i < end, NameRules.isMetricNameChar(input[i]) { i += 1 }
        if i == start || !NameRules.isMetricNameStart(input[start]) {
            throw error("expected a metric name at the start of the line, found \(describe(start, end))")
        }
        sample.nameStart = start
        sample.nameEnd = i
        labels.removeAll(keepingCapacity: true)
        if i < end, input[i] == UInt8(ascii: "{") {
            i = try lexLabels(from: i, end, into: &labels)
        }
        guard i < end, input[i] == UInt8(ascii: " ") else {
            throw error("expected a space and a value after \(text(start, min(i, end))), found \(describe(i, end))")
        }
        i += 1
        let valueEnd = tokenEnd(i, end)
        sample.value = try number(i, valueEnd, what: "sample value")
        i = valueEnd
        if i == end { return sample }
        i += 1  // the space
        if i < end, input[i] == UInt8(ascii: "#") {
            sample.exemplar = try lexExemplar(i, end)
            return sample
        }
        let tsEnd = tokenEnd(i, end)
        sample.timestampMs = try timestamp(i, tsEnd)
        i = tsEnd
        if i == end { return sample }
        i += 1
        guard i < end, input[i] == UInt8(ascii: "#") else {
            throw error("unexpected text after the timestamp: \(text(i, end))")
        }
        sample.exemplar = try lexExemplar(i, end)
        return sample
    }

    /// The end of the token starting at `i`: the next space or the end of the line. An empty
    /// token (two spaces, or a trailing space) is reported by the caller's number check.
    private func tokenEnd(_ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end, input[j] != UInt8(ascii: " ") { j += 1 }
        return j
    }

    func number(_ start: Int, _ end: Int, what: String) throws -> Double {
        if start == end {
            throw error("missing \(what) (extra or trailing space?)")
        }
        guard let value = FloatParsing.parse(bytes(start, end)) else {
            throw error("\(what) \(text(start, end)) is not a number")
        }
        return value
    }

    private func timestamp(_ start: Int, _ end: Int) throws -> Int64 {
        if start == end { throw error("missing timestamp (extra or trailing space?)") }
        guard let ms = OpenMetricsNumbers.parseTimestampMilliseconds(bytes(start, end)) else {
            throw error("timestamp \(text(start, end)) is not a finite number of seconds in range")
        }
        return ms
    }

    /// ` # {labels} value [timestamp]`, starting at the `#`.
    private func lexExemplar(_ start: Int, _ end: Int) throws -> RawExemplar {
        var i = start + 1
        guard i + 1 < end, input[i] == UInt8(ascii: " "), input[i + 1] == UInt8(ascii: "{") else {
            throw error("an exemplar must be written ' # {labels} value', found \(text(start, end))")
        }
        i += 1
        var raw: [RawLabel] = []
        i = try lexLabels(from: i, end, into: &raw)
        var labels: [Label] = []
        labels.reserveCapacity(raw.count)
        var codePoints = 0
        for r in raw {
            let label = try makeLabel(r)
            codePoints += r.nameEnd - r.nameStart + label.value.unicodeScalars.count
            labels.append(label)
        }
        if codePoints > 128 {
            throw error("exemplar labels are \(codePoints) code points long; at most 128 are allowed")
        }
        guard i < end, input[i] == UInt8(ascii: " ") else {
            throw error("expected a space and a value after the exemplar's labels, found \(describe(i, end))")
        }
        i += 1
        let valueEnd = tokenEnd(i, end)
        let value = try number(i, valueEnd, what: "exemplar value")
        i = valueEnd
        var timestamp: Double?
        if i < end {
            i += 1
            let tsEnd = tokenEnd(i, end)
            let ts = try number(i, tsEnd, what: "exemplar timestamp")
            guard ts.isFinite else { throw error("exemplar timestamp \(text(i, tsEnd)) is not finite") }
            timestamp = ts
            if tsEnd != end { throw error("unexpected text after the exemplar: \(text(tsEnd, end))") }
        }
        return RawExemplar(labels: labels, value: value, timestamp: timestamp)
    }

    /// Lexes `{name="value",…}` starting at the `{`; returns the index after the `}`.
    func lexLabels(from start: Int, _ end: Int, into labels: inout [RawLabel]) throws -> Int {
        var i = start + 1
        // Real label sets are short and scanned for duplicate names; past 32 labels (hostile
        // input) the names go into a hash set, so the cost stays linear.
        var longSetNames: Set<[UInt8]>?
        if i < end, input[i] == UInt8(ascii: "}") { return i + 1 }
        while true {
            let nameStart = i
            if i < end, NameRules.isLabelNameStart(input[i]) {
                i += 1
                while i < end, NameRules.isLabelNameChar(input[i]) { i += 1 }
            }
            if i == nameStart {
                if i < end, input[i] == UInt8(ascii: "}") {
                    throw error("trailing comma in label set")
                }
                throw error("expected a label name, found \(describe(i, end))")
            }
            let nameEnd = i
            guard i < end, input[i] == UInt8(ascii: "=") else {
                throw error("expected '=' after label name \(text(nameStart, nameEnd)), found \(describe(i, end))")
            }
            i += 1
            guard i < end, input[i] == UInt8(ascii: "\"") else {
                throw error(
                    "the value of label \(text(nameStart, nameEnd)) must be in double quotes, found \(describe(i, end))"
                )
            }
            i += 1
            let valueStart = i
            var escaped = false
            while true {
                guard i < end else { throw error("label value not terminated") }
                let b = input[i]
                if b == UInt8(ascii: "\"") { break }
                if b == UInt8(ascii: "\\") {
                    escaped = true
                    guard i + 1 < end else { throw error("label value not terminated") }
                    let e = input[i + 1]
                    guard e == UInt8(ascii: "\\") || e == UInt8(ascii: "\"") || e == UInt8(ascii: "n") else {
                        throw error(
                            "invalid escape sequence in the value of label \(text(nameStart, nameEnd)): only \\\\, \\\" and \\n are allowed"
                        )
                    }
                    i += 2
                } else {
                    i += 1
                }
            }
            let name = bytes(nameStart, nameEnd)
            if labels.count < 32 {
                for other in labels where bytesEqual(bytes(other.nameStart, other.nameEnd), name) {
                    throw error("duplicate label name \(text(nameStart, nameEnd))")
                }
            } else {
                if longSetNames == nil {
                    longSetNames = Set(labels.map { Array(bytes($0.nameStart, $0.nameEnd)) })
                }
                if !longSetNames!.insert(Array(name)).inserted {
                    throw error("duplicate label name \(text(nameStart, nameEnd))")
                }
            }
            labels.append(
                RawLabel(
                    nameStart: nameStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: i,
                    escaped: escaped))
            i += 1  // closing quote
            guard i < end else { throw error("label set not terminated: expected ',' or '}'") }
            if input[i] == UInt8(ascii: "}") { return i + 1 }
            guard input[i] == UInt8(ascii: ",") else {
                throw error(
                    "expected ',' or '}' after the value of label \(text(nameStart, nameEnd)), found \(describe(i, end))"
                )
            }
            i += 1
        }
    }

    /// The unescaped value of a label, validated as UTF-8.
    func value(of label: RawLabel) throws -> String {
        try unescaped(
            label.valueStart, label.valueEnd, escaped: label.escaped,
            what: "the value of label \(text(label.nameStart, label.nameEnd))")
    }

    func makeLabel(_ label: RawLabel) throws -> Label {
        Label(text(label.nameStart, label.nameEnd), try value(of: label))
    }

    /// Unescapes `\\`, `\"` and `\n` (the lexer or caller has checked that no other escape
    /// occurs) and validates UTF-8.
    func unescaped(_ start: Int, _ end: Int, escaped: Bool, what: String) throws -> String {
        if !escaped {
            guard let s = String(validating: bytes(start, end), as: UTF8.self) else {
                throw error("\(what) is not valid UTF-8")
            }
            return s
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start
        while i < end {
            let b = input[i]
            if b == UInt8(ascii: "\\"), i + 1 < end {
                let e = input[i + 1]
                out.append(e == UInt8(ascii: "n") ? UInt8(ascii: "\n") : e)
                i += 2
            } else {
                out.append(b)
                i += 1
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw error("\(what) is not valid UTF-8")
        }
        return s
    }
}
