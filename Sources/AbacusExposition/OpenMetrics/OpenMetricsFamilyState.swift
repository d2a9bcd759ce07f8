/// A family being read: its metadata, finished metrics and the point in progress.
struct OpenMetricsFamilyState {
    /// The family name as written on the wire (a counter's without `_total`).
    let name: String
    let nameBytes: [UInt8]
    let startLine: Int
    var type: MetricType = .untyped
    var sawType = false
    var sawHelp = false
    var sawUnit = false
    var help: String?
    var unit: String?
    var unitLine = 0
    var hasSamples = false
    var metrics: [Metric] = []
    /// Sorted label sets of the metrics seen so far, to catch interleaving.
    var seen = Set<[Label]>()
    var point: OpenMetricsPoint?

    init(name: String, line: Int) {
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.startLine = line
    }

    /// The family name in the model: a counter's gets `_total` back.
    var modelName: String { type == .counter ? name + "_total" : name }

    /// Adds one sample line of this family. `labels` are the sample's labels.
    mutating func add(
        _ sample: RawSample, _ kind: OpenMetricsSampleKind, labels: [RawLabel],
        lexer: OpenMetricsLexer
    ) throws {
        hasSamples = true
        let input = lexer.input
        // Find the type's own label and reject it where it does not belong.
        var special = -1
        for (k, label) in labels.enumerated() {
            let labelName = lexer.bytes(label.nameStart, label.nameEnd)
            let isHistogram = type == .histogram || type == .gaugeHistogram
            if isHistogram, labelName.elementsEqual("le".utf8) {
                guard kind == .bucket else {
                    throw lexer.error(
                        "the le label is only allowed on \(name)_bucket samples, not on \(lexer.text(sample.nameStart, sample.nameEnd))"
                    )
                }
                special = k
            } else if type == .summary, labelName.elementsEqual("quantile".utf8) {
                guard kind == .quantile else {
                    throw lexer.error(
                        "the quantile label is only allowed on the quantile samples of \(name), not on \(lexer.text(sample.nameStart, sample.nameEnd))"
                    )
                }
                special = k
            } else if type == .stateSet, labelName.elementsEqual(nameBytes) {
                special = k
            }
        }
        if special < 0 {
            switch kind {
            case .bucket:
                throw lexer.error("histogram bucket \(lexer.text(sample.nameStart, sample.nameEnd)) has no le label")
            case .quantile:
                throw lexer.error(
                    "summary sample \(name) has no quantile label (its other samples are \(name)_count, \(name)_sum and \(name)_created)"
                )
            case .state: throw lexer.error("stateset sample \(name) has no label named \(name) giving the state")
            default: break
            }
        }
        if sample.exemplar != nil, kind != .total, kind != .bucket {
            throw lexer.error(
                "exemplars are only allowed on counter _total and histogram _bucket samples, not on \(lexer.text(sample.nameStart, sample.nameEnd))"
            )
        }

        // Same metric as the point in progress? Compare bytes first, label sets second.
        var same = point?.matchesRaw(labels, skipping: special, in: input) ?? false
        var materialized: [Label] = []
        var key: [Label] = []
        if !same {
            materialized.reserveCapacity(labels.count)
            for (k, label) in labels.enumerated() where k != special {
                materialized.append(try lexer.makeLabel(label))
            }
            key = materialized.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            same = point?.key == key
        }
        let ts = sample.timestampMs
        if same, let current = point {
            if ts != current.timestampMs {
                guard let t = ts, let previous = current.timestampMs else {
                    throw lexer.error("\(current.describe(name)) mixes samples with and without timestamps")
                }
                guard t > previous else {
                    throw lexer.error(
                        "timestamps of \(current.describe(name)) differ within its samples and go backwards")
                }
                // A later timestamp starts a second MetricPoint of the same metric. The model
                // holds one value per series, so this valid but rare form is refused plainly.
                throw lexer.error(
                    "\(current.describe(name)) has a second MetricPoint (a sample with a later timestamp); only one MetricPoint per metric is supported"
                )
            }
        } else {
            try finishPoint(lexer: lexer)
            guard seen.insert(key).inserted else {
                let what = name + ExpositionValidator.render(materialized)
                if type == .info {
                    throw lexer.error("duplicate info metric \(what)")
                }
                throw lexer.error(
                    "\(what) appears again after other metrics of \(name): a metric's samples must be contiguous")
            }
            var raw = labels
            if special >= 0 { raw.remove(at: special) }
            point = OpenMetricsPoint(labels: materialized, key: key, raw: raw, timestampMs: ts, line: lexer.line)
        }
        try point!.add(
            kind, sample, special: special >= 0 ? labels[special] : nil, family: name, type: type,
            lexer: lexer)
    }

    /// Turns the point in progress into a metric.
    mutating func finishPoint(lexer: OpenMetricsLexer) throws {
        guard let p = point else { return }
        point = nil
        let value = try p.value(type: type, name: name) { ExpositionError(line: p.lastLine, $0) }
        metrics.append(Metric(labels: p.labels, value: value, timestampMs: p.timestampMs))
    }

    /// The finished family, checked by ``ExpositionValidator``.
    mutating func finish(lexer: OpenMetricsLexer) throws -> MetricFamily {
        try finishPoint(lexer: lexer)
        if let unit, type == .info || type == .stateSet {
            throw ExpositionError(
                line: unitLine, "\(type.openMetricsName) family \(name) must not have a unit (got \(unit))")
        }
        let family = MetricFamily(name: modelName, type: type, help: help, unit: unit, metrics: metrics)
        do {
            try ExpositionValidator.validate([family])
        } catch let error as ExpositionError {
            throw ExpositionError(line: startLine, "family \(name): \(error.message)")
        }
        return family
    }
}
