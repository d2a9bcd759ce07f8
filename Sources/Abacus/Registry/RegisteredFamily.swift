import AbacusExposition

/// One registered family: what it is (for conflict checks), how to read its series, and its
/// `# HELP`/`# TYPE` header rendered once.
final class RegisteredFamily: Sendable {
    /// Where the series of a family come from.
    enum Source<Child: FamilyMember>: Sendable {
        case single(Child)
        case family(FamilyCore<Child>)

        func snapshot() -> [Child] {
            switch self {
            case .single(let child): [child]
            case .family(let core): core.snapshot()
            }
        }

        /// ``FamilyCore/textSnapshot()``, for a single series too.
        func textSnapshot(name: [UInt8]) -> (series: [Child], lines: [UInt8], ends: [Int]) {
            switch self {
            case .single(let child): ([child], name + [0x20], [name.count + 1])
            case .family(let core): core.textSnapshot()
            }
        }
    }

    enum Kind: Sendable {
        case counter(Source<AbacusCounter>)
        case gauge(Source<AbacusGauge>)
        case histogram(Source<AbacusHistogram>, HistogramLayout)
        case summary(Source<AbacusSummary>)
        case callback(@Sendable () -> Double)
    }

    /// What a registration asked for; registering the same again returns the same instrument.
    struct Descriptor: Sendable, Equatable {
        var name: String
        var type: MetricType
        var help: String
        var unit: String?
        var labelNames: [String]
        var labelled: Bool
        var bounds: [Double] = []
        var objectives: SummaryObjectives?
        var isCallback = false

        /// Every sample name the family exposes in any format, and its OpenMetrics family name.
        var claimedNames: [String] {
            switch type {
            case .counter:
                let base = String(name.dropLast("_total".count))
                return [name, base, base + "_created"]
            case .histogram, .gaugeHistogram:
                return [name, name + "_bucket", name + "_sum", name + "_count", name + "_created"]
            case .summary:
                return [name, name + "_sum", name + "_count", name + "_created"]
            default:
                return [name]
            }
        }
    }

    let descriptor: Descriptor
    let kind: Kind
    /// The public object handed out (an instrument or a family), returned again when the same
    /// descriptor is registered again.
    let handle: (any Sendable)?
    let nameBytes: [UInt8]
    /// `# HELP …\n# TYPE …\n`.
    let header: [UInt8]

    init(descriptor: Descriptor, kind: Kind, handle: (any Sendable)?) {
        self.descriptor = descriptor
        self.kind = kind
        self.handle = handle
        nameBytes = Array(descriptor.name.utf8)
        var header: [UInt8] = []
        if !descriptor.help.isEmpty {
            header.append(contentsOf: "# HELP ".utf8)
            header.append(contentsOf: nameBytes)
            header.append(0x20)
            Escaping.appendHelp(descriptor.help, quotes: false, to: &header)
            header.append(0x0A)
        }
        header.append(contentsOf: "# TYPE ".utf8)
        header.append(contentsOf: nameBytes)
        header.append(0x20)
        header.append(contentsOf: (descriptor.type.textName ?? "untyped").utf8)
        header.append(0x0A)
        self.header = header
    }

    var name: String { descriptor.name }
}
