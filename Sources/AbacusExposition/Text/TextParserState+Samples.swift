/// Label sets of the line being parsed: names are ranges of the input, values are unescaped
/// into one reused byte buffer. Nothing here allocates once the buffers have grown.
struct LabelScratch: Sendable {
    var names: [Range<Int>] = []
    var values: [Range<Int>] = []
    var valueBytes: [UInt8] = []
    var key: [UInt8] = []
    /// Names of a label set longer than 32 labels, to find duplicates in linear time.
    var longSetNames = Set<[UInt8]>()

    mutating func reset() {
        names.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        valueBytes.removeAll(keepingCapacity: true)
    }

    var count: Int { names.count }

    func index(of name: StaticString, in b: UnsafeBufferPointer<UInt8>) -> Int? {
        let target = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for k in 0..<names.count where bytesEqual(UnsafeBufferPointer(rebasing: b[names[k]]), target) { return k }
        return nil
    }

    /// Byte key of every label but `skip`, in order: name 0x00 value 0x01 …
    mutating func buildKey(_ b: UnsafeBufferPointer<UInt8>, skipping skip: Int?) {
        key.removeAll(keepingCapacity: true)
        for k in 0..<names.count where k != skip {
            key.append(contentsOf: UnsafeBufferPointer(rebasing: b[names[k]]))
            key.append(0)
            valueBytes.withUnsafeBufferPointer { key.append(contentsOf: UnsafeBufferPointer(rebasing: $0[values[k]])) }
            key.append(1)
        }
    }

    /// The labels as model values, without `skip`. Values were checked to be UTF-8 when parsed.
    func makeLabels(_ b: UnsafeBufferPointer<UInt8>, skipping skip: Int?) -> [Label] {
        var labels: [Label] = []
        labels.reserveCapacity(names.count)
        valueBytes.withUnsafeBufferPointer { valueBuffer in
            for k in 0..<names.count where k != skip {
                labels.append(
                    Label(
                        String(decoding: UnsafeBufferPointer(rebasing: b[names[k]]), as: UTF8.self),
                        String(decoding: UnsafeBufferPointer(rebasing: valueBuffer[values[k]]), as: UTF8.self)))
            }
        }
        return labels
    }

    func value(_ k: Int) -> Double? {
        valueBytes.withUnsafeBufferPointer { FloatParsing.parse(UnsafeBufferPointer(rebasing: $0[values[k]])) }
    }
}

extension TextParserState {
    /// Parses `name="value", …}` after the opening brace; returns the index after `}`.
    mutating func parseLabels(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, metric: Range<Int>) throws
        -> Int
    {
        var i = start
        while true {
            i = skipBlanks(b, i, end)
            guard i < end else { try fail("label set of \(text(b, metric)) is not closed with }") }
            if b[i] == UInt8(ascii: "}") { return i + 1 }
            let name: Range<Int>
            if b[i] == UInt8(ascii: "\"") {
                (name, i) = try quotedName(b, i, end, metric: false)
            } else {
                guard NameRules.isLabelNameStart(b[i]) else {
                    try fail("invalid label name starting with \(describe(b[i])) in \(text(b, metric))")
                }
                let nameStart = i
                while i < end, NameRules.isLabelNameChar(b[i]) { i += 1 }
                name = nameStart..<i
            }
            i = skipBlanks(b, i, end)
            guard i < end, b[i] == UInt8(ascii: "=") else {
                try fail("expected = after label name \(text(b, name)) in \(text(b, metric))")
            }
            i = skipBlanks(b, i + 1, end)
            guard i < end, b[i] == UInt8(ascii: "\"") else {
                try fail("value of label \(text(b, name)) in \(text(b, metric)) must be in double quotes")
            }
            i += 1
            let valueStart = labels.valueBytes.count
            var ascii = true
            var closed = false
            while i < end {
                // Copy the run up to the next quote or backslash in one go.
                let runStart = i
                var high: UInt8 = 0
                while i < end, b[i] != 0x22, b[i] != 0x5C {
                    high |= b[i]
                    i += 1
                }
                if high >= 0x80 { ascii = false }
                if i > runStart { labels.valueBytes.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i])) }
                guard i < end else { break }
                if b[i] == 0x22 {
                    closed = true
                    i += 1
                    break
                }
                guard i + 1 < end else { break }
                switch b[i + 1] {
                case 0x5C: labels.valueBytes.append(0x5C)
                case 0x22: labels.valueBytes.append(0x22)
                case UInt8(ascii: "n"): labels.valueBytes.append(0x0A)
                default:
                    try fail(
                        "invalid escape \\\(describeRaw(b[i + 1])) in the value of label \(text(b, name)) "
                            + "(only \\\\, \\\" and \\n are allowed)")
                }
                i += 2
            }
            if !closed {
                try fail("value of label \(text(b, name)) in \(text(b, metric)) is not terminated by a quote")
            }
            let valueRange = valueStart..<labels.valueBytes.count
            if !ascii {
                let valid = labels.valueBytes.withUnsafeBufferPointer {
                    String(validating: UnsafeBufferPointer(rebasing: $0[valueRange]), as: UTF8.self) != nil
                }
                if !valid { try fail("value of label \(text(b, name)) in \(text(b, metric)) is not valid UTF-8") }
            }
            try checkNewLabelName(b, name, metric: metric)
            labels.names.append(name)
            labels.values.append(valueRange)
            i = skipBlanks(b, i, end)
            guard i < end else { try fail("label set of \(text(b, metric)) is not closed with }") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { return i + 1 }
            try fail(
                "expected , or } after the value of label \(text(b, name)) in \(text(b, metric)), found \(describe(b[i]))"
            )
        }
    }

    mutating func checkNewLabelName(_ b: UnsafeBufferPointer<UInt8>, _ name: Range<Int>, metric: Range<Int>) throws {
        let candidate = UnsafeBufferPointer(rebasing: b[name])
        if candidate.count >= 2, candidate[0] == 0x5F, candidate[1] == 0x5F {
            try fail(
                "label name \(text(b, name)) in \(text(b, metric)) is reserved (names starting with __ are for Prometheus)"
            )
        }
        // Real label sets are short: a scan beats hashing. Past 32 labels (hostile input) the
        // names go into a hash set so the cost stays linear.
        if labels.names.count < 32 {
            for existing in labels.names where existing.count == name.count {
                if bytesEqual(UnsafeBufferPointer(rebasing: b[existing]), candidate) {
                    try fail("duplicate label name \(text(b, name)) in \(text(b, metric))")
                }
            }
        } else {
            if labels.names.count == 32 {
                labels.longSetNames.removeAll(keepingCapacity: true)
                for existing in labels.names {
                    labels.longSetNames.insert(Array(UnsafeBufferPointer(rebasing: b[existing])))
                }
            }
            if !labels.longSetNames.insert(Array(candidate)).inserted {
                try fail("duplicate label name \(text(b, name)) in \(text(b, metric))")
            }
        }
    }

    /// Files one parsed sample under its family.
    mutating func addSample(_ b: UnsafeBufferPointer<UInt8>, name: Range<Int>, value: Double, timestamp: Int64?) throws
    {
        let sampleName = UnsafeBufferPointer(rebasing: b[name])
        var role = current?.role(of: sampleName)
        if role == nil {
            try completeFamily()
            let familyName = String(decoding: sampleName, as: UTF8.self)
            if seen[familyName] != nil {
                try fail("samples of \(familyName) are split apart: all lines of a family must be together")
            }
            for suffix in ["_bucket", "_sum", "_count"] where familyName.hasSuffix(suffix) {
                let base = String(familyName.dropLast(suffix.count))
                if let type = seen[base], type == .histogram || (type == .summary && suffix != "_bucket") {
                    try fail(
                        "samples of \(type.openMetricsName) \(base) are split apart: all lines of a family must be together"
                    )
                }
            }
            current = FamilyBuilder(name: familyName, line: lineNumber)
            role = .value
        }
        let line = lineNumber
        switch role! {
        case .value:
            let labelSet = labels.makeLabels(b, skipping: nil)
            let metricValue: MetricValue
            switch current!.type {
            case .counter: metricValue = .counter(CounterValue(value))
            case .gauge: metricValue = .gauge(value)
            default: metricValue = .untyped(value)
            }
            current!.metrics.append(Metric(labels: labelSet, value: metricValue, timestampMs: timestamp))
            current!.metricLines.append(line)
        case .histogramBase:
            try fail("histogram \(current!.name) has a sample without a _bucket, _sum or _count suffix")
        case .quantile:
            guard let q = labels.index(of: "quantile", in: b) else {
                try fail("summary \(current!.name) has a sample without a quantile label")
            }
            guard let rank = labels.value(q) else {
                try fail("invalid quantile \"\(labels.valueText(q))\" in \(current!.name)")
            }
            let index = try series(b, skipping: q, timestamp: timestamp)
            current!.partials[index].summary.quantiles.append(Quantile(quantile: rank, value: value))
        case .bucket:
            guard let le = labels.index(of: "le", in: b) else {
                try fail("histogram bucket \(current!.name)_bucket has no le label")
            }
            guard let bound = labels.value(le) else {
                try fail("invalid le \"\(labels.valueText(le))\" in \(current!.name)_bucket")
            }
            let index = try series(b, skipping: le, timestamp: timestamp)
            current!.partials[index].histogram.buckets.append(Bucket(upperBound: bound, cumulativeCount: value))
        case .sum, .count:
            let reserved: StaticString = current!.type == .histogram ? "le" : "quantile"
            if labels.index(of: reserved, in: b) != nil {
                try fail("\(text(b, name)) must not have a label named \(reserved)")
            }
            let index = try series(b, skipping: nil, timestamp: timestamp)
            let isHistogram = current!.type == .histogram
            let already = current!.partials[index].set(isSum: role! == .sum, value, histogram: isHistogram)
            if already {
                try fail(
                    "duplicate series \(text(b, name))\(ExpositionValidator.render(current!.partials[index].labels))")
            }
        }
    }

    /// The histogram or summary series this line belongs to; its timestamp must match.
    mutating func series(_ b: UnsafeBufferPointer<UInt8>, skipping skip: Int?, timestamp: Int64?) throws -> Int {
        labels.buildKey(b, skipping: skip)
        let scratch = labels
        let index = current!.partialIndex(key: scratch.key, line: lineNumber, timestampMs: timestamp) {
            scratch.makeLabels(b, skipping: skip)
        }
        if current!.partials[index].timestampMs != timestamp {
            try fail(
                "samples of one \(current!.type.openMetricsName) series of \(current!.name) carry different timestamps")
        }
        return index
    }
}

extension LabelScratch {
    func valueText(_ k: Int) -> String {
        valueBytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[values[k]]), as: UTF8.self)
        }
    }
}
