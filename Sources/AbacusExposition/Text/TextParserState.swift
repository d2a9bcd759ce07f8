#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The line-by-line machinery behind ``TextParser``.
struct TextParserState: Sendable {
    var lineNumber = 0
    var collectProblems = false
    var problems: [ExpositionError] = []
    var completed: [MetricFamily] = []
    var current: FamilyBuilder?
    /// Families already completed, by name, to reject a family whose lines are split apart.
    var seen: [String: MetricType] = [:]
    var labels = LabelScratch()
    /// Which names are valid. Quoted names (`{"a.b"}`, `"a.b"="x"`, `# TYPE "a.b" gauge`) are
    /// read either way; with `legacy` one outside the legacy rules is refused.
    var names: NameValidation = .legacy

    mutating func take() -> [MetricFamily] {
        defer { completed.removeAll() }
        return completed
    }

    func fail(line: Int? = nil, _ message: String) throws -> Never {
        throw ExpositionError(line: line ?? lineNumber, message)
    }

    /// Parses every complete line of `buffer`; returns the offset just past the last line feed.
    mutating func consumeLines(_ buffer: UnsafeBufferPointer<UInt8>) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var start = 0
        let count = buffer.count
        while start < count {
            guard let hit = memchr(base + start, 0x0A, count - start) else { break }
            let end = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
            lineNumber += 1
            if collectProblems {
                do { try parseLine(buffer, start, end) } catch let error as ExpositionError { problems.append(error) }
            } else {
                try parseLine(buffer, start, end)
            }
            start = end + 1
        }
        return start
    }

    mutating func parseLine(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws {
        if end > start && b[end - 1] == 0x0D {
            try fail("line ends with CR LF; the text format separates lines with a line feed (\\n) only")
        }
        var i = skipBlanks(b, start, end)
        if i == end { return }  // blank line
        if b[i] == UInt8(ascii: "#") {
            try parseComment(b, i + 1, end)
            return
        }
        // A sample: name [labels] value [timestamp], or {"name", labels} value [timestamp]
        labels.reset()
        let name: Range<Int>
        if b[i] == UInt8(ascii: "{") {
            i = skipBlanks(b, i + 1, end)
            guard i < end, b[i] == UInt8(ascii: "\"") else {
                try fail("expected a quoted metric name after {, found \(i < end ? describe(b[i]) : "the line end")")
            }
            (name, i) = try quotedName(b, i, end, metric: true)
            i = skipBlanks(b, i, end)
            guard i < end, b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "}") else {
                try fail("expected , or } after the metric name \(text(b, name))")
            }
            i = b[i] == UInt8(ascii: "}") ? i + 1 : try parseLabels(b, i + 1, end, metric: name)
            i = skipBlanks(b, i, end)
        } else {
            let nameStart = i
            guard NameRules.isMetricNameStart(b[i]) else {
                try fail("expected a metric name or a # comment, found \(describe(b[i]))")
            }
            i += 1
            while i < end, NameRules.isMetricNameChar(b[i]) { i += 1 }
            name = nameStart..<i
            if i < end, b[i] != 0x20, b[i] != 0x09, b[i] != UInt8(ascii: "{") {
                try fail("invalid character \(describe(b[i])) in metric name \(text(b, nameStart..<i))")
            }
            i = skipBlanks(b, i, end)
            if i < end, b[i] == UInt8(ascii: "{") {
                i = try parseLabels(b, i + 1, end, metric: name)
                i = skipBlanks(b, i, end)
            }
        }
        let valueStart = i
        while i < end, b[i] != 0x20, b[i] != 0x09 { i += 1 }
        if valueStart == i { try fail("sample \(text(b, name)) has no value") }
        guard let value = FloatParsing.parse(UnsafeBufferPointer(rebasing: b[valueStart..<i])) else {
            try fail(
                "invalid value \"\(text(b, valueStart..<i))\" for \(text(b, name)) (expected a float, +Inf, -Inf or NaN)"
            )
        }
        i = skipBlanks(b, i, end)
        var timestamp: Int64?
        if i < end {
            let tsStart = i
            while i < end, b[i] != 0x20, b[i] != 0x09 { i += 1 }
            guard let ts = FloatParsing.parseInt64(UnsafeBufferPointer(rebasing: b[tsStart..<i])) else {
                try fail(
                    "invalid timestamp \"\(text(b, tsStart..<i))\" for \(text(b, name)) (expected integer milliseconds)"
                )
            }
            timestamp = ts
            i = skipBlanks(b, i, end)
            if i < end { try fail("unexpected \"\(text(b, i..<end))\" after the timestamp of \(text(b, name))") }
        }
        try addSample(b, name: name, value: value, timestamp: timestamp)
    }

    mutating func parseComment(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws {
        // `# HELP` and `# TYPE` need a blank after `#`; `#TYPE …` is an ordinary comment, as
        // Prometheus and Python's client read it.
        guard start < end, b[start] == 0x20 || b[start] == 0x09 else { return }
        var i = skipBlanks(b, start, end)
        let keywordStart = i
        while i < end, b[i] != 0x20, b[i] != 0x09 { i += 1 }
        let keyword = UnsafeBufferPointer(rebasing: b[keywordStart..<i])
        let isHelp = keyword.elementsEqual("HELP".utf8)
        guard isHelp || keyword.elementsEqual("TYPE".utf8) else { return }  // an ordinary comment
        let what = isHelp ? "HELP" : "TYPE"
        i = skipBlanks(b, i, end)
        let name: Range<Int>
        if i < end, b[i] == UInt8(ascii: "\"") {
            (name, i) = try quotedName(b, i, end, metric: true)
            if i < end && b[i] != 0x20 && b[i] != 0x09 { try fail("\(what) line without a valid metric name") }
        } else {
            let nameStart = i
            while i < end, NameRules.isMetricNameChar(b[i]) { i += 1 }
            name = nameStart..<i
            if name.isEmpty || !NameRules.isMetricNameStart(b[nameStart]) || (i < end && b[i] != 0x20 && b[i] != 0x09) {
                try fail("\(what) line without a valid metric name")
            }
        }
        i = skipBlanks(b, i, end)
        if isHelp {
            let help = try unescapeHelp(b, i, end)
            try applyMetadata(b, name: name) { builder in
                if builder.help != nil { return "second HELP line for \(builder.name)" }
                builder.help = help
                return nil
            }
        } else {
            let typeStart = i
            while i < end, b[i] != 0x20, b[i] != 0x09 { i += 1 }
            let token = UnsafeBufferPointer(rebasing: b[typeStart..<i])
            guard let type = Self.textTypes.first(where: { token.elementsEqual($0.1.utf8) })?.0 else {
                try fail(
                    "unknown metric type \"\(text(b, typeStart..<i))\" for \(text(b, name)) "
                        + "(expected counter, gauge, histogram, summary or untyped)")
            }
            if skipBlanks(b, i, end) != end { try fail("unexpected text after the TYPE of \(text(b, name))") }
            try applyMetadata(b, name: name) { builder in
                if builder.sawType { return "second TYPE line for \(builder.name)" }
                builder.type = type
                builder.sawType = true
                return nil
            }
        }
    }

    static let textTypes: [(MetricType, String)] = [
        (.counter, "counter"), (.gauge, "gauge"), (.histogram, "histogram"), (.summary, "summary"),
        (.untyped, "untyped"),
    ]

    mutating func applyMetadata(
        _ b: UnsafeBufferPointer<UInt8>, name: Range<Int>,
        _ apply: (inout FamilyBuilder) -> String?
    ) throws {
        let nameBytes = UnsafeBufferPointer(rebasing: b[name])
        if current == nil || !current!.nameBytes.withUnsafeBufferPointer({ bytesEqual($0, nameBytes) }) {
            try completeFamily()
            let nameString = String(decoding: nameBytes, as: UTF8.self)
            if seen[nameString] != nil {
                try fail("metadata for \(nameString) after its samples ended: all lines of a family must be together")
            }
            current = FamilyBuilder(name: nameString, line: lineNumber)
        }
        if current!.hasSamples {
            try fail("HELP or TYPE line for \(current!.name) after its samples; metadata must come first")
        }
        if let problem = apply(&current!) { try fail(problem) }
    }

    /// A quoted metric or label name at `b[start]` (a `"`): the range of its text and the index
    /// after the closing quote. The text must be non-empty UTF-8 without escapes (a name with a
    /// `"`, `\` or line feed is refused), and, under ``NameValidation/legacy``, follow the
    /// legacy rules.
    func quotedName(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, metric: Bool) throws -> (Range<Int>, Int)
    {
        var i = start + 1
        var ascii = true
        while i < end, b[i] != 0x22 {
            if b[i] == 0x5C { try fail("a quoted name with an escape (\\) is not supported") }
            if b[i] >= 0x80 { ascii = false }
            i += 1
        }
        let what = metric ? "metric" : "label"
        guard i < end else { try fail("quoted \(what) name is not terminated by a quote") }
        let range = (start + 1)..<i
        if range.isEmpty { try fail("empty \(what) name") }
        if !ascii, String(validating: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self) == nil {
            try fail("\(what) name is not valid UTF-8")
        }
        if names == .legacy {
            let bytes = UnsafeBufferPointer(rebasing: b[range])
            let valid = metric ? NameRules.isValidMetricName(bytes) : NameRules.isValidLabelName(bytes)
            if !valid {
                try fail("\"\(text(b, range))\" is not a valid \(what) name (UTF-8 names are not enabled)")
            }
        }
        return (range, i + 1)
    }

    /// HELP text: `\\` and `\n` are the only escapes; the text must be UTF-8.
    func unescapeHelp(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start
        while i < end {
            let c = b[i]
            if c == 0x5C {
                guard i + 1 < end else { try fail("HELP text ends with a lone backslash") }
                switch b[i + 1] {
                case 0x5C: out.append(0x5C)
                case UInt8(ascii: "n"): out.append(0x0A)
                default:
                    try fail("invalid escape \\\(describeRaw(b[i + 1])) in HELP text (only \\\\ and \\n are allowed)")
                }
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
        guard let help = String(validating: out, as: UTF8.self) else { try fail("HELP text is not valid UTF-8") }
        return help
    }

    /// Ends the current family: validates it and moves it to `completed`.
    mutating func completeFamily() throws {
        guard let builder = current else { return }
        current = nil
        seen[builder.name] = builder.type
        let family = builder.build()
        // Label names were checked (valid, not reserved, unique) as each line was read.
        let found = ExpositionValidator.findProblems(
            in: family, stopAtFirst: !collectProblems, labelNamesChecked: true, names: names)
        for problem in found {
            let line = problem.metricIndex.map { builder.metricLines[$0] } ?? builder.firstLine
            let error = ExpositionError(line: line, problem.message)
            if collectProblems { problems.append(error) } else { throw error }
        }
        completed.append(family)
    }
}

@inline(__always)
func skipBlanks(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
    var i = start
    while i < end, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
    return i
}

func text(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
    let clipped = range.lowerBound..<min(range.upperBound, range.lowerBound + 80)
    return String(decoding: UnsafeBufferPointer(rebasing: b[clipped]), as: UTF8.self)
}

func describe(_ byte: UInt8) -> String {
    "\"" + describeRaw(byte) + "\""
}

func describeRaw(_ byte: UInt8) -> String {
    if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
    let hex = String(byte, radix: 16, uppercase: true)
    return "\\x" + (hex.count == 1 ? "0" + hex : hex)
}
