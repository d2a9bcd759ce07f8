import AbacusExposition

/// Aggregated series as text 0.0.4, through the same line writer as every pushed group
/// (``TextEncoder``): for scrapes and for their storage rows.
extension GroupStore.State {
    /// The aggregated series rendered as one immutable group (no grouping labels), for a
    /// scrape: families in name order, series in label order. O(aggregated series) (sorting a
    /// family again only after a series came or went).
    mutating func renderAggregate() -> StoredGroup? {
        guard !aggregate.families.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(aggregate.lineCount * 64)
        var slices: [StoredGroup.Slice] = []
        for id in index.sortedIDs() {
            guard let family = aggregate.families[id] else { continue }
            let order: [Int32]
            if let cached = family.order {
                order = cached
            } else {
                order = family.members.sorted {
                    aggregate.slots[Int($0)]!.labelText.lexicographicallyPrecedes(aggregate.slots[Int($1)]!.labelText)
                }
                aggregate.families[id]!.order = order
            }
            bytes.append(contentsOf: family.helpLine)
            let linesStart = bytes.count
            let name = index[id].name
            let quoted = !NameRules.isValidMetricName(name)
            for slot in order { aggregate.slots[Int(slot)]!.appendLines(name: name, quoted: quoted, to: &bytes) }
            slices.append(
                StoredGroup.Slice(
                    family: id, linesStart: UInt32(linesStart), end: UInt32(bytes.count), fingerprintEnd: 0,
                    type: family.type, sharedHelp: false))
        }
        return StoredGroup(
            key: GroupStore.aggregateKey, bytes: bytes, families: slices, fingerprints: [], pushTime: 0,
            failureTime: 0, deadlineMs: nil)
    }

    /// `# HELP name text\n`, or nothing for an empty text.
    static func helpLine(_ name: String, _ help: String) -> [UInt8] {
        guard !help.isEmpty else { return [] }
        var line: [UInt8] = []
        TextEncoder.appendHelpLine(name: name, help: help, to: &line)
        return line
    }
}

extension AggregateStore.Series {
    /// The series' sample lines in text 0.0.4, `name` being its family's (`quoted` when it is
    /// not a legacy name).
    func appendLines(name: String, quoted: Bool, to out: inout [UInt8]) {
        switch type {
        case .histogram:
            var cumulative = 0.0
            for index in 0...bounds.count {
                cumulative += buckets[index]
                TextEncoder.appendBucketLine(
                    name: name, quoted: quoted, labelText: labelText,
                    upperBound: index < bounds.count ? bounds[index] : .infinity,
                    cumulativeCount: cumulative, to: &out)
            }
            fallthrough
        case .summary:
            TextEncoder.appendSampleLine(
                name: name, quoted: quoted, suffix: "_sum", labelText: labelText, value: value, to: &out)
            TextEncoder.appendSampleLine(
                name: name, quoted: quoted, suffix: "_count", labelText: labelText, value: count, to: &out)
        default:
            TextEncoder.appendSampleLine(
                name: name, quoted: quoted, suffix: "", labelText: labelText, value: value, to: &out)
        }
    }
}
