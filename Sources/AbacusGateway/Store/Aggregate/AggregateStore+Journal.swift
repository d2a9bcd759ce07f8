public import AbacusExposition

/// Aggregated series and durable storage: each series is one row (its family's HELP and TYPE
/// and its lines as text), written when it changed, read back at start.
extension GroupStore {
    /// Hands every aggregated series changed since the last flush to the journal (the socket
    /// transports' durability window). Returns the ticket, `nil` when nothing changed.
    @discardableResult
    public func flushAggregate() -> Journal.Ticket? {
        state.withLock { $0.commitDirty(to: journal) }
    }

    /// Forgets which aggregated series changed (after a restore: they are stored already).
    func clearDirty() { state.withLock { $0.discardDirty() } }

    /// Puts back an aggregated series read from storage at start (its labels already hold the
    /// extra labels of the time it was stored); `nil` or why it was skipped. A row stored
    /// before labels with empty values were dropped (`x{queue=""}`) is the series without them
    /// now: it is stored again under that series' key, and its old row deleted.
    func restoreSeries(_ row: Journal.SeriesRow) -> String? {
        let families: [MetricFamily]
        do { families = try TextParser.parse(row.exposition, names: .utf8) } catch { return "\(error)" }
        guard families.count == 1, let family = families.first, family.metrics.count == 1 else {
            return "not one series"
        }
        let metric = family.metrics[0]
        guard let update = AggregateUpdate(merging: metric.value) else {
            return "type \(family.type) cannot be aggregated"
        }
        return state.withLock { state -> String? in
            do throws(PushRejection) {
                let slot = try state.resolve(
                    name: family.name, help: family.help, labels: metric.labels, type: update.type,
                    bounds: { update.bounds }, extra: [], limits: .unlimited, nowMs: row.updatedMs, restoring: true)
                state.aggregate.slots[Int(slot)]!.apply(update)
                state.aggregate.slots[Int(slot)]!.updatedMs = row.updatedMs
                state.index.collect()
                if state.aggregate.slots[Int(slot)]!.key != row.key, let journal {
                    _ = journal.enqueue(series: [state.seriesRow(slot)], deleting: [row.key])
                }
                return nil
            } catch {
                state.index.collect()
                return error.message
            }
        }
    }
}

extension GroupStore.State {
    /// Hands the series changed since the last call to `journal` (in memory mode, forgets
    /// them); the ticket, `nil` when nothing changed.
    mutating func commitDirty(to journal: Journal?) -> Journal.Ticket? {
        guard let journal else {
            discardDirty()
            return nil
        }
        let rows = takeDirtyRows()
        return rows.isEmpty ? nil : journal.enqueue(series: rows)
    }

    /// The rows of the series changed since the last call; clears their dirty marks.
    mutating func takeDirtyRows() -> [Journal.SeriesRow] {
        var rows: [Journal.SeriesRow] = []
        rows.reserveCapacity(aggregate.dirty.count)
        for slot in aggregate.dirty {
            guard aggregate.slots[Int(slot)]?.dirty == true else { continue }
            aggregate.slots[Int(slot)]!.dirty = false
            rows.append(seriesRow(slot))
        }
        aggregate.dirty.removeAll(keepingCapacity: true)
        return rows
    }

    mutating func discardDirty() {
        for slot in aggregate.dirty where aggregate.slots[Int(slot)] != nil {
            aggregate.slots[Int(slot)]!.dirty = false
        }
        aggregate.dirty.removeAll(keepingCapacity: true)
    }

    /// The journal row of an aggregated series: its family's HELP and TYPE and its lines.
    func seriesRow(_ slot: Int32) -> Journal.SeriesRow {
        let series = aggregate.slots[Int(slot)]!
        let family = aggregate.families[series.family]!
        let name = index[series.family].name
        var text = family.helpLine
        TextEncoder.appendTypeLine(name: name, type: family.type, to: &text)
        series.appendLines(name: name, quoted: !NameRules.isValidMetricName(name), to: &text)
        return Journal.SeriesRow(key: series.key, exposition: text, updatedMs: series.updatedMs)
    }
}
