/// A streaming parser of the Prometheus text format 0.0.4.
///
/// It accepts what Prometheus and promtool accept — `#` comments, families without HELP or TYPE
/// (untyped), optional timestamps, blanks and tabs between tokens, a trailing comma in a label
/// set, escapes — and rejects the rest with the line number and the reason: a missing final
/// line feed, CRLF line ends, bad escapes, bad numbers, samples of one family split apart, a
/// TYPE or HELP line after its family's samples, duplicate series, invalid histograms and
/// summaries (every family also passes ``ExpositionValidator``).
///
/// A sample whose name does not belong to the family before it starts a new untyped family, as
/// in Prometheus' Go parser: a Python client's `x_created` line after counter `x_total` is the
/// untyped family `x_created`.
///
/// Feed input in chunks of any size with ``feed(_:)``; each call returns the families completed so
/// far, and ``finish()`` returns the last one. Cost: O(input); allocations grow with families and
/// distinct label sets, not with bytes (histogram bucket lines of one series allocate nothing).
public struct TextParser: Sendable {
    var state = TextParserState()
    /// The unfinished last line of the input fed so far.
    var pending: [UInt8] = []
    var finished = false
    /// The error that stopped the parser: once it has thrown, it throws the same error again.
    var failure: ExpositionError?

    /// Creates a parser; `names` says which metric and label names are valid.
    public init(names: NameValidation = .legacy) { state.names = names }

    /// Parses a whole exposition. Throws ``ExpositionError`` (with a line number). Names may be
    /// quoted (`{"a.b",x="1"} 1`, `"c.d"="v"`, `# TYPE "a.b" gauge`), as Prometheus 3 writes
    /// them; `names` says which are valid (``NameValidation/legacy`` by default).
    public static func parse(_ bytes: [UInt8], names: NameValidation = .legacy) throws -> [MetricFamily] {
        var state = TextParserState()
        state.names = names
        try bytes.withUnsafeBufferPointer { buffer in
            let consumed = try state.consumeLines(buffer)
            if consumed < buffer.count {
                try state.fail(line: state.lineNumber + 1, "the last line does not end with a line feed (\\n)")
            }
        }
        try state.completeFamily()
        return state.take()
    }

    /// Lints a whole exposition: every problem found, instead of stopping at the first one.
    /// After a syntax error the parser resumes at the next line.
    public static func problems(in bytes: [UInt8]) -> (families: [MetricFamily], problems: [ExpositionError]) {
        var state = TextParserState()
        state.collectProblems = true
        bytes.withUnsafeBufferPointer { buffer in
            let consumed = (try? state.consumeLines(buffer)) ?? buffer.count
            if consumed < buffer.count {
                state.problems.append(
                    ExpositionError(line: state.lineNumber + 1, "the last line does not end with a line feed (\\n)"))
            }
        }
        try? state.completeFamily()
        // Sorted by line, keeping the order of problems found on one line.
        let problems = state.problems.enumerated().sorted {
            ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset)
        }.map(\.element)
        return (state.take(), problems)
    }

    /// Parses the next chunk of input and returns the families it completed. After it has thrown,
    /// the parser rethrows that error on every call.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws -> [MetricFamily] {
        do {
            return try feedChunk(bytes)
        } catch let error as ExpositionError {
            failure = failure ?? error
            throw error
        }
    }

    mutating func feedChunk(_ bytes: some Collection<UInt8>) throws -> [MetricFamily] {
        if let failure { throw failure }
        if finished { throw ExpositionError("input fed after finish()") }
        if !pending.isEmpty {
            // Complete the pending line first.
            guard let newline = bytes.firstIndex(of: 0x0A) else {
                pending.append(contentsOf: bytes)
                return state.take()
            }
            pending.append(contentsOf: bytes[...newline])
            var line = pending
            pending = []
            _ = try line.withUnsafeMutableBufferPointer { try state.consumeLines(UnsafeBufferPointer($0)) }
            line.removeAll()
            return try feedContiguous(bytes[bytes.index(after: newline)...])
        }
        return try feedContiguous(bytes[...])
    }

    mutating func feedContiguous<C: Collection<UInt8>>(_ bytes: C) throws -> [MetricFamily] {
        let consumedDirectly = try bytes.withContiguousStorageIfAvailable { buffer -> Int in
            let consumed = try state.consumeLines(buffer)
            pending.append(contentsOf: buffer[consumed...])
            return consumed
        }
        if consumedDirectly == nil {
            let copy = Array(bytes)
            try copy.withUnsafeBufferPointer { buffer in
                let consumed = try state.consumeLines(buffer)
                pending.append(contentsOf: buffer[consumed...])
            }
        }
        return state.take()
    }

    /// Ends the input: checks the last line feed and returns the last family.
    public mutating func finish() throws -> [MetricFamily] {
        if let failure { throw failure }
        if finished { return [] }
        finished = true
        do {
            if !pending.isEmpty {
                try state.fail(line: state.lineNumber + 1, "the last line does not end with a line feed (\\n)")
            }
            try state.completeFamily()
        } catch let error as ExpositionError {
            failure = error
            throw error
        }
        return state.take()
    }
}
