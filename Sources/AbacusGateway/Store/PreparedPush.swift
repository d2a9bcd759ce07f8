public import AbacusExposition

/// A push checked against everything that does not depend on the store, and rendered: what
/// ``GroupStore`` applies under its lock. Built by ``PreparedPush/prepare(families:key:limits:)``
/// outside the lock, in O(size of the push).
public struct PreparedPush: Sendable {
    /// The group pushed to.
    public let key: GroupingKey
    /// The group's label set as text (`instance="",job="x"`), grouping labels and `instance`.
    let labelBytes: [UInt8]
    /// The pushed families, sorted by name, each with its series sorted by labels.
    let families: [PreparedFamily]
    /// Sample lines in the push.
    let lineCount: Int

    /// Applies the Pushgateway's rules to parsed families for group `key`:
    /// - a sample with a timestamp is refused;
    /// - grouping labels replace body labels of the same name; a label with an empty value is
    ///   dropped, being the same as no label (so a grouping label with an empty value removes
    ///   the body's label); `instance=""` is then added when absent; labels are sorted;
    /// - OpenMetrics-only types are stored as text 0.0.4 expresses them (info → gauge `<name>_info`,
    ///   stateset → gauge, gauge histogram → histogram); exemplars and `_created` are dropped;
    /// - the result must still be valid (relabelling can make two series equal) and within
    ///   `limits` (lines per push, labels per series, label value length).
    /// O(size of the push).
    ///
    /// `families` is consumed: pass it as its last use and the labels are rewritten in place,
    /// without copying the metrics.
    public static func prepare(
        families: consuming [MetricFamily], key: GroupingKey, limits: StoreLimits, extraLabels: [Label] = []
    ) throws(PushRejection) -> PreparedPush {
        let keyLabels = key.pushedLabels
        let labelBytes = labelBytes(for: key)

        var families = textExpressible(families)
        var prepared: [PreparedFamily] = []
        prepared.reserveCapacity(families.count)
        var lineCount = 0
        // A family without samples is dropped, as the Pushgateway's parser drops it: it neither
        // replaces a family (POST) nor claims the name's type. So are pushed `push_time_seconds`
        // and `push_failure_time_seconds`: the gateway writes its own, as the Pushgateway does
        // (a client that pushes its whole registry may well have them).
        for position in families.indices
        where !families[position].metrics.isEmpty && !GroupStore.reservedNames.contains(families[position].name) {
            // Moved out of the array, so that its metrics are uniquely referenced and change in place.
            var family = MetricFamily(name: "", type: .untyped)
            swap(&family, &families[position])
            for index in family.metrics.indices {
                if family.metrics[index].timestampMs != nil {
                    throw .invalid(
                        "timestamp",
                        "pushed metrics must not have timestamps (metric \(family.name) has one); the gateway "
                            + "records the push time in push_time_seconds")
                }
                family.metrics[index].labels = relabel(family.metrics[index].labels, keyLabels, extraLabels)
                try check(family.metrics[index].labels, family: family.name, limits: limits)
            }
            // The parsers validated the family; relabelling can only make two series equal, or
            // give a histogram an `le` (a summary a `quantile`) from the grouping key.
            if let reserved = reservedLabel(family.type), keyLabels.contains(where: { $0.name == reserved }) {
                throw .invalid(
                    "invalid",
                    "the grouping label \(reserved) cannot be applied to \(family.type.textName ?? "") \(family.name)")
            }
            if !family.metrics.indices.dropFirst().allSatisfy({
                family.metrics[$0 - 1].labels.lexicographicallyPrecedes(family.metrics[$0].labels)
            }) {
                family.metrics.sort { $0.labels.lexicographicallyPrecedes($1.labels) }
            }
            for index in family.metrics.indices.dropFirst()
            where family.metrics[index - 1].labels == family.metrics[index].labels {
                throw .invalid(
                    "invalid",
                    "invalid metric family \(family.name): two series have the labels "
                        + "\(ExpositionValidator.render(family.metrics[index].labels)) "
                        + "once the grouping labels are applied (a label with an empty value is the same as no label)")
            }
            let rendered = PreparedFamily(family)
            lineCount += rendered.lineCount
            if lineCount > limits.maxSeriesPerPush {
                throw PushRejection(
                    status: 413, reason: "too_many_series",
                    "the push has more than \(limits.maxSeriesPerPush) sample lines (--push.max-series-per-push); "
                        + "split it into several groups")
            }
            prepared.append(rendered)
        }
        prepared.sort { $0.name < $1.name }
        for index in prepared.indices.dropFirst() where prepared[index].name == prepared[index - 1].name {
            throw .invalid("invalid", "metric family \(prepared[index].name) appears twice in the push")
        }
        return PreparedPush(key: key, labelBytes: labelBytes, families: prepared, lineCount: lineCount)
    }

    /// The label a family's own series use and a grouping key must not set.
    static func reservedLabel(_ type: MetricType) -> String? {
        switch type {
        case .histogram, .gaugeHistogram: "le"
        case .summary: "quantile"
        default: nil
        }
    }

    /// The labels every series of the group carries: the key's, and `instance=""` if absent.
    static func labels(for key: GroupingKey) -> [Label] {
        var labels = key.labels
        if key["instance"] == nil { labels.append(Label("instance", "")) }
        labels.sort()
        return labels
    }

    /// ``labels(for:)`` as text: `instance="",job="x"`.
    static func labelBytes(for key: GroupingKey) -> [UInt8] {
        var bytes: [UInt8] = []
        Escaping.appendLabelSet(labels(for: key), to: &bytes)
        return bytes
    }

    /// Body labels without those the grouping key sets, plus the key's, without the labels
    /// whose value is empty (no label, as in Prometheus), plus the extra labels it does not
    /// have, plus `instance=""` when none has an `instance` (a body's `instance` is kept, as the
    /// Pushgateway keeps it), sorted.
    static func relabel(_ labels: [Label], _ keyLabels: [Label], _ extraLabels: [Label] = []) -> [Label] {
        var result = keyLabels
        for label in labels where !keyLabels.contains(where: { $0.name == label.name }) {
            result.append(label)
        }
        result.removeAll { $0.value.isEmpty }
        if !extraLabels.isEmpty { result = ExtraLabels.merge(extraLabels.filter { !$0.value.isEmpty }, result) }
        if !result.contains(where: { $0.name == "instance" }) { result.append(Label("instance", "")) }
        result.sort()
        return result
    }

    static func check(_ labels: [Label], family: String, limits: StoreLimits) throws(PushRejection) {
        if labels.count > limits.maxLabelsPerSeries {
            throw .invalid(
                "too_many_labels",
                "a series of \(family) has \(labels.count) labels, more than \(limits.maxLabelsPerSeries) "
                    + "(--push.max-labels-per-series), grouping labels included")
        }
        for label in labels where label.value.utf8.count > limits.maxLabelValueBytes {
            throw .invalid(
                "label_value_too_long",
                "label \(label.name) of a series of \(family) is \(label.value.utf8.count) bytes long, more than "
                    + "\(limits.maxLabelValueBytes) (--push.max-label-value-length)")
        }
    }

    /// Families in the types text 0.0.4 can write, converted the way the text encoder writes
    /// them (and reads them back): the gateway stores and serves what text expresses.
    /// In place when every family is of a text type (the usual case: no copy of any metric).
    static func textExpressible(_ families: consuming [MetricFamily]) -> [MetricFamily] {
        var families = families
        let textOnly = families.allSatisfy { $0.type.textName != nil }
        for index in families.indices {
            families[index].unit = nil
            // An empty `# HELP name` line is no help, as Go's parser reads it.
            if families[index].help?.isEmpty == true { families[index].help = nil }
        }
        if textOnly { return families }
        var result: [MetricFamily] = []
        result.reserveCapacity(families.count)
        for family in families {
            switch family.type {
            case .info, .stateSet, .gaugeHistogram:
                let converted = (try? TextParser.parse(TextEncoder.encode([family]), names: .utf8)) ?? []
                result.append(
                    contentsOf: converted.map {
                        var f = $0
                        f.help = family.help
                        return f
                    })
            default:
                result.append(family)
            }
        }
        return result
    }
}

/// One pushed family, rendered: its optional `# HELP` line and its sample lines in text 0.0.4,
/// plus one fingerprint per series.
struct PreparedFamily: Sendable {
    let name: String
    /// counter, gauge, histogram, summary or untyped.
    let type: MetricType
    /// `# HELP …\n` then the sample lines.
    let bytes: [UInt8]
    /// Where the sample lines start in `bytes` (0 without HELP).
    let linesStart: Int
    /// Name + labels of each series.
    let fingerprints: [UInt64]
    /// The labels of each series (kept for the push's duration only, to check duplicates).
    let labelSets: [[Label]]
    let lineCount: Int

    init(_ family: MetricFamily) {
        name = family.name
        type = family.type
        // The `# HELP` line as the text encoder writes it, then only the sample lines: the
        // scrape writes one `# TYPE` per family, from the store's index.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        if let help = family.help { TextEncoder.appendHelpLine(name: family.name, help: help, to: &bytes) }
        let helpEnd = bytes.count
        TextEncoder.appendSamples(family, to: &bytes)
        self.bytes = bytes
        linesStart = helpEnd
        var lines = 0
        for byte in bytes[helpEnd...] where byte == 0x0A { lines += 1 }
        lineCount = lines
        labelSets = family.metrics.map(\.labels)
        fingerprints = family.metrics.map {
            ExpositionValidator.seriesFingerprint(name: family.name, labels: $0.labels)
        }
    }

    /// Names a histogram or summary writes besides its own: `_bucket`, `_sum`, `_count`.
    var derivedNames: [String] { Self.derivedNames(name, type) }

    /// A counter `c_total` reserves nothing: text lets a family `c` stand beside it (client_golang
    /// exports gauge `go_memstats_alloc_bytes` and counter `go_memstats_alloc_bytes_total`), and
    /// OpenMetrics output writes such a counter as `unknown` under its full name. (`_created`
    /// names are not reserved either: Python's client pushes `c_created` as a gauge of its own.)
    static func derivedNames(_ name: String, _ type: MetricType) -> [String] {
        switch type {
        case .histogram, .gaugeHistogram: [name + "_bucket", name + "_sum", name + "_count"]
        case .summary: [name + "_sum", name + "_count"]
        default: []
        }
    }
}
