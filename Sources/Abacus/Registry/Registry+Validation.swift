import AbacusExposition

/// Where a registration's name, label names, unit, buckets and objectives are checked.
extension Registry {
    static func describe(counter name: String, help: String, unit: String?, labelNames: [String]?)
        throws(RegistrationError) -> RegisteredFamily.Descriptor
    {
        let full = name.hasSuffix("_total") ? name : name + "_total"
        return try describe(full, .counter, help: help, unit: unit, labelNames: labelNames)
    }

    static func describe(_ name: String, _ type: MetricType, help: String, unit: String?, labelNames: [String]?)
        throws(RegistrationError) -> RegisteredFamily.Descriptor
    {
        guard NameRules.isValidMetricName(name) else { throw RegistrationError(name: name, reason: .invalidName) }
        let names = labelNames ?? []
        var seen = Set<String>()
        for label in names {
            let reservedHere =
                (type == .histogram && label == "le") || (type == .summary && label == "quantile")
            guard NameRules.isValidLabelName(label), !NameRules.isReservedLabelName(label), !reservedHere,
                seen.insert(label).inserted
            else { throw RegistrationError(name: name, reason: .invalidLabelName(label)) }
        }
        if let unit {
            let base = type == .counter ? String(name.dropLast("_total".count)) : name
            guard !unit.isEmpty, unit.utf8.allSatisfy({ NameRules.isLabelNameChar($0) }) else {
                throw RegistrationError(name: name, reason: .invalidUnit("unit \(unit) is not a valid name part"))
            }
            guard base.hasSuffix("_" + unit) else {
                throw RegistrationError(
                    name: name, reason: .invalidUnit("OpenMetrics wants the name to end with _\(unit)"))
            }
        }
        return RegisteredFamily.Descriptor(
            name: name, type: type, help: help, unit: unit, labelNames: names, labelled: labelNames != nil)
    }

    static func bounds(_ buckets: Buckets, name: String) throws(RegistrationError) -> [Double] {
        switch buckets.validated() {
        case .success(let bounds): return bounds
        case .failure(let reason): throw RegistrationError(name: name, reason: reason)
        }
    }

    static func targets(_ objectives: SummaryObjectives, name: String) throws(RegistrationError)
        -> [(quantile: Double, epsilon: Double)]
    {
        switch objectives.validated() {
        case .success(let targets): return targets
        case .failure(let reason): throw RegistrationError(name: name, reason: reason)
        }
    }
}
