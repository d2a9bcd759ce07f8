public import AbacusExposition
public import NIOCore

/// Renders `/metrics` from a ``StoreSnapshot`` and the gateway's own families: every family
/// once, families sorted by name, each family's series group after group (groups in label-set
/// order, each group's series sorted by labels), the gateway's own series first.
///
/// Text 0.0.4 and OpenMetrics are a copy of each group's stored bytes plus one HELP/TYPE header
/// per family: O(bytes written). `push_time_seconds` and `push_failure_time_seconds` are
/// written from each group's two times. Protobuf is rendered as text, parsed and encoded:
/// about three times the cost of a text scrape (documented in docs/gateway.md).
public enum ScrapeRenderer {
    /// Renders `snapshot` and `own` (sorted by name) in `format` into a new buffer.
    /// `extraLabels` (`--extra-labels`) are added to the gateway's own series and to
    /// `push_time_seconds`/`push_failure_time_seconds`; pushed and aggregated series got them
    /// when stored.
    ///
    /// UTF-8 names (pushed with `--push.enable-utf8-names`) are written quoted when the scraper
    /// reads them (`utf8Names`, from `escaping=allow-utf-8`); see
    /// ``renderScrape(_:own:format:extraLabels:utf8Names:mayHoldUTF8Names:allocator:)`` for
    /// the others.
    public static func render(
        _ snapshot: StoreSnapshot, own: [MetricFamily], format: ExpositionFormat, extraLabels: [Label] = [],
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        renderScrape(snapshot, own: own, format: format, extraLabels: extraLabels, allocator: allocator).body
    }

    /// ``render(_:own:format:extraLabels:allocator:)`` for a scraper that may not read UTF-8
    /// names (`utf8Names` false: no `escaping=allow-utf-8`). When the store may hold such
    /// names (`mayHoldUTF8Names`) and does, every name outside the legacy rules is written with
    /// `_` for each character those rules do not allow, as client_golang escapes by default;
    /// families that then share a name are merged, and a series keeps the first of two labels
    /// that then share a name. That path parses the text rendering and encodes it again, and
    /// answers text where OpenMetrics was asked for (the scraper accepts both; the OpenMetrics
    /// rules of ``renderText`` need the store's own families). Returns the body and its format.
    public static func renderScrape(
        _ snapshot: StoreSnapshot, own: [MetricFamily], format: ExpositionFormat, extraLabels: [Label] = [],
        utf8Names: Bool = true, mayHoldUTF8Names: Bool = false,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> (body: ByteBuffer, format: ExpositionFormat) {
        var own = own
        if !extraLabels.isEmpty {
            for f in own.indices {
                for m in own[f].metrics.indices {
                    own[f].metrics[m].labels = ExtraLabels.merge(extraLabels, own[f].metrics[m].labels)
                        .filter { !$0.value.isEmpty }.sorted()
                }
            }
        }
        if mayHoldUTF8Names && !utf8Names {
            let text = renderText(
                snapshot, own: own, openMetrics: false, extraLabels: extraLabels, allocator: allocator)
            let bytes = Array(text.readableBytesView)
            // The text rendering always parses; were it ever not to, the scraper would rather
            // get the names quoted than nothing.
            if hasQuotedNames(bytes), let parsed = try? TextParser.parse(bytes, names: .utf8) {
                let families = escapedNames(parsed)
                let written: ExpositionFormat = format == .protobuf ? .protobuf : .text
                var buffer = allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(Exposition.encode(families, format: written))
                return (buffer, written)
            }
            if format == .text || format == .json { return (text, format) }
        }
        switch format {
        case .text, .json:
            return (
                renderText(snapshot, own: own, openMetrics: false, extraLabels: extraLabels, allocator: allocator),
                format
            )
        case .openMetrics:
            return (
                renderText(snapshot, own: own, openMetrics: true, extraLabels: extraLabels, allocator: allocator),
                format
            )
        case .protobuf:
            var text = renderText(
                snapshot, own: own, openMetrics: false, extraLabels: extraLabels, allocator: allocator)
            let bytes = text.readBytes(length: text.readableBytes) ?? []
            let families = (try? TextParser.parse(bytes, names: .utf8)) ?? []
            var buffer = allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(ProtobufEncoder.encode(families))
            return (buffer, format)
        }
    }

    static func renderText(
        _ snapshot: StoreSnapshot, own: [MetricFamily], openMetrics: Bool, extraLabels: [Label],
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        // Which groups hold each family, in group order: a counting sort over (family, group).
        // The aggregated series come first, as a group without grouping labels.
        let groups = (snapshot.aggregate.map { [$0] } ?? []) + snapshot.groups
        let familyCount = snapshot.families.count
        var starts = [Int](repeating: 0, count: familyCount + 1)
        for group in groups {
            for slice in group.families { starts[Int(slice.family) + 1] += 1 }
        }
        for index in 0..<familyCount { starts[index + 1] += starts[index] }
        var fill = starts
        var owners = [UInt64](repeating: 0, count: starts[familyCount])
        for (groupIndex, group) in groups.enumerated() {
            for (sliceIndex, slice) in group.families.enumerated() {
                owners[fill[Int(slice.family)]] = UInt64(groupIndex) << 32 | UInt64(sliceIndex)
                fill[Int(slice.family)] += 1
            }
        }

        var ownByName: [String: MetricFamily] = [:]
        for family in own { ownByName[family.name] = family }
        // The type of each family written (held by a group or the gateway's own).
        var written: [String: MetricType] = [:]
        if openMetrics {
            for id in snapshot.sortedFamilyIDs {
                guard let entry = snapshot.families[Int(id)] else { continue }
                if starts[Int(id) + 1] > starts[Int(id)] || ownByName[entry.name] != nil {
                    written[entry.name] = entry.type
                }
            }
        }

        // Each group's label set, for push_time_seconds and push_failure_time_seconds.
        let groupLabels = snapshot.groups.map { group in
            if extraLabels.isEmpty { return group.labelBytes }
            var bytes: [UInt8] = []
            Escaping.appendLabelSet(
                PreparedPush.relabel([], group.key.labels, extraLabels), to: &bytes)
            return bytes
        }
        var buffer = allocator.buffer(capacity: groups.reduce(0) { $0 + $1.bytes.count } + 64 * 1024)
        var scratch: [UInt8] = []
        for id in snapshot.sortedFamilyIDs {
            guard let entry = snapshot.families[Int(id)] else { continue }
            let held = owners[starts[Int(id)]..<starts[Int(id) + 1]]
            if entry.name == "push_time_seconds" || entry.name == "push_failure_time_seconds" {
                writeTimes(
                    snapshot.groups, labels: groupLabels, name: entry.name, into: &buffer, scratch: &scratch)
                continue
            }
            let ownFamily = ownByName[entry.name]
            if ownFamily == nil && held.isEmpty { continue }
            var omName = openMetrics ? openMetricsName(entry.name, entry.type) : entry.name
            var omType = entry.type.openMetricsName
            if openMetrics {
                // OpenMetrics names a counter family without `_total` and gives counters,
                // histograms and summaries `_created` samples. Text keeps these names apart, and
                // Python's client pushes `x_created` as a gauge beside counter `x_total`:
                // - a counter pushed without `_total`, or beside a `<base>_created` family, is
                //   written as `unknown` with its samples unchanged (as a counter they would be
                //   renamed `<name>_total`, so Prometheus, which asks for OpenMetrics first, would
                //   store other series names than from the Pushgateway's text);
                // - a `<base>_created` family beside histogram or summary `<base>` is left out of
                //   OpenMetrics (a strict parser refuses the clash; it is the created timestamp,
                //   which OpenMetrics would carry inside the family). Text keeps it.
                // - a counter `x_total` beside another family `x` (client_golang's Go collector
                //   exports gauge go_memstats_alloc_bytes and counter ..._total), which
                //   OpenMetrics would both name `x`, is written as `unknown` under its full name;
                if entry.type == .counter
                    && (omName == entry.name || written[omName + "_created"] != nil || written[omName] != nil)
                {
                    omName = entry.name
                    omType = "unknown"
                }
                if entry.name.hasSuffix("_created"),
                    let base = written[String(entry.name.dropLast(8))], base == .histogram || base == .summary
                {
                    continue
                }
            }
            if let ownFamily {
                scratch.removeAll(keepingCapacity: true)
                if openMetrics {
                    // The gateway's own counter beside a pushed family of its base name
                    // (a gauge process_cpu_seconds): `unknown`, as for pushed counters.
                    let written =
                        ownFamily.type == .counter && omType == "unknown"
                        ? OpenMetricsEncoder.asUnknown(ownFamily) : ownFamily
                    scratch = OpenMetricsEncoder.encode([written])
                    scratch.removeLast(6)  // "# EOF\n"
                } else {
                    TextEncoder.append(ownFamily, to: &scratch)
                }
                buffer.writeBytes(scratch)
            } else {
                // HELP from the first group that has one.
                for owner in held {
                    let group = groups[Int(owner >> 32)]
                    let index = Int(owner & 0xFFFF_FFFF)
                    let help =
                        group.families[index].sharedHelp
                        ? (entry.help ?? [])[...] : group.ownHelpBytes(index)
                    guard !help.isEmpty else { continue }
                    if openMetrics {
                        writeOpenMetricsHelp(help, textName: entry.name, omName: omName, into: &buffer)
                    } else {
                        buffer.writeBytes(help)
                    }
                    break
                }
                buffer.writeString("# TYPE ")
                writeMetadataName(omName, into: &buffer)
                buffer.writeString(openMetrics ? " \(omType)\n" : " \(entry.type.textName ?? "untyped")\n")
            }
            for owner in held {
                let group = groups[Int(owner >> 32)]
                let lines = group.lineBytes(group.families[Int(owner & 0xFFFF_FFFF)])
                buffer.writeBytes(lines)
            }
        }
        if openMetrics { buffer.writeString("# EOF\n") }
        return buffer
    }

    /// `push_time_seconds` or `push_failure_time_seconds`: one gauge per group.
    static func writeTimes(
        _ groups: [StoredGroup], labels: [[UInt8]], name: String, into buffer: inout ByteBuffer, scratch: inout [UInt8]
    ) {
        guard !groups.isEmpty else { return }
        let pushTime = name == "push_time_seconds"
        buffer.writeString("# HELP \(name) \(timeHelp(name))\n")
        buffer.writeString("# TYPE \(name) gauge\n")
        for (group, labelBytes) in zip(groups, labels) {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: name.utf8)
            scratch.append(UInt8(ascii: "{"))
            scratch.append(contentsOf: labelBytes)
            scratch.append(contentsOf: "} ".utf8)
            NumberFormatting.append(pushTime ? group.pushTime : group.failureTime, to: &scratch)
            scratch.append(0x0A)
            buffer.writeBytes(scratch)
        }
    }

    /// The HELP of `push_time_seconds` / `push_failure_time_seconds`, the Pushgateway's words.
    static func timeHelp(_ name: String) -> String {
        "Last Unix time when changing this group in the Pushgateway "
            + (name == "push_time_seconds" ? "succeeded." : "failed.")
    }

    /// The OpenMetrics family name: a counter without its `_total`.
    static func openMetricsName(_ name: String, _ type: MetricType) -> String {
        type == .counter && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
    }

    /// A text `# HELP name …` line rewritten for OpenMetrics, which also escapes `"`.
    static func writeOpenMetricsHelp(
        _ help: ArraySlice<UInt8>, textName: String, omName: String, into buffer: inout ByteBuffer
    ) {
        // "# HELP " + name (quoted if it is a UTF-8 name) + " "
        let prefix = 7 + textName.utf8.count + (NameRules.isValidMetricName(textName) ? 0 : 2) + 1
        buffer.writeString("# HELP ")
        writeMetadataName(omName, into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        for byte in help.dropFirst(prefix) {
            if byte == UInt8(ascii: "\"") { buffer.writeInteger(UInt8(ascii: "\\")) }
            buffer.writeInteger(byte)
        }
    }

    /// A metric name in a HELP or TYPE line: quoted when it is a UTF-8 name.
    static func writeMetadataName(_ name: String, into buffer: inout ByteBuffer) {
        if NameRules.isValidMetricName(name) {
            buffer.writeString(name)
        } else {
            var bytes: [UInt8] = []
            Escaping.appendMetadataName(name, to: &bytes)
            buffer.writeBytes(bytes)
        }
    }

    /// Whether a text rendering holds a quoted (UTF-8) name: a quoted HELP or TYPE name, or, in
    /// a sample line, a `"` that opens a name (after the line start, `{` or `,`) rather than a
    /// label value (after `=`). Quoted values are skipped, escapes included.
    static func hasQuotedNames(_ bytes: [UInt8]) -> Bool {
        let help = Array("# HELP \"".utf8)
        let type = Array("# TYPE \"".utf8)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let end = bytes[index...].firstIndex(of: 0x0A) ?? bytes.endIndex
            let line = bytes[index..<end]
            if line.first == UInt8(ascii: "#") {
                if line.starts(with: help) || line.starts(with: type) { return true }
            } else {
                var inValue = false
                var escaped = false
                var previous: UInt8 = UInt8(ascii: "{")
                for byte in line {
                    if inValue {
                        if escaped {
                            escaped = false
                        } else if byte == UInt8(ascii: "\\") {
                            escaped = true
                        } else if byte == UInt8(ascii: "\"") {
                            inValue = false
                        }
                    } else if byte == UInt8(ascii: "\"") {
                        if previous != UInt8(ascii: "=") { return true }
                        inValue = true
                    } else if byte != 0x20 && byte != 0x09 {
                        previous = byte
                    }
                }
            }
            index = end < bytes.endIndex ? end + 1 : end
        }
        return false
    }

    /// The families with every metric and label name outside the legacy rules escaped with
    /// underscores (``NameEscaping/escapeUnderscores(_:metric:)``); families that then share a
    /// name and a type are merged, a later one of another type is left out.
    static func escapedNames(_ families: [MetricFamily]) -> [MetricFamily] {
        var result: [MetricFamily] = []
        var positions: [String: Int] = [:]
        for var family in families {
            family.name = NameEscaping.escapeUnderscores(family.name, metric: true)
            for index in family.metrics.indices {
                var seen = Set<String>()
                family.metrics[index].labels = family.metrics[index].labels.compactMap {
                    let name = NameEscaping.escapeUnderscores($0.name, metric: false)
                    return seen.insert(name).inserted ? Label(name, $0.value) : nil
                }
            }
            if let position = positions[family.name] {
                if result[position].type == family.type { result[position].metrics += family.metrics }
            } else {
                positions[family.name] = result.count
                result.append(family)
            }
        }
        return result
    }
}
