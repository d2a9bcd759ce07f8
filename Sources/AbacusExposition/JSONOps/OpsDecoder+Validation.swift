extension OpsDecoder {
    static func readCustomBuckets(_ c: inout JSONCursor, _ f: inout Fields, limits: OpsLimits) throws(JSONSyntaxError) {
        let b = try c.peekSignificant()
        if b == UInt8(ascii: "n") { return try c.readLiteral("null") }
        guard b == UInt8(ascii: "[") else {
            f.reject(.invalidField, "\"bucket_custom\" must be an array of numbers, not \(typeName(b))")
            return try c.skipValue(depth: 1, maxDepth: limits.maxDepth)
        }
        c.index += 1
        var bounds: [Double] = []
        var ok = true
        if try c.peekSignificant() == UInt8(ascii: "]") {
            c.index += 1
        } else {
            while true {
                let e = try c.peekSignificant()
                if e == UInt8(ascii: "-") || isDigit(e) {
                    let bound = try c.readNumber()
                    if ok {
                        if bounds.count >= limits.maxBuckets {
                            f.reject(.invalidBuckets, "\"bucket_custom\" has more than \(limits.maxBuckets) bounds")
                            ok = false
                        } else {
                            bounds.append(bound)
                        }
                    }
                } else {
                    if ok {
                        f.reject(.invalidBuckets, "\"bucket_custom\" must contain only numbers, found \(typeName(e))")
                    }
                    ok = false
                    try c.skipValue(depth: 2, maxDepth: limits.maxDepth)
                }
                let next = try c.peekSignificant()
                c.index += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else {
                    c.index -= 1
                    throw c.invalid("expected ',' or ']' in bucket_custom, found \(JSONCursor.describe(next))")
                }
            }
        }
        // [] is absent, as null is: the original's Go slice is empty either way.
        if ok, !bounds.isEmpty { f.custom = bounds }
    }

    /// The checks that need the whole message, in a fixed order.
    static func validate(_ f: inout Fields, limits: OpsLimits) throws(OpsRejection) -> OpsMessage {
        guard let op = f.op else {
            throw OpsRejection(.missingField, "the message has no \"op\"")
        }
        let name: String
        if let given = f.name {
            name = given
            if op != .shutdown && !f.nameIsValid, let (reason, message) = metricNameProblem(given, limits: limits) {
                throw OpsRejection(reason, message)
            }
        } else if op == .shutdown {
            name = ""
        } else {
            throw OpsRejection(.missingField, "the message has no \"name\"")
        }
        let value: Double
        if let given = f.value {
            guard given.isFinite else {
                throw OpsRejection(.nonFiniteValue, "\"value\" of \(name) is out of range for a 64-bit float")
            }
            value = given
        } else if !op.isMetric {
            value = 0
        } else {
            throw OpsRejection(.missingField, "the \(op.rawValue) message for \(name) has no \"value\"")
        }
        if op == .inc && value < 0 {
            throw OpsRejection(
                .negativeIncrement, "inc of \(name) by \(value): a counter only goes up (use op \"add\" on a gauge)")
        }
        if let text = f.badTimestamp, op == .event || op == .index || op == .raw {
            throw OpsRejection(
                .invalidField, "\"timestamp\" must be an RFC 3339 time such as 2024-05-01T12:30:00Z, got \"\(text)\"")
        }
        var histogram: HistogramLayout?
        if op == .obs {
            // Bucket fields mean something only to obs (the original reads them only there).
            if let problem = bucketFieldProblem(f.bucket, custom: f.custom, limits: limits) {
                throw OpsRejection(.invalidBuckets, problem)
            }
            if f.labels.contains(where: { $0.name == "le" }) {
                throw OpsRejection(.invalidLabel, "label \"le\" is reserved for the bucket bounds of histogram \(name)")
            }
            let layout = self.layout(f.bucket, custom: f.custom)
            if let problem = layout.boundsProblem() {
                throw OpsRejection(.invalidBuckets, problem)
            }
            histogram = layout
        }
        var message = OpsMessage(
            name: name, help: f.help, labels: [], op: op, value: value, index: f.index, timestampNs: f.timestampNs)
        swap(&message.labels, &f.labels)
        message.histogram = histogram
        return message
    }

    /// Checks each bucket field present, whichever layout it ends up choosing.
    static func bucketFieldProblem(_ f: BucketFields, custom: [Double]?, limits: OpsLimits) -> String? {
        if let count = f.buckets {
            guard count >= 1, count == count.rounded(.towardZero) else {
                return "\"buckets\" must be a whole number ≥ 1, got \(count)"
            }
            guard count <= Double(limits.maxBuckets) else {
                return "\"buckets\" is \(count), the limit is \(limits.maxBuckets)"
            }
        }
        if let width = f.width, !(width > 0 && width.isFinite) {
            return "\"bucket_width\" must be a finite number > 0, got \(width)"
        }
        if let factor = f.factor, !(factor > 1 && factor.isFinite) {
            return "\"bucket_factor\" must be a finite number > 1, got \(factor)"
        }
        if let start = f.start, !start.isFinite {
            return "\"bucket_start\" must be finite"
        }
        if let start = f.start, f.factor != nil, f.min == nil || f.max == nil, !(start > 0) {
            return "\"bucket_start\" must be > 0 for exponential buckets, got \(start)"
        }
        switch (f.min, f.max) {
        case (nil, nil): break
        case (let min?, let max?):
            guard min > 0, min.isFinite, max.isFinite else {
                return "\"bucket_min\" and \"bucket_max\" must be finite and > 0, got \(min) and \(max)"
            }
            guard min < max else { return "\"bucket_min\" (\(min)) must be less than \"bucket_max\" (\(max))" }
        default:
            return "\"bucket_min\" and \"bucket_max\" must be given together"
        }
        if let custom {
            if custom.isEmpty { return "\"bucket_custom\" is empty" }
            var previous = -Double.infinity
            for (i, bound) in custom.enumerated() {
                if !bound.isFinite { return "\"bucket_custom\" bound \(i) is out of range" }
                if bound == previous { return "\"bucket_custom\" repeats the bound \(bound)" }
                if bound < previous { return "\"bucket_custom\" is not sorted: \(bound) after \(previous)" }
                previous = bound
            }
        }
        return nil
    }

    /// The layout of an `obs` message, by the original's precedence.
    static func layout(_ f: BucketFields, custom: [Double]?) -> HistogramLayout {
        let count = f.buckets.map { Int($0) } ?? HistogramLayout.defaultCount
        if let min = f.min, let max = f.max {
            return .exponentialRange(min: min, max: max, count: count)
        }
        if let factor = f.factor {
            return .exponentialFactor(
                start: f.start ?? HistogramLayout.defaultFactorStart, factor: factor, count: count)
        }
        if let custom {
            return .custom(custom)
        }
        // The lowest linear bound is 0 unless bucket_start says otherwise, as in the original.
        let width = f.width ?? HistogramLayout.defaultWidth
        return .linear(start: f.start ?? HistogramLayout.defaultLinearStart, width: width, count: count)
    }
}
