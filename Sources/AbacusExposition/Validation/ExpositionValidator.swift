/// Checks metric families against the Prometheus rules: metric and label names, reserved
/// labels, duplicate series, histogram and summary invariants. Every parser and decoder runs
/// its output through here, so a family is valid by the same rules whatever format it came in.
public enum ExpositionValidator {
    /// Every problem of one family, in order (empty when the family is valid). O(series · labels).
    public static func problems(in family: MetricFamily, names: NameValidation = .legacy) -> [String] {
        findProblems(in: family, names: names).map(\.message)
    }

    /// Throws an ``ExpositionError`` for the first problem of the first invalid family, and for
    /// a family name that appears twice. O(series · labels). `names` says which metric and
    /// label names are valid.
    public static func validate(_ families: [MetricFamily], names: NameValidation = .legacy) throws {
        var seen = Set<String>()
        seen.reserveCapacity(families.count)
        for family in families {
            if !seen.insert(family.name).inserted {
                throw ExpositionError("metric family \(family.name) appears twice")
            }
            if let first = findProblems(in: family, stopAtFirst: true, names: names).first {
                throw ExpositionError(first.message)
            }
        }
    }

    /// A problem and the index of the metric it was found in (`nil` for the family itself).
    struct Problem {
        var metricIndex: Int?
        var message: String
    }

    /// Every problem of `family`. `labelNamesChecked` skips the label-name rules (valid, not
    /// reserved, unique, no `le` on a histogram or `quantile` on a summary) for a parser that has
    /// already enforced them line by line.
    static func findProblems(
        in family: MetricFamily, stopAtFirst: Bool = false, labelNamesChecked: Bool = false,
        names: NameValidation = .legacy
    ) -> [Problem] {
        var problems: [Problem] = []
        let name = family.name
        if !NameRules.isValidMetricName(name, names) {
            problems.append(
                Problem(
                    message: "invalid metric name \"\(name)\""
                        + (names == .legacy && !name.isEmpty ? " (UTF-8 names are not enabled)" : "")))
            if stopAtFirst { return problems }
        }
        if let unit = family.unit, !unit.isEmpty {
            let base = family.type == .counter && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
            if !base.hasSuffix("_" + unit) {
                problems.append(
                    Problem(message: "metric \(name) has unit \(unit) but its name does not end in _\(unit)"))
                if stopAtFirst { return problems }
            }
        }
        let metrics = family.metrics
        var checked = 0  // metrics that passed their own checks, fingerprinted below
        var fingerprints: [(print: UInt64, index: Int)] = []
        fingerprints.reserveCapacity(metrics.count)
        for index in metrics.indices {
            let before = problems.count
            check(
                metrics[index], of: family, into: &problems, index: index, labelNamesChecked: labelNamesChecked,
                names: names)
            if problems.count == before {
                fingerprints.append((fingerprint(metrics[index].labels), index))
                checked += 1
            } else if stopAtFirst {
                return problems
            }
        }
        // Duplicate series: a dictionary of fingerprints; equal fingerprints are compared label
        // by label (the chain keeps every metric with the same fingerprint).
        if checked > 1 {
            var firstWithPrint: [UInt64: Int] = Dictionary(minimumCapacity: checked)
            var nextWithSamePrint = [Int](repeating: -1, count: metrics.count)
            for (print, index) in fingerprints {
                var candidate = firstWithPrint[print] ?? -1
                var duplicate = false
                while candidate >= 0 {
                    if sameLabelSet(metrics[candidate].labels, metrics[index].labels) {
                        duplicate = true
                        break
                    }
                    candidate = nextWithSamePrint[candidate]
                }
                if duplicate {
                    problems.append(
                        Problem(metricIndex: index, message: "duplicate series \(name)\(render(metrics[index].labels))")
                    )
                    if stopAtFirst { return problems }
                } else {
                    nextWithSamePrint[index] = firstWithPrint[print] ?? -1
                    firstWithPrint[print] = index
                }
            }
        }
        return problems
    }

    /// An order-independent 64-bit fingerprint of a label set: the wrapping sum of each label's
    /// FNV-1a hash. Equal sets have equal fingerprints; collisions are settled by comparison.
    static func fingerprint(_ labels: [Label]) -> UInt64 {
        var sum: UInt64 = 0
        for label in labels {
            var fnv = FNV1a()
            var name = label.name
            var value = label.value
            name.withUTF8 { fnv.combine($0) }
            fnv.combine(0xFF)
            value.withUTF8 { fnv.combine($0) }
            var hash = fnv.value
            // Finalise so that sums of similar hashes spread.
            hash ^= hash >> 33
            hash &*= 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 33
            sum &+= hash
        }
        return sum
    }

    /// The fingerprint of one series: its metric name and its label set (order-independent).
    /// The gateway indexes stored series by it to refuse a series pushed to two groups.
    package static func seriesFingerprint(name: String, labels: [Label]) -> UInt64 {
        var fnv = FNV1a()
        var name = name
        name.withUTF8 { fnv.combine($0) }
        var hash = fnv.value
        hash ^= hash >> 29
        hash &*= 0xbf58_476d_1ce4_e5b9
        return fingerprint(labels) &+ hash
    }

    /// Whether two label sets hold the same labels, in any order (names are unique per set).
    static func sameLabelSet(_ a: [Label], _ b: [Label]) -> Bool {
        guard a.count == b.count else { return false }
        if a.count > 32 { return Set(a) == Set(b) }
        for label in a where !b.contains(label) { return false }
        return true
    }

    static func check(
        _ metric: Metric, of family: MetricFamily, into problems: inout [Problem], index: Int,
        labelNamesChecked: Bool = false, names: NameValidation = .legacy
    ) {
        // The series' name is rendered only when there is something to report.
        let series = LazySeriesName(family: family.name, labels: metric.labels)
        func fail(_ message: String) { problems.append(Problem(metricIndex: index, message: message)) }

        let labels = metric.labels
        // Short label sets (all real ones) are checked for duplicate names by a scan; long ones,
        // which only hostile input has, by hashing, so the cost stays linear.
        var longSetNames = labels.count > 32 ? Set<String>(minimumCapacity: labels.count) : nil
        var hasLe = false
        var hasQuantile = false
        var hasFamilyName = false
        if !labelNamesChecked {
            for (i, label) in labels.enumerated() {
                if !NameRules.isValidLabelName(label.name, names) {
                    fail("invalid label name \"\(label.name)\" in \(series)")
                } else if NameRules.isReservedLabelName(label.name) {
                    fail(
                        "label name \(label.name) in \(series) is reserved (names starting with __ are for Prometheus)")
                } else if longSetNames != nil
                    ? !longSetNames!.insert(label.name).inserted
                    : labels[..<i].contains(where: { $0.name == label.name })
                {
                    fail("duplicate label name \(label.name) in \(series)")
                }
                hasLe = hasLe || label.name == "le"
                hasQuantile = hasQuantile || label.name == "quantile"
                hasFamilyName = hasFamilyName || label.name == family.name
            }
        }
        switch (family.type, metric.value) {
        case (.counter, .counter(let counter)):
            if let exemplar = counter.exemplar { check(exemplar, series: series, fail: fail) }
        case (.gauge, .gauge), (.untyped, .untyped), (.info, .info):
            break
        case (.histogram, .histogram(let histogram)), (.gaugeHistogram, .histogram(let histogram)):
            if hasLe { fail("histogram \(series) has a label named le besides its buckets' (le is reserved)") }
            check(histogram, series: series, gauge: family.type == .gaugeHistogram, fail: fail)
        case (.summary, .summary(let summary)):
            if hasQuantile {
                fail("summary \(series) has a label named quantile besides its quantiles' (quantile is reserved)")
            }
            check(summary, series: series, fail: fail)
        case (.stateSet, .stateSet(let states)):
            if hasFamilyName {
                fail("stateset \(series) has a label named like the family, which is reserved for its states")
            }
            var stateNames = Set<String>(minimumCapacity: states.count)
            for state in states where !stateNames.insert(state.name).inserted {
                fail("stateset \(series) lists state \(state.name) twice")
            }
        default:
            fail("\(series) has a \(metric.value.kindName) value in a family of type \(family.type.openMetricsName)")
        }
    }

    static func check(_ histogram: HistogramValue, series: LazySeriesName, gauge: Bool, fail: (String) -> Void) {
        let buckets = histogram.buckets
        if buckets.isEmpty {
            if histogram.native == nil { fail("histogram \(series) has no buckets (a +Inf bucket is required)") }
        } else {
            var previous: Bucket?
            for bucket in buckets {
                if bucket.upperBound.isNaN { fail("histogram \(series) has a bucket with le=\"NaN\""); return }
                if bucket.cumulativeCount.isNaN || bucket.cumulativeCount < 0 {
                    fail(
                        "histogram \(series) bucket le=\"\(NumberFormatting.string(bucket.upperBound))\" has count "
                            + "\(NumberFormatting.string(bucket.cumulativeCount)), counts must be non-negative")
                    return
                }
                if let previous {
                    if bucket.upperBound <= previous.upperBound {
                        fail(
                            "histogram \(series) bucket bounds must increase: le=\"\(NumberFormatting.string(bucket.upperBound))\""
                                + " follows le=\"\(NumberFormatting.string(previous.upperBound))\"")
                        return
                    }
                    if bucket.cumulativeCount < previous.cumulativeCount {
                        fail(
                            "histogram \(series) bucket counts must be cumulative: le=\"\(NumberFormatting.string(bucket.upperBound))\""
                                + " has \(NumberFormatting.string(bucket.cumulativeCount)), less than the "
                                + "\(NumberFormatting.string(previous.cumulativeCount)) of le=\"\(NumberFormatting.string(previous.upperBound))\""
                        )
                        return
                    }
                }
                previous = bucket
            }
            let last = buckets[buckets.count - 1]
            if last.upperBound != .infinity {
                fail("histogram \(series) has no +Inf bucket")
                return
            }
            if let count = histogram.count, count != last.cumulativeCount {
                let countName = gauge ? "_gcount" : "_count"
                fail(
                    "histogram \(series) \(countName) is \(NumberFormatting.string(count)) but its +Inf bucket counts "
                        + NumberFormatting.string(last.cumulativeCount))
            }
        }
        if let count = histogram.count, count.isNaN || count < 0 {
            fail("histogram \(series) count must be non-negative, got \(NumberFormatting.string(count))")
        }
        for bucket in buckets { if let exemplar = bucket.exemplar { check(exemplar, series: series, fail: fail) } }
    }

    static func check(_ summary: SummaryValue, series: LazySeriesName, fail: (String) -> Void) {
        let quantiles = summary.quantiles
        var longRanks = quantiles.count > 32 ? Set<Double>(minimumCapacity: quantiles.count) : nil
        for (i, quantile) in quantiles.enumerated() {
            if !(quantile.quantile >= 0 && quantile.quantile <= 1) {
                fail("summary \(series) has quantile \(NumberFormatting.string(quantile.quantile)), outside [0, 1]")
            } else if longRanks != nil
                ? !longRanks!.insert(quantile.quantile).inserted
                : quantiles[..<i].contains(where: { $0.quantile == quantile.quantile })
            {
                fail("summary \(series) lists quantile \(NumberFormatting.string(quantile.quantile)) twice")
            }
        }
        if let count = summary.count, count.isNaN || count < 0 {
            fail("summary \(series) count must be non-negative, got \(NumberFormatting.string(count))")
        }
    }

    static func check(_ exemplar: Exemplar, series: LazySeriesName, fail: (String) -> Void) {
        var length = 0
        let labels = exemplar.labels
        var longSetNames = labels.count > 32 ? Set<String>(minimumCapacity: labels.count) : nil
        for (i, label) in labels.enumerated() {
            if !NameRules.isValidLabelName(label.name) {
                fail("invalid exemplar label name \"\(label.name)\" on \(series)")
            } else if longSetNames != nil
                ? !longSetNames!.insert(label.name).inserted
                : labels[..<i].contains(where: { $0.name == label.name })
            {
                fail("duplicate exemplar label name \(label.name) on \(series)")
            }
            length += label.name.unicodeScalars.count + label.value.unicodeScalars.count
        }
        if length > 128 {
            fail("exemplar labels on \(series) are \(length) code points long, more than the 128 allowed")
        }
    }

    /// `{a="1",b="2"}` (or nothing for no labels), escaped as in the text format, for messages.
    package static func render(_ labels: [Label]) -> String {
        if labels.isEmpty { return "" }
        var buffer: [UInt8] = [UInt8(ascii: "{")]
        Escaping.appendLabelSet(labels, to: &buffer)
        buffer.append(UInt8(ascii: "}"))
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// A series name (`name{labels}`) for messages, rendered only when interpolated.
struct LazySeriesName: CustomStringConvertible {
    let family: String
    let labels: [Label]
    var description: String { family + ExpositionValidator.render(labels) }
}
