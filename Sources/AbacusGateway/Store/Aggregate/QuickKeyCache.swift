#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Raw JSON bytes of an ops message's `name` and `labels`, exactly as a client sent them →
/// the aggregated series they decoded to: the hot path's lookup (one hash, one comparison, no
/// allocation). Filled by the slow path after a full decode; entries of removed series go stale
/// (the slot's generation no longer matches) and are skipped. Bounded: when full it is cleared
/// and refills from the slow path.
struct QuickKeyCache {
    struct Entry {
        var hash: UInt64
        var slot: Int32
        var generation: UInt32
        /// name bytes, 0x00, labels bytes (0x00 cannot occur raw inside JSON strings).
        var key: [UInt8]
    }

    private var entries: [Entry?]
    private var mask: Int
    private(set) var count = 0
    let maxCount: Int
    private let seed: UInt64

    init(maxCount: Int = 1 << 20) {
        self.maxCount = Swift.max(16, maxCount)
        entries = Array(repeating: nil, count: 64)
        mask = 63
        seed = UInt64.random(in: 1...UInt64.max)
    }

    /// A 64-bit hash of `name` and `labels`, 8 bytes at a time (seeded per process).
    @inline(__always)
    func hash(_ name: UnsafeRawBufferPointer, _ labels: UnsafeRawBufferPointer) -> UInt64 {
        var h = seed ^ (UInt64(name.count) &* 0x9E37_79B9_7F4A_7C15)
        @inline(__always) func mix(_ p: UnsafeRawBufferPointer, _ h: inout UInt64) {
            var i = 0
            let n = p.count
            while i + 8 <= n {
                let word = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail ^ (UInt64(n) << 56)) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 29
        }
        mix(name, &h)
        mix(labels, &h)
        return h
    }

    @inline(__always)
    static func matches(_ key: [UInt8], _ name: UnsafeRawBufferPointer, _ labels: UnsafeRawBufferPointer) -> Bool {
        guard key.count == name.count + 1 + labels.count else { return false }
        return key.withUnsafeBytes { k in
            guard let base = k.baseAddress else { return false }
            if name.count > 0, memcmp(base, name.baseAddress!, name.count) != 0 { return false }
            if k[name.count] != 0 { return false }
            if labels.count > 0, memcmp(base + name.count + 1, labels.baseAddress!, labels.count) != 0 {
                return false
            }
            return true
        }
    }

    /// The slot and generation cached for these bytes.
    @inline(__always)
    func find(_ name: UnsafeRawBufferPointer, _ labels: UnsafeRawBufferPointer, hash h: UInt64)
        -> (slot: Int32, generation: UInt32)?
    {
        var i = Int(truncatingIfNeeded: h) & mask
        while let entry = entries[i] {
            if entry.hash == h, Self.matches(entry.key, name, labels) { return (entry.slot, entry.generation) }
            i = (i + 1) & mask
        }
        return nil
    }

    mutating func insert(
        _ name: UnsafeRawBufferPointer, _ labels: UnsafeRawBufferPointer, hash h: UInt64, slot: Int32,
        generation: UInt32
    ) {
        if count >= maxCount { removeAll() }
        if (count + 1) * 2 > entries.count { grow() }
        var key = [UInt8](repeating: 0, count: name.count + 1 + labels.count)
        key.withUnsafeMutableBytes { k in
            if name.count > 0 { k.baseAddress!.copyMemory(from: name.baseAddress!, byteCount: name.count) }
            if labels.count > 0 {
                (k.baseAddress! + name.count + 1).copyMemory(from: labels.baseAddress!, byteCount: labels.count)
            }
        }
        var i = Int(truncatingIfNeeded: h) & mask
        while let entry = entries[i] {
            if entry.hash == h, entry.key == key {
                entries[i]!.slot = slot
                entries[i]!.generation = generation
                return
            }
            i = (i + 1) & mask
        }
        entries[i] = Entry(hash: h, slot: slot, generation: generation, key: key)
        count += 1
    }

    mutating func removeAll() {
        entries = Array(repeating: nil, count: 64)
        mask = 63
        count = 0
    }

    private mutating func grow() {
        let old = entries
        entries = Array(repeating: nil, count: old.count * 2)
        mask = entries.count - 1
        for case let entry? in old {
            var i = Int(truncatingIfNeeded: entry.hash) & mask
            while entries[i] != nil { i = (i + 1) & mask }
            entries[i] = entry
        }
    }
}
