import AbacusExposition
import CAbacusAtomics

/// Turning registered families into exposition: straight to text bytes (the scrape path), or
/// into the shared exposition model for OpenMetrics, protobuf and JSON.
enum Render {
    // MARK: Text

    /// Appends `family` in the text format 0.0.4, byte for byte what ``TextEncoder`` writes for
    /// ``model(_:extraLabels:)`` of it.
    static func text(_ family: RegisteredFamily, extraLabels: [Label], to buffer: inout [UInt8]) {
        let extra = extraText(extraLabels, excluding: family.descriptor.labelNames)
        let name = family.nameBytes
        buffer.append(contentsOf: family.header)
        switch family.kind {
        case .counter(let source):
            if extra.isEmpty {
                // The scrape path: the lines come from one sequential buffer.
                let (counters, lines, ends) = source.textSnapshot(name: name)
                sequential(counters, lines, ends, &buffer) { $0.value }
            } else {
                for counter in source.snapshot() {
                    line(name, "", extra, counter.series.text, nil, counter.value, &buffer)
                }
            }
        case .gauge(let source):
            if extra.isEmpty {
                let (gauges, lines, ends) = source.textSnapshot(name: name)
                sequential(gauges, lines, ends, &buffer) { $0.value }
            } else {
                for gauge in source.snapshot() {
                    line(name, "", extra, gauge.series.text, nil, gauge.value, &buffer)
                }
            }
        case .callback(let value):
            line(name, "", extra, [], nil, value(), &buffer)
        case .histogram(let source, let layout):
            for histogram in source.snapshot() {
                let (cumulative, sum) = histogram.read()
                for (index, count) in cumulative.enumerated() {
                    line(name, "_bucket", extra, histogram.series.text, layout.leText[index], Double(count), &buffer)
                }
                line(name, "_sum", extra, histogram.series.text, nil, sum, &buffer)
                line(name, "_count", extra, histogram.series.text, nil, Double(cumulative.last ?? 0), &buffer)
            }
        case .summary(let source):
            for summary in source.snapshot() {
                for (quantile, value) in summary.quantiles() {
                    var bound = Array(#"quantile=""#.utf8)
                    NumberFormatting.append(quantile, to: &bound)
                    bound.append(UInt8(ascii: "\""))
                    line(name, "", extra, summary.series.text, bound, value, &buffer)
                }
                line(name, "_sum", extra, summary.series.text, nil, summary.sum, &buffer)
                line(name, "_count", extra, summary.series.text, nil, Double(summary.count), &buffer)
            }
        }
    }

    /// `a="1",b="2"` for the extra labels the family does not have itself.
    static func extraText(_ extraLabels: [Label], excluding names: [String]) -> [UInt8] {
        guard !extraLabels.isEmpty else { return [] }
        var text: [UInt8] = []
        Escaping.appendLabelSet(extraLabels.filter { !names.contains($0.name) }, to: &text)
        return text
    }

    /// Writes `lines[k] value(series[k])\n` for every series. The lines are read in order from
    /// one buffer; the instruments, in label order rather than memory order, are loaded 16
    /// series ahead so that their cache misses overlap.
    @inline(__always)
    private static func sequential<Child: FamilyMember>(
        _ series: [Child], _ lines: [UInt8], _ ends: [Int], _ buffer: inout [UInt8], _ value: (Child) -> Double
    ) {
        series.withUnsafeBufferPointer { list in
            lines.withUnsafeBufferPointer { bytes in
                let count = list.count
                var start = 0
                for index in 0..<count {
                    if index + 16 < count { abacus_prefetch(Unmanaged.passUnretained(list[index + 16]).toOpaque()) }
                    let end = ends[index]
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                    NumberFormatting.append(value(list[index]), to: &buffer)
                    buffer.append(0x0A)
                    start = end
                }
            }
        }
    }

    /// One sample line: `name{extra,series,bound} value\n`, leaving out empty parts.
    @inline(__always)
    private static func line(
        _ name: [UInt8], _ suffix: StaticString, _ extra: [UInt8], _ series: [UInt8], _ bound: [UInt8]?,
        _ value: Double, _ buffer: inout [UInt8]
    ) {
        buffer.append(contentsOf: name)
        if suffix.utf8CodeUnitCount > 0 {
            buffer.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        }
        if !extra.isEmpty || !series.isEmpty || bound != nil {
            buffer.append(UInt8(ascii: "{"))
            buffer.append(contentsOf: extra)
            if !series.isEmpty {
                if !extra.isEmpty { buffer.append(UInt8(ascii: ",")) }
                buffer.append(contentsOf: series)
            }
            if let bound {
                if !extra.isEmpty || !series.isEmpty { buffer.append(UInt8(ascii: ",")) }
                buffer.append(contentsOf: bound)
            }
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(0x20)
        NumberFormatting.append(value, to: &buffer)
        buffer.append(0x0A)
    }

    // MARK: Model

    /// The family in the shared exposition model.
    static func model(_ family: RegisteredFamily, extraLabels: [Label]) -> MetricFamily {
        let descriptor = family.descriptor
        let extra = extraLabels.filter { !descriptor.labelNames.contains($0.name) }
        func labels(_ series: SeriesLabels) -> [Label] { extra.isEmpty ? series.labels : extra + series.labels }
        var metrics: [Metric] = []
        switch family.kind {
        case .counter(let source):
            for counter in source.snapshot() {
                metrics.append(
                    Metric(
                        labels: labels(counter.series),
                        value: .counter(CounterValue(counter.value, exemplar: counter.exemplar))))
            }
        case .gauge(let source):
            for gauge in source.snapshot() {
                metrics.append(Metric(labels: labels(gauge.series), value: .gauge(gauge.value)))
            }
        case .callback(let value):
            let reading = value()
            metrics.append(
                Metric(
                    labels: extra,
                    value: descriptor.type == .counter ? .counter(CounterValue(reading)) : .gauge(reading)))
        case .histogram(let source, let layout):
            for histogram in source.snapshot() {
                let (cumulative, sum) = histogram.read()
                let exemplars = histogram.exemplars
                var buckets: [Bucket] = []
                buckets.reserveCapacity(cumulative.count)
                for (index, count) in cumulative.enumerated() {
                    buckets.append(
                        Bucket(
                            upperBound: layout.bounds[index], cumulativeCount: Double(count),
                            exemplar: index < exemplars.count ? exemplars[index] : nil))
                }
                let value = HistogramValue(buckets: buckets, count: Double(cumulative.last ?? 0), sum: sum)
                metrics.append(Metric(labels: labels(histogram.series), value: .histogram(value)))
            }
        case .summary(let source):
            for summary in source.snapshot() {
                let quantiles = summary.quantiles().map { Quantile(quantile: $0.quantile, value: $0.value) }
                let value = SummaryValue(quantiles: quantiles, count: Double(summary.count), sum: summary.sum)
                metrics.append(Metric(labels: labels(summary.series), value: .summary(value)))
            }
        }
        return MetricFamily(
            name: descriptor.name, type: descriptor.type, help: descriptor.help.isEmpty ? nil : descriptor.help,
            unit: descriptor.unit, metrics: metrics)
    }

    /// A collector's family with `extraLabels` in front of each metric's own labels.
    static func withExtraLabels(_ family: MetricFamily, _ extraLabels: [Label]) -> MetricFamily {
        guard !extraLabels.isEmpty else { return family }
        var family = family
        for index in family.metrics.indices {
            let own = family.metrics[index].labels
            family.metrics[index].labels = extraLabels.filter { label in !own.contains { $0.name == label.name } } + own
        }
        return family
    }
}
