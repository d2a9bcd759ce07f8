extension OpenMetricsPoint {
    /// Adds one sample line to the point, checking the rules for its kind.
    /// `special` is the sample's `le`, `quantile` or state label, when its kind has one.
    mutating func add(
        _ kind: OpenMetricsSampleKind, _ sample: RawSample, special: RawLabel?, family: String,
        type: MetricType, lexer: OpenMetricsLexer
    ) throws {
        let v = sample.value
        // Strings for messages only: nothing is allocated on the happy path.
        func sampleName() -> String { lexer.text(sample.nameStart, sample.nameEnd) }
        func duplicate() -> ExpositionError {
            lexer.error(
                "duplicate sample \(describe(sampleName())): the metric already has this sample at this timestamp")
        }
        func counterLike(_ what: String) throws {
            if v.isNaN { throw lexer.error("\(what) \(describe(sampleName())) is NaN") }
            if v < 0 {
                throw lexer.error("\(what) \(describe(sampleName())) is negative (\(NumberFormatting.string(v)))")
            }
        }
        func integral(_ what: String) throws {
            if v.isFinite, v != v.rounded(.towardZero) {
                throw lexer.error(
                    "\(what) \(describe(sampleName())) must be an integer, not \(NumberFormatting.string(v))")
            }
        }
        lastLine = lexer.line
        switch kind {
        case .value:
            guard scalar == nil else { throw duplicate() }
            scalar = v
        case .total:
            guard total == nil else { throw duplicate() }
            try counterLike("counter total")
            total = v
            exemplar = sample.exemplar.map { Exemplar(labels: $0.labels, value: $0.value, timestamp: $0.timestamp) }
        case .created:
            guard created == nil else { throw duplicate() }
            guard v.isFinite else {
                throw lexer.error("created time \(describe(sampleName())) must be a finite number of seconds")
            }
            created = v
        case .bucket:
            try addBucket(sample, special: special, lexer: lexer)
        case .count:
            guard count == nil else { throw duplicate() }
            try counterLike("count")
            try integral("count")
            count = v
        case .sum:
            guard sum == nil else { throw duplicate() }
            if v.isNaN { throw lexer.error("sum \(describe(sampleName())) is NaN") }
            if v < 0, type != .gaugeHistogram {  // a negative _gsum is checked with the buckets
                throw lexer.error("sum \(describe(sampleName())) is negative (\(NumberFormatting.string(v)))")
            }
            sum = v
        case .quantile:
            let q = try Self.bound(special, name: "quantile", lexer: lexer)
            guard q >= 0, q <= 1 else {
                throw lexer.error(
                    "quantile \(lexer.text(special?.valueStart ?? 0, special?.valueEnd ?? 0)) is not between 0 and 1")
            }
            if quantiles.count < 32 {
                if quantiles.contains(where: { $0.quantile == q }) { throw duplicate() }
            } else {
                if longQuantileRanks == nil { longQuantileRanks = Set(quantiles.map(\.quantile)) }
                if !longQuantileRanks!.insert(q).inserted { throw duplicate() }
            }
            if v < 0 {
                throw lexer.error(
                    "quantile value \(describe(sampleName())) is negative (\(NumberFormatting.string(v)))")
            }
            quantiles.append(Quantile(quantile: q, value: v))
        case .info:
            guard !sawInfo else { throw duplicate() }
            guard v == 1 else {
                throw lexer.error(
                    "info sample \(describe(sampleName())) must have the value 1, not \(NumberFormatting.string(v))")
            }
            sawInfo = true
        case .state:
            guard let special else { throw lexer.error("stateset sample \(sampleName()) has no label \(family)") }
            let state = try lexer.value(of: special)
            guard v == 0 || v == 1 else {
                throw lexer.error(
                    "stateset sample \(describe(sampleName())) for state \"\(state)\" must be 0 or 1, not \(NumberFormatting.string(v))"
                )
            }
            let repeated: Bool
            if states.count < 32 {
                repeated = states.contains(where: { $0.name == state })
            } else {
                if longStateNames == nil { longStateNames = Set(states.map(\.name)) }
                repeated = !longStateNames!.insert(state).inserted
            }
            if repeated {
                throw lexer.error("state \"\(state)\" of \(describe(sampleName())) appears twice")
            }
            states.append(State(state, isSet: v == 1))
        }
    }

    private mutating func addBucket(_ sample: RawSample, special: RawLabel?, lexer: OpenMetricsLexer) throws {
        let v = sample.value
        let le = try Self.bound(special, name: "le", lexer: lexer)
        func sampleName() -> String { lexer.text(sample.nameStart, sample.nameEnd) }
        var leText: String { lexer.text(special?.valueStart ?? 0, special?.valueEnd ?? 0) }
        if let previous = buckets.last {
            if le == previous.upperBound {
                throw lexer.error("duplicate bucket le=\"\(leText)\" in \(describe(sampleName()))")
            }
            if le < previous.upperBound {
                throw lexer.error(
                    "bucket le=\"\(leText)\" of \(describe(sampleName())) comes after a larger bound: buckets must be in increasing le order"
                )
            }
        }
        if v.isNaN { throw lexer.error("bucket le=\"\(leText)\" of \(describe(sampleName())) has a NaN count") }
        if v < 0 { throw lexer.error("bucket le=\"\(leText)\" of \(describe(sampleName())) has a negative count") }
        if v.isFinite, v != v.rounded(.towardZero) {
            throw lexer.error(
                "bucket le=\"\(leText)\" of \(describe(sampleName())) must have an integer count, not \(NumberFormatting.string(v))"
            )
        }
        if let previous = buckets.last, v < previous.cumulativeCount {
            throw lexer.error(
                "bucket le=\"\(leText)\" of \(describe(sampleName())) has a smaller count than the bucket before it: counts must be cumulative"
            )
        }
        var exemplar: Exemplar?
        if let e = sample.exemplar {
            if !e.value.isNaN, e.value > le || (buckets.last.map { e.value <= $0.upperBound } ?? false) {
                throw lexer.error(
                    "exemplar value \(NumberFormatting.string(e.value)) is outside the range of bucket le=\"\(leText)\""
                )
            }
            exemplar = Exemplar(labels: e.labels, value: e.value, timestamp: e.timestamp)
        }
        buckets.append(Bucket(upperBound: le, cumulativeCount: v, exemplar: exemplar))
    }

    /// Reads an `le` or `quantile` label value: any OpenMetrics number except NaN, with
    /// infinities spelled exactly `+Inf` or `-Inf`.
    static func bound(_ label: RawLabel?, name: String, lexer: OpenMetricsLexer) throws -> Double {
        guard let label else { throw lexer.error("missing \(name) label") }
        let bytes = lexer.bytes(label.valueStart, label.valueEnd)
        var text: String { lexer.text(label.valueStart, label.valueEnd) }
        guard !label.escaped, let value = FloatParsing.parse(bytes) else {
            throw lexer.error("\(name) value \"\(text)\" is not a number")
        }
        if value.isNaN { throw lexer.error("\(name) value must not be NaN") }
        if value.isInfinite, !bytes.elementsEqual("+Inf".utf8), !bytes.elementsEqual("-Inf".utf8) {
            throw lexer.error("\(name) value \"\(text)\" must be written \(value > 0 ? "+Inf" : "-Inf")")
        }
        return value
    }
}
