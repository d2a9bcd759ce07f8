public import AbacusExposition

/// One group as the store keeps it: immutable, shared by the store and any scrape in progress.
///
/// Memory is the point: a group holds its families as one contiguous text buffer (each family's
/// optional `# HELP` line and its sample lines, grouping labels merged in), a small table of
/// where each family starts, and one 64-bit fingerprint per series — no model objects.
public final class StoredGroup: Sendable {
    /// The grouping key.
    public let key: GroupingKey
    /// The group's label set as text: `instance="",job="x"`.
    let labelBytes: [UInt8]
    /// Every family's `# HELP` line (if any) and sample lines, in family-name order.
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

    /// One family's place in the group.
    struct Slice: Sendable {
        /// The family's id in the store's ``FamilyIndex``.
        var family: Int32
        /// The family's type when this group pushed it.
        var type: MetricType
        /// Byte ranges: HELP line `start..<linesStart`, sample lines `linesStart..<end`.
        var start: UInt32
        var linesStart: UInt32
        var end: UInt32
        /// Range in `fingerprints`.
        var fingerprintStart: UInt32
        var fingerprintEnd: UInt32
        var lineCount: UInt32
    }

    init(
        key: GroupingKey, labelBytes: [UInt8], bytes: [UInt8], families: [Slice], fingerprints: [UInt64],
        pushTime: Double, failureTime: Double, deadlineMs: Int64?
    ) {
        self.key = key
        self.labelBytes = labelBytes
        self.bytes = bytes
        self.families = families
        self.fingerprints = fingerprints
        self.pushTime = pushTime
        self.failureTime = failureTime
        self.deadlineMs = deadlineMs
        var lines = 0
        for slice in families { lines += Int(slice.lineCount) }
        self.lineCount = lines
    }

    /// The same group with other times (a refused push, a new deadline): the bytes are shared.
    func with(pushTime: Double? = nil, failureTime: Double? = nil, deadlineMs: Int64??) -> StoredGroup {
        StoredGroup(
            key: key, labelBytes: labelBytes, bytes: bytes, families: families, fingerprints: fingerprints,
            pushTime: pushTime ?? self.pushTime, failureTime: failureTime ?? self.failureTime,
            deadlineMs: deadlineMs ?? self.deadlineMs)
    }

    /// An empty group (no families).
    static func empty(key: GroupingKey, labelBytes: [UInt8]) -> StoredGroup {
        StoredGroup(
            key: key, labelBytes: labelBytes, bytes: [], families: [], fingerprints: [], pushTime: 0,
            failureTime: 0, deadlineMs: nil)
    }

    func helpBytes(_ slice: Slice) -> ArraySlice<UInt8> { bytes[Int(slice.start)..<Int(slice.linesStart)] }
    func lineBytes(_ slice: Slice) -> ArraySlice<UInt8> { bytes[Int(slice.linesStart)..<Int(slice.end)] }
    func fingerprints(_ slice: Slice) -> ArraySlice<UInt64> {
        fingerprints[Int(slice.fingerprintStart)..<Int(slice.fingerprintEnd)]
    }

    /// The group as a text exposition of its own (HELP, TYPE and samples per family), which is
    /// what the journal stores and a restart parses back.
    func exposition(names: (Int32) -> (String, MetricType)) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + families.count * 48)
        for slice in families {
            let (name, type) = names(slice.family)
            out.append(contentsOf: helpBytes(slice))
            out.append(contentsOf: "# TYPE ".utf8)
            out.append(contentsOf: name.utf8)
            out.append(0x20)
            out.append(contentsOf: (type.textName ?? "untyped").utf8)
            out.append(0x0A)
            out.append(contentsOf: lineBytes(slice))
        }
        return out
    }
}
