/// Reads OpenMetrics 1.0 text into metric families, following the specification strictly.
///
/// Everything the specification forbids is rejected with an ``ExpositionError`` naming the
/// 1-based line and the problem: a missing `# EOF` or anything after it, lines not ending in a
/// line feed, blank lines, comments, carriage returns, spaces where none belong, unknown
/// escapes (only `\\`, `\"` and `\n`), duplicate label names, metadata after samples or twice,
/// a UNIT that is not a suffix of the family name, sample names that do not fit the family's
/// type, interleaved families or metrics, exemplars other than on counter `_total` and
/// histogram `_bucket` samples (or longer than 128 code points), histogram buckets out of
/// order or without `+Inf`, NaN or negative counts, info values other than 1, stateset values
/// other than 0 and 1, invalid UTF-8. Every family is finally checked by
/// ``ExpositionValidator``.
///
/// Mapping to the model: a counter family `foo` becomes `foo_total`; an info family keeps its
/// name (without `_info`); `unknown` becomes ``MetricType/untyped``; an empty HELP or UNIT is
/// absent. Timestamps (seconds) become ``Metric/timestampMs``, rounded to the nearest
/// millisecond (halves away from zero). A metric exposed with several MetricPoints (strictly
/// increasing timestamps) becomes consecutive ``Metric``s with the same labels.
public enum OpenMetricsParser {
    /// Parses a complete exposition. O(input size); label strings are created once per metric,
    /// not once per sample.
    public static func parse(_ bytes: [UInt8]) throws -> [MetricFamily] {
        try bytes.withUnsafeBufferPointer { buffer in
            var session = OpenMetricsSession(input: buffer)
            return try session.run()
        }
    }
}

/// Which family reserved a sample name, for clash and interleaving messages.
private struct Reservation {
    var family: String
    var type: MetricType
    var line: Int
}

/// One parse: walks the lines, dispatches metadata and samples, closes families.
struct OpenMetricsSession {
    private var lexer: OpenMetricsLexer
    private var families: [MetricFamily] = []
    private var family: OpenMetricsFamilyState?
    /// Every sample name a finished family could expose.
    private var reserved: [String: Reservation] = [:]
    private var previousFamily: String?
    private var labels: [RawLabel] = []

    init(input: UnsafeBufferPointer<UInt8>) {
        lexer = OpenMetricsLexer(input: input)
    }

    mutating func run() throws -> [MetricFamily] {
        let input = lexer.input
        let n = input.count
        if n >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            throw ExpositionError(line: 1, "the exposition starts with a byte order mark, which OpenMetrics forbids")
        }
        var start = 0
        var line = 1
        while start < n {
            lexer.line = line
            var end = start
            while end < n, input[end] != 0x0A { end += 1 }
            if isEOF(start, end) {
                if end + 1 < n {
                    throw ExpositionError(line: line + 1, "unexpected content after # EOF")
                }
                try finishFamily()
                return families
            }
            if end == n {
                throw lexer.error(
                    "missing # EOF at the end of the exposition (this last line is also not terminated by a line feed)")
            }
            if end == start { throw lexer.error("blank lines are not allowed") }
            if input[end - 1] == 0x0D {
                throw lexer.error("line ends with a carriage return: OpenMetrics lines end with \\n only")
            }
            if input[start] == UInt8(ascii: "#") {
                try metadata(start, end)
            } else {
                try sample(start, end)
            }
            start = end + 1
            line += 1
        }
        throw ExpositionError(line: line, "missing # EOF at the end of the exposition")
    }

    private func isEOF(_ start: Int, _ end: Int) -> Bool {
        lexer.bytes(start, end).elementsEqual("# EOF".utf8)
    }

    // MARK: Metadata

    private enum Keyword { case type, help, unit }

    private mutating func metadata(_ start: Int, _ end: Int) throws {
        let input = lexer.input
        let onlyMetadata = "lines starting with # must be # TYPE, # HELP, # UNIT or # EOF (comments are not allowed)"
        guard start + 1 < end, input[start + 1] == UInt8(ascii: " ") else { throw lexer.error(onlyMetadata) }
        var i = start + 2
        let keywordStart = i
        while i < end, input[i] != UInt8(ascii: " ") { i += 1 }
        let word = lexer.bytes(keywordStart, i)
        let keyword: Keyword
        if word.elementsEqual("TYPE".utf8) {
            keyword = .type
        } else if word.elementsEqual("HELP".utf8) {
            keyword = .help
        } else if word.elementsEqual("UNIT".utf8) {
            keyword = .unit
        } else {
            throw lexer.error(onlyMetadata)
        }
        let keywordText = lexer.text(keywordStart, i)
        guard i < end else { throw lexer.error("# \(keywordText) needs a metric name") }
        i += 1
        let nameStart = i
        while i < end, NameRules.isMetricNameChar(input[i]) { i += 1 }
        guard i > nameStart, NameRules.isMetricNameStart(input[nameStart]) else {
            throw lexer.error("# \(keywordText) needs a metric name, found \(lexer.describe(nameStart, end))")
        }
        let nameEnd = i
        guard i < end, input[i] == UInt8(ascii: " ") else {
            throw lexer.error(
                "expected a space after the metric name in # \(keywordText), found \(lexer.describe(i, end))")
        }
        i += 1
        let name = lexer.bytes(nameStart, nameEnd)
        if let current = family, name.elementsEqual(current.nameBytes) {
            if current.hasSamples {
                throw lexer.error(
                    "# \(keywordText) for \(current.name) comes after its samples: metadata must come first")
            }
        } else {
            try finishFamily()
            try startFamily(lexer.text(nameStart, nameEnd), fromSample: false)
        }
        switch keyword {
        case .type: try setType(i, end)
        case .help: try setHelp(i, end)
        case .unit: try setUnit(i, end)
        }
    }

    private mutating func setType(_ start: Int, _ end: Int) throws {
        let name = family!.name
        if family!.sawType { throw lexer.error("second # TYPE line for \(name)") }
        let word = lexer.bytes(start, end)
        guard let type = MetricType.allCases.first(where: { word.elementsEqual($0.openMetricsName.utf8) }) else {
            let text = lexer.text(start, end)
            if text == "untyped" { throw lexer.error("unknown metric type untyped: OpenMetrics calls it unknown") }
            throw lexer.error(
                "unknown metric type \(text) (expected counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown)"
            )
        }
        family!.sawType = true
        family!.type = type
    }

    private mutating func setHelp(_ start: Int, _ end: Int) throws {
        let name = family!.name
        if family!.sawHelp { throw lexer.error("second # HELP line for \(name)") }
        family!.sawHelp = true
        var escaped = false
        var i = start
        while i < end {
            if lexer.input[i] == UInt8(ascii: "\\") {
                let e = i + 1 < end ? lexer.input[i + 1] : 0
                guard e == UInt8(ascii: "\\") || e == UInt8(ascii: "\"") || e == UInt8(ascii: "n") else {
                    throw lexer.error(
                        "invalid escape sequence in the help of \(name): only \\\\, \\\" and \\n are allowed")
                }
                escaped = true
                i += 2
            } else {
                i += 1
            }
        }
        if start == end { return }  // empty HELP: as if there were none
        family!.help = try lexer.unescaped(start, end, escaped: escaped, what: "the help of \(name)")
    }

    private mutating func setUnit(_ start: Int, _ end: Int) throws {
        let name = family!.name
        if family!.sawUnit { throw lexer.error("second # UNIT line for \(name)") }
        family!.sawUnit = true
        for i in start..<end where !NameRules.isMetricNameChar(lexer.input[i]) {
            throw lexer.error(
                "unit of \(name) may only contain letters, digits, _ and :, found \(lexer.describe(i, end))")
        }
        if start == end { return }  // empty UNIT: as if there were none
        let unit = lexer.text(start, end)
        guard name.hasSuffix("_" + unit) else {
            throw lexer.error(
                "unit \(unit) is not a suffix of the family name \(name) (expected a name ending in _\(unit))")
        }
        family!.unit = unit
        family!.unitLine = lexer.line
    }

    // MARK: Samples

    private mutating func sample(_ start: Int, _ end: Int) throws {
        let raw = try lexer.lexSample(start, end, labels: &labels)
        let name = lexer.bytes(raw.nameStart, raw.nameEnd)
        var kind: OpenMetricsSampleKind?
        if let current = family {
            kind = OpenMetricsSampleKind.of(sample: name, family: current.nameBytes, type: current.type)
        }
        if kind == nil {
            // A name that cannot belong to the current family starts an unknown-typed one.
            try finishFamily()
            try startFamily(lexer.text(raw.nameStart, raw.nameEnd), fromSample: true)
            kind = .value
        }
        try family!.add(raw, kind!, labels: labels, lexer: lexer)
    }

    // MARK: Families

    private mutating func startFamily(_ name: String, fromSample: Bool) throws {
        if let owner = reserved[name] {
            let type = owner.type.openMetricsName
            if fromSample, owner.family == previousFamily {
                throw lexer.error(
                    "sample name \(name) does not belong to family \(owner.family) (\(type)): its samples are named \(OpenMetricsSampleKind.expectedNames(family: owner.family, type: owner.type))"
                )
            }
            if owner.family == name {
                throw lexer.error(
                    "metric family \(name) appears again (it started on line \(owner.line)): a family's lines must be contiguous"
                )
            }
            if fromSample {
                throw lexer.error(
                    "sample \(name) belongs to family \(owner.family) (\(type)) from line \(owner.line), which has already ended: families must not be interleaved"
                )
            }
            throw lexer.error(
                "family \(name) clashes with family \(owner.family) (\(type)) from line \(owner.line), which can expose samples named \(name)"
            )
        }
        family = OpenMetricsFamilyState(name: name, line: lexer.line)
    }

    private mutating func finishFamily() throws {
        guard var current = family else { return }
        family = nil
        let finished = try current.finish(lexer: lexer)
        for reservedName in OpenMetricsSampleKind.reservedNames(family: current.name, type: current.type) {
            if let other = reserved[reservedName] {
                throw ExpositionError(
                    line: current.startLine,
                    "family \(current.name) (\(current.type.openMetricsName)) clashes with family \(other.family) from line \(other.line): both could expose samples named \(reservedName)"
                )
            }
            reserved[reservedName] = Reservation(family: current.name, type: current.type, line: current.startLine)
        }
        previousFamily = current.name
        families.append(finished)
    }
}
