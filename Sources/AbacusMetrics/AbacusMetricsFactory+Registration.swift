import Abacus
import CoreMetrics

/// The families a factory registered, by registry name, and what the registry refused.
struct FactoryState: ~Copyable {
    var families: [String: FamilyEntry] = [:]
    var rejections: [RegistrationError] = []

    /// Keeps `error` unless it is known or ``AbacusMetricsFactory/maxRejections`` are kept.
    mutating func reject(_ error: RegistrationError) {
        guard rejections.count < AbacusMetricsFactory.maxRejections, !rejections.contains(error) else { return }
        rejections.append(error)
    }
}

/// What a family was registered as: a second metric of the name must ask for the same.
enum FamilyKind: Sendable, Hashable {
    case counter
    case gauge
    case histogram(Buckets)
    case summary(SummaryObjectives)
}

/// A registered family.
enum AnyFamily: Sendable {
    case counter(CounterFamily)
    case gauge(GaugeFamily)
    case histogram(HistogramFamily)
    case summary(SummaryFamily)
}

/// A family and the label names its first metric fixed.
struct FamilyEntry: Sendable {
    let kind: FamilyKind
    let family: AnyFamily
    let labelNames: [String]
}

extension AbacusMetricsFactory {
    func counter(label: String, dimensions: [(String, String)]) -> any CounterHandler & FloatingPointCounterHandler {
        let dimensions = SanitizedDimensions(dimensions)
        let help = configuration.help[label] ?? ""
        let entry = family(Self.counterName(label), .counter, dimensions, help: help)
        guard let entry, case .counter(let family) = entry.family else { return UnexportedBackend.shared }
        let values = dimensions.values(for: entry.labelNames)
        guard let child = try? family.labels(values) else { return UnexportedBackend.shared }
        return CounterBackend(child, removal: SeriesRemoval(values: values, remove: { family.remove($0) }))
    }

    func gauge(label: String, dimensions: [(String, String)]) -> any MeterHandler & RecorderHandler {
        let dimensions = SanitizedDimensions(dimensions)
        let help = configuration.help[label] ?? ""
        let entry = family(Self.sanitizedMetricName(label), .gauge, dimensions, help: help)
        guard let entry, case .gauge(let family) = entry.family else { return UnexportedBackend.shared }
        let values = dimensions.values(for: entry.labelNames)
        guard let child = try? family.labels(values) else { return UnexportedBackend.shared }
        return GaugeBackend(child, removal: SeriesRemoval(values: values, remove: { family.remove($0) }))
    }

    func histogram(_ name: String, _ label: String, _ dimensions: [(String, String)], _ buckets: Buckets)
        -> any RecorderHandler & TimerHandler
    {
        let dimensions = SanitizedDimensions(dimensions)
        let help = configuration.help[label] ?? ""
        let entry = family(name, .histogram(buckets), dimensions, help: help)
        guard let entry, case .histogram(let family) = entry.family else { return UnexportedBackend.shared }
        let values = dimensions.values(for: entry.labelNames)
        guard let child = try? family.labels(values) else { return UnexportedBackend.shared }
        return HistogramBackend(child, removal: SeriesRemoval(values: values, remove: { family.remove($0) }))
    }

    func summary(_ name: String, _ label: String, _ dimensions: [(String, String)], _ objectives: SummaryObjectives)
        -> any RecorderHandler & TimerHandler
    {
        let dimensions = SanitizedDimensions(dimensions)
        let help = configuration.help[label] ?? ""
        let entry = family(name, .summary(objectives), dimensions, help: help)
        guard let entry, case .summary(let family) = entry.family else { return UnexportedBackend.shared }
        let values = dimensions.values(for: entry.labelNames)
        guard let child = try? family.labels(values) else { return UnexportedBackend.shared }
        return SummaryBackend(child, removal: SeriesRemoval(values: values, remove: { family.remove($0) }))
    }

    /// The family `name`: the one this factory registered, when it is of `kind`; otherwise a
    /// new one, labelled with the sorted dimension names. `nil` when the name is taken by
    /// another kind or the registry refuses it (the error is kept).
    private func family(_ name: String, _ kind: FamilyKind, _ dimensions: SanitizedDimensions, help: String)
        -> FamilyEntry?
    {
        state.withLock { state -> FamilyEntry? in
            if let entry = state.families[name] {
                if entry.kind == kind { return entry }
                state.reject(RegistrationError(name: name, reason: .conflict(with: name)))
                return nil
            }
            let labelNames = dimensions.sortedNames
            do throws(RegistrationError) {
                let family: AnyFamily =
                    switch kind {
                    case .counter: .counter(try registry.counter(name, help: help, labelNames: labelNames))
                    case .gauge: .gauge(try registry.gauge(name, help: help, labelNames: labelNames))
                    case .histogram(let buckets):
                        .histogram(try registry.histogram(name, help: help, buckets: buckets, labelNames: labelNames))
                    case .summary(let objectives):
                        .summary(try registry.summary(name, help: help, objectives: objectives, labelNames: labelNames))
                    }
                let entry = FamilyEntry(kind: kind, family: family, labelNames: labelNames)
                state.families[name] = entry
                return entry
            } catch {
                state.reject(error)
                return nil
            }
        }
    }
}
