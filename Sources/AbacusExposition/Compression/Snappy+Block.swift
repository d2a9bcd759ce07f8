/// The Snappy block format on raw buffers: the decoder and the encoder behind ``Snappy``.
///
/// A block is a varint (little-endian base 128, at most 32 bits) of the uncompressed length,
/// then elements, each starting with a tag byte whose low two bits give its kind:
/// `00` literal (length − 1 in the upper six bits, or 60…63 for a length in the next 1…4 bytes),
/// `01` copy of 4…11 bytes with an 11-bit offset, `10` copy of 1…64 bytes with a 16-bit offset,
/// `11` copy of 1…64 bytes with a 32-bit offset. Offsets count back from the current end of the
/// output and may be smaller than the length (the copy then repeats a pattern).
enum SnappyBlock {
    /// The largest size `compress` can produce for `count` input bytes.
    static func maxCompressedLength(_ count: Int) -> Int {
        32 + count + count / 6
    }

    // MARK: Decoding

    /// Reads the block's length varint: the declared uncompressed length and the varint's size.
    static func readLength(_ input: UnsafeBufferPointer<UInt8>) -> Result<(length: Int, size: Int), SnappyError> {
        var value: UInt64 = 0
        for index in 0..<min(input.count, 5) {
            let byte = input[index]
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte < 0x80 {
                guard value <= UInt64(UInt32.max) else { return .failure(varintOverflow) }
                return .success((Int(value), index + 1))
            }
        }
        guard input.count < 5 else { return .failure(varintOverflow) }
        return .failure(SnappyError("snappy: truncated block: the length varint is incomplete"))
    }

    private static let varintOverflow = SnappyError("snappy: block length varint overflows 32 bits")

    /// Decompresses a whole block into a new array of at most `maxLength` bytes.
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, maxLength: Int) -> Result<[UInt8], SnappyError> {
        let header: (length: Int, size: Int)
        switch readLength(input) {
        case .success(let value): header = value
        case .failure(let error): return .failure(error)
        }
        guard header.length <= maxLength else { return .failure(.limitExceeded(maxLength)) }
        let body = UnsafeBufferPointer(rebasing: input[header.size...])
        var failure: SnappyError?
        let output = [UInt8](unsafeUninitializedCapacity: header.length) { buffer, count in
            failure = decodeElements(body, into: buffer.baseAddress, count: header.length)
            count = failure == nil ? header.length : 0
        }
        if let failure { return .failure(failure) }
        return .success(output)
    }

    /// Decodes the elements of a block (everything after its length varint) into exactly
    /// `count` bytes at `output`; `nil` when they decode to exactly that many.
    ///
    /// Never reads outside `input` nor writes outside `output[0..<count]`, whatever the input.
    static func decodeElements(
        _ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>?, count: Int
    ) -> SnappyError? {
        guard let src = input.baseAddress, !input.isEmpty else {
            return count == 0 ? nil : shortOutput(0, count)
        }
        guard let dst = output, count > 0 else { return longOutput(count) }
        let end = input.count
        var s = 0
        var d = 0
        while s < end {
            let tag = src[s]
            let length: Int
            let offset: Int
            switch tag & 3 {
            case 0:
                var literal = Int(tag >> 2)
                s += 1
                if literal >= 60 {
                    let extra = literal - 59
                    guard end - s >= extra else { return truncatedTag }
                    literal = 0
                    for index in 0..<extra { literal |= Int(src[s + index]) << (8 * index) }
                    s += extra
                }
                literal += 1
                guard literal <= end - s else {
                    return SnappyError("snappy: truncated block: a literal runs past the end of the input")
                }
                guard literal <= count - d else { return longOutput(count) }
                (dst + d).initialize(from: src + s, count: literal)
                s += literal
                d += literal
                continue
            case 1:
                guard end - s >= 2 else { return truncatedTag }
                length = 4 + Int((tag >> 2) & 7)
                offset = Int(tag >> 5) << 8 | Int(src[s + 1])
                s += 2
            case 2:
                guard end - s >= 3 else { return truncatedTag }
                length = 1 + Int(tag >> 2)
                offset = Int(src[s + 1]) | Int(src[s + 2]) << 8
                s += 3
            default:
                guard end - s >= 5 else { return truncatedTag }
                length = 1 + Int(tag >> 2)
                offset = Int(src[s + 1]) | Int(src[s + 2]) << 8 | Int(src[s + 3]) << 16 | Int(src[s + 4]) << 24
                s += 5
            }
            guard offset != 0 else { return SnappyError("snappy: copy with offset 0") }
            guard offset <= d else {
                return SnappyError(
                    "snappy: copy offset \(offset) reaches before the start of the output (at byte \(d))")
            }
            guard length <= count - d else { return longOutput(count) }
            copyBack(dst + d, offset: offset, length: length)
            d += length
        }
        return d == count ? nil : shortOutput(d, count)
    }

    /// Appends `length` bytes that repeat the output from `offset` bytes back, with as few
    /// non-overlapping block copies as possible (the period doubles with every copy).
    @inline(__always)
    private static func copyBack(_ target: UnsafeMutablePointer<UInt8>, offset: Int, length: Int) {
        if offset >= length {
            target.initialize(from: target - offset, count: length)
            return
        }
        var done = 0
        var distance = offset
        while done < length {
            let step = min(distance, length - done)
            (target + done).initialize(from: target + done - distance, count: step)
            done += step
            distance = done + offset
        }
    }

    private static let truncatedTag = SnappyError("snappy: truncated block: a copy or literal tag is cut short")

    private static func longOutput(_ count: Int) -> SnappyError {
        SnappyError("snappy: block decodes to more than its declared \(count) bytes")
    }

    private static func shortOutput(_ decoded: Int, _ count: Int) -> SnappyError {
        SnappyError("snappy: block ends after \(decoded) of its declared \(count) bytes")
    }

    // MARK: Encoding

    /// Entries of the largest hash table (2¹⁴ positions, as in the reference encoder).
    static let maxTableSize = 1 << 14

    /// Calls `body` with a hash table of ``maxTableSize`` entries (contents undefined).
    static func withHashTable<R>(_ body: (UnsafeMutablePointer<UInt16>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: maxTableSize) { table in
            body(table.baseAddress!)
        }
    }

    /// Compresses `input` into `output`, which holds at least `maxCompressedLength(input.count)`
    /// bytes; returns the number of bytes written. `table` has ``maxTableSize`` entries.
    static func compress(
        _ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>,
        table: UnsafeMutablePointer<UInt16>
    ) -> Int {
        var d = 0
        var length = UInt32(input.count)
        while length >= 0x80 {
            output[d] = UInt8(truncatingIfNeeded: length) | 0x80
            length >>= 7
            d += 1
        }
        output[d] = UInt8(length)
        d += 1
        guard let src = input.baseAddress else { return d }
        var start = 0
        while start < input.count {
            let fragment = min(input.count - start, Snappy.maxChunkLength)
            d += compressFragment(src + start, count: fragment, into: output + d, table: table)
            start += fragment
        }
        return d
    }

    /// Inputs shorter than this are stored as one literal: the matcher reads 4 bytes at a time
    /// and needs some slack at the end.
    private static let inputMargin = 15

    @inline(__always)
    private static func load32(_ p: UnsafePointer<UInt8>, _ index: Int) -> UInt32 {
        UInt32(littleEndian: UnsafeRawPointer(p + index).loadUnaligned(as: UInt32.self))
    }

    @inline(__always)
    private static func hash(_ value: UInt32, _ shift: UInt32) -> Int {
        Int((value &* 0x1E35_A7BD) >> shift)
    }

    /// Compresses at most 64 KiB (positions fit the table's `UInt16`s and every offset fits a
    /// 2-byte copy). Returns the number of bytes written.
    private static func compressFragment(
        _ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<UInt8>,
        table: UnsafeMutablePointer<UInt16>
    ) -> Int {
        guard count >= inputMargin else { return emitLiteral(dst, src, count: count) }
        var bits = 8
        while bits < 14 && (1 << bits) < count { bits += 1 }
        let shift = UInt32(32 - bits)
        table.initialize(repeating: 0, count: 1 << bits)

        let limit = count - inputMargin
        var d = 0
        var nextEmit = 0
        var i = 1
        while true {
            // Look for a 4-byte match, taking bigger steps the longer none is found.
            var skip = 32
            var candidate = 0
            var next = i
            repeat {
                i = next
                next = i + skip >> 5
                skip += 1
                if next > limit {
                    return d + emitLiteral(dst + d, src + nextEmit, count: count - nextEmit)
                }
                let h = hash(load32(src, i), shift)
                candidate = Int(table[h])
                table[h] = UInt16(truncatingIfNeeded: i)
            } while load32(src, candidate) != load32(src, i)

            d += emitLiteral(dst + d, src + nextEmit, count: i - nextEmit)
            // Emit copies for as long as the next position matches again right away.
            repeat {
                let matchStart = i
                i += 4 + matchLength(src, candidate + 4, i + 4, count)
                d += emitCopy(dst + d, offset: matchStart - candidate, length: i - matchStart)
                nextEmit = i
                if i >= limit {
                    return d + emitLiteral(dst + d, src + nextEmit, count: count - nextEmit)
                }
                table[hash(load32(src, i - 1), shift)] = UInt16(truncatingIfNeeded: i - 1)
                let h = hash(load32(src, i), shift)
                candidate = Int(table[h])
                table[h] = UInt16(truncatingIfNeeded: i)
            } while load32(src, candidate) == load32(src, i)
            i += 1
        }
    }

    /// How many bytes from `a` and `b` (with `a < b`) are equal, up to the end at `count`.
    @inline(__always)
    private static func matchLength(_ src: UnsafePointer<UInt8>, _ a: Int, _ b: Int, _ count: Int) -> Int {
        var n = 0
        let raw = UnsafeRawPointer(src)
        while b + n + 8 <= count {
            let x = raw.loadUnaligned(fromByteOffset: a + n, as: UInt64.self)
            let y = raw.loadUnaligned(fromByteOffset: b + n, as: UInt64.self)
            let diff = UInt64(littleEndian: x ^ y)
            if diff != 0 { return n + diff.trailingZeroBitCount >> 3 }
            n += 8
        }
        while b + n < count && src[a + n] == src[b + n] { n += 1 }
        return n
    }

    /// Writes a literal element of `count` bytes (any size); returns the bytes written.
    @inline(__always)
    private static func emitLiteral(_ dst: UnsafeMutablePointer<UInt8>, _ src: UnsafePointer<UInt8>, count: Int) -> Int
    {
        guard count > 0 else { return 0 }
        let n = count - 1
        var d = 1
        if n < 60 {
            dst[0] = UInt8(n << 2)
        } else {
            var value = n
            while value > 0 {
                dst[d] = UInt8(truncatingIfNeeded: value)
                value >>= 8
                d += 1
            }
            dst[0] = UInt8((59 + d - 1) << 2)
        }
        (dst + d).initialize(from: src, count: count)
        return d + count
    }

    /// Writes copy elements for a match of `length` ≥ 4 bytes at `offset` < 65536; returns the
    /// bytes written.
    @inline(__always)
    private static func emitCopy(_ dst: UnsafeMutablePointer<UInt8>, offset: Int, length: Int) -> Int {
        var d = 0
        var length = length
        // 64-byte copies while more than 67 remain, then one of 60 if more than 64 remain, so
        // that the last copy has at least 4 bytes and can use the 2-byte form when short.
        while length >= 68 {
            d += emitCopy2(dst + d, offset: offset, length: 64)
            length -= 64
        }
        if length > 64 {
            d += emitCopy2(dst + d, offset: offset, length: 60)
            length -= 60
        }
        if length < 12 && offset < 2048 {
            dst[d] = UInt8(truncatingIfNeeded: (offset >> 8) << 5 | (length - 4) << 2 | 1)
            dst[d + 1] = UInt8(truncatingIfNeeded: offset)
            return d + 2
        }
        return d + emitCopy2(dst + d, offset: offset, length: length)
    }

    @inline(__always)
    private static func emitCopy2(_ dst: UnsafeMutablePointer<UInt8>, offset: Int, length: Int) -> Int {
        dst[0] = UInt8(truncatingIfNeeded: (length - 1) << 2 | 2)
        dst[1] = UInt8(truncatingIfNeeded: offset)
        dst[2] = UInt8(truncatingIfNeeded: offset >> 8)
        return 3
    }
}
