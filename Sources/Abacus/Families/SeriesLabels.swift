import AbacusExposition

/// The label values of one series of a family, with everything a scrape needs rendered once
/// when the series is created: the `Label` pairs for the exposition model and the escaped
/// `a="1",b="2"` text that every text line of the series repeats.
struct SeriesLabels: Sendable {
    /// The values, in the order of the family's label names.
    let values: [String]
    /// Names and values, in the family's label-name order.
    let labels: [Label]
    /// `a="1",b="2"` with values escaped; empty for an unlabelled series.
    let text: [UInt8]
    /// ``LabelHashing/hash(_:)`` of `values`.
    let hash: UInt64

    init(names: [String], values: [String], hash: UInt64) {
        self.values = values
        var labels: [Label] = []
        labels.reserveCapacity(names.count)
        for (name, value) in zip(names, values) { labels.append(Label(name, value)) }
        self.labels = labels
        var text: [UInt8] = []
        Escaping.appendLabelSet(labels, to: &text)
        self.text = text
        self.hash = hash
    }

    /// The series of an instrument without labels.
    static let unlabelled = SeriesLabels(names: [], values: [], hash: 0)

    /// Orders series by their values, compared as UTF-8 bytes one label at a time.
    static func precedes(_ lhs: SeriesLabels, _ rhs: SeriesLabels) -> Bool {
        for (a, b) in zip(lhs.values, rhs.values) where a != b {
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        return false
    }
}

/// A fast, seeded hash of a list of label values (not `Hasher`: SipHash over `String`'s
/// Unicode-normalising hashing costs several times more for the short values labels have).
/// The seed is random per process, so label values chosen by an attacker cannot be made to
/// collide on purpose.
enum LabelHashing {
    static let seed: UInt64 = UInt64.random(in: 1...UInt64.max)

    @inline(__always)
    static func hash(_ values: UnsafeBufferPointer<String>) -> UInt64 {
        var h = seed
        for value in values { mix(value, into: &h) }
        return finish(h)
    }

    @inline(__always)
    static func mix(_ value: String, into h: inout UInt64) {
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { mix(bytes: $0, into: &h) }
        if done == nil {
            var copy = value
            copy.withUTF8 { mix(bytes: $0, into: &h) }
        }
    }

    @inline(__always)
    static func mix(bytes: UnsafeBufferPointer<UInt8>, into h: inout UInt64) {
        let count = bytes.count
        var i = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
                h = (h << 31) | (h >> 33)
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xC2B2_AE3D_27D4_EB4F
        }
        // The length separates ("ab","c") from ("a","bc").
        h = (h ^ UInt64(count)) &* 0x1656_67B1_9E37_79F9
        h = (h << 27) | (h >> 37)
    }

    @inline(__always)
    static func finish(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
