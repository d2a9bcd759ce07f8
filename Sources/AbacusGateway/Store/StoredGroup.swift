public import AbacusExposition

/// One group as the store keeps it: immutable, shared by the store and any scrape in progress.
///
/// Memory is the point: a group holds its families as one contiguous text buffer (each family's
/// optional `# HELP` line and its sample lines, grouping labels merged in), a small table of
/// where each family starts, and one 64-bit fingerprint per series — no model objects.
public final class StoredGroup: Sendable {
    /// The grouping key.
    public let key: GroupingKey
    /// Every family's own `# HELP` line (when it differs from the one the store shares for
    /// that family name) and sample lines, in family-name order.
    let bytes: [UInt8]
    /// Where each family is in `bytes` and `fingerprints`, in family-name order.
    let families: [Slice]
    /// One fingerprint per series (name + labels), family after family.
    let fingerprints: [UInt64]
    /// Unix time of the last successful change, in seconds; 0 when none succeeded.
    public let pushTime: Double
    /// Unix time of the last refused change, in seconds; 0 when none failed.
    public let failureTime: Double
    /// When the group expires, in Unix milliseconds; `nil` for never.
    public let deadlineMs: Int64?
    /// Sample lines stored (HELP lines excluded).
    public let lineCount: Int

    /// One family's place in the group (20 bytes). A family starts where the previous one ends.
    struct Slice: Sendable {
        /// The family's id in the store's ``FamilyIndex``.
        var family: Int32
        /// Own HELP line from the previous slice's end to `linesStart`; sample lines to `end`.
        var linesStart: UInt32
        var end: UInt32
        /// End of the family's range in `fingerprints` (it starts where the previous one ends).
        var fingerprintEnd: UInt32
        /// The family's type when this group pushed it.
        var type: MetricType
        /// The HELP is the one the ``FamilyIndex`` keeps for the name (most groups push the
        /// same HELP: it is stored once).
        var sharedHelp: Bool
    }

    init(
        key: GroupingKey, bytes: [UInt8], families: [Slice], fingerprints: [UInt64],
        pushTime: Double, failureTime: Double, deadlineMs: Int64?
    ) {
        self.key = key
        self.bytes = bytes
        self.families = families
        self.fingerprints = fingerprints
        self.pushTime = pushTime
        self.failureTime = failureTime
        self.deadlineMs = deadlineMs
        var lines = 0
        for slice in families {
            for byte in bytes[Int(slice.linesStart)..<Int(slice.end)] where byte == 0x0A { lines += 1 }
        }
        self.lineCount = lines
    }

    /// The same group with other times (a refused push, a new deadline): the bytes are shared.
    func with(pushTime: Double? = nil, failureTime: Double? = nil, deadlineMs: Int64??) -> StoredGroup {
        StoredGroup(
            key: key, bytes: bytes, families: families, fingerprints: fingerprints,
            pushTime: pushTime ?? self.pushTime, failureTime: failureTime ?? self.failureTime,
            deadlineMs: deadlineMs ?? self.deadlineMs)
    }

    /// An empty group (no families).
    static func empty(key: GroupingKey) -> StoredGroup {
        StoredGroup(key: key, bytes: [], families: [], fingerprints: [], pushTime: 0, failureTime: 0, deadlineMs: nil)
    }

    /// The group's label set as text: `instance="",job="x"` (computed: it is needed only by
    /// scrapes, once per group, and by messages).
    var labelBytes: [UInt8] { PreparedPush.labelBytes(for: key) }

    func start(_ index: Int) -> Int { index == 0 ? 0 : Int(families[index - 1].end) }

    /// The family's own HELP line (empty when it has none or shares the store's).
    func ownHelpBytes(_ index: Int) -> ArraySlice<UInt8> { bytes[start(index)..<Int(families[index].linesStart)] }

    func lineBytes(_ slice: Slice) -> ArraySlice<UInt8> { bytes[Int(slice.linesStart)..<Int(slice.end)] }

    func lineCount(_ slice: Slice) -> Int {
        var lines = 0
        for byte in lineBytes(slice) where byte == 0x0A { lines += 1 }
        return lines
    }

    func fingerprints(_ index: Int) -> ArraySlice<UInt64> {
        let start = index == 0 ? 0 : Int(families[index - 1].fingerprintEnd)
        return fingerprints[start..<Int(families[index].fingerprintEnd)]
    }

    /// The group as a text exposition of its own (HELP, TYPE and samples per family), which is
    /// what the journal stores and a restart parses back. `names` gives a family id's name,
    /// type and shared HELP line.
    func exposition(names: (Int32) -> (String, MetricType, [UInt8]?)) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + families.count * 96)
        for (index, slice) in families.enumerated() {
            let (name, type, sharedHelp) = names(slice.family)
            if slice.sharedHelp, let sharedHelp { out.append(contentsOf: sharedHelp) }
            out.append(contentsOf: ownHelpBytes(index))
            TextEncoder.appendTypeLine(name: name, type: type, to: &out)
            out.append(contentsOf: lineBytes(slice))
        }
        return out
    }
}
