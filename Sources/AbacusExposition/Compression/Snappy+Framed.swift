/// The Snappy framing format on raw buffers: the decoder and the encoder behind ``Snappy``.
///
/// A stream is a sequence of chunks, each a type byte, a 24-bit little-endian length and that
/// many bytes of data. It starts with the stream identifier (`ff 06 00 00 "sNaPpY"`); a data
/// chunk's data starts with the masked CRC-32C of its uncompressed bytes.
enum SnappyFrames {
    static let streamIdentifier: [UInt8] = [0xFF, 0x06, 0x00, 0x00, 0x73, 0x4E, 0x61, 0x50, 0x70, 0x59]

    static let compressedType: UInt8 = 0x00
    static let uncompressedType: UInt8 = 0x01
    static let identifierType: UInt8 = 0xFF

    /// One chunk located in the input: its type and the range of its data.
    private struct Chunk {
        var type: UInt8
        var start: Int
        var count: Int
    }

    /// Visits the chunks of `input` in order, checking only that each header and its data are
    /// complete; stops at the first error `body` returns.
    private static func forEachChunk(
        _ input: UnsafeBufferPointer<UInt8>, _ body: (Chunk) -> SnappyError?
    ) -> SnappyError? {
        var position = 0
        while position < input.count {
            guard input.count - position >= 4 else {
                return SnappyError("snappy: truncated chunk: the stream ends inside a chunk header")
            }
            let count = Int(input[position + 1]) | Int(input[position + 2]) << 8 | Int(input[position + 3]) << 16
            let start = position + 4
            guard count <= input.count - start else {
                return SnappyError(
                    "snappy: truncated chunk: a chunk of \(count) bytes has only \(input.count - start) left")
            }
            if let error = body(Chunk(type: input[position], start: start, count: count)) { return error }
            position = start + count
        }
        return nil
    }

    /// Decompresses a whole stream into a new array of at most `maxLength` bytes.
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, maxLength: Int) -> Result<[UInt8], SnappyError> {
        // First pass: the structure and the total size, so that nothing is allocated for a
        // stream that is malformed or too large.
        var total = 0
        var identified = false
        let invalid = forEachChunk(input) { chunk in
            if !identified && chunk.type != identifierType {
                return SnappyError("snappy: missing stream identifier at the start of the stream")
            }
            let data = UnsafeBufferPointer(rebasing: input[chunk.start..<chunk.start + chunk.count])
            let length: Int
            switch chunk.type {
            case identifierType:
                guard data.elementsEqual(streamIdentifier[4...]) else {
                    return SnappyError("snappy: bad stream identifier")
                }
                identified = true
                return nil
            case compressedType, uncompressedType:
                guard chunk.count >= 4 else {
                    return SnappyError("snappy: data chunk of \(chunk.count) bytes is shorter than its checksum")
                }
                if chunk.type == uncompressedType {
                    length = chunk.count - 4
                } else {
                    switch SnappyBlock.readLength(UnsafeBufferPointer(rebasing: data[4...])) {
                    case .success(let header): length = header.length
                    case .failure(let error): return error
                    }
                }
            case 0x02...0x7F:
                let digits = String(chunk.type, radix: 16)
                return SnappyError("snappy: reserved unskippable chunk type 0x\(digits.count == 1 ? "0" : "")\(digits)")
            default:
                return nil  // Padding (0xfe) and reserved skippable chunks (0x80…0xfd).
            }
            guard length <= Snappy.maxChunkLength else {
                return SnappyError(
                    "snappy: chunk decompresses to \(length) bytes, more than the \(Snappy.maxChunkLength) allowed")
            }
            total += length
            return total <= maxLength ? nil : .limitExceeded(maxLength)
        }
        if let invalid { return .failure(invalid) }

        // Second pass: decode every data chunk straight into the output and check its checksum.
        var failure: SnappyError?
        let output = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var written = 0
            failure = forEachChunk(input) { chunk in
                guard chunk.type == compressedType || chunk.type == uncompressedType else { return nil }
                let data = UnsafeBufferPointer(rebasing: input[chunk.start + 4..<chunk.start + chunk.count])
                let target = buffer.baseAddress.map { $0 + written }
                let length: Int
                if chunk.type == uncompressedType {
                    length = data.count
                    if length > 0 { target!.initialize(from: data.baseAddress!, count: length) }
                } else {
                    let header: (length: Int, size: Int)
                    switch SnappyBlock.readLength(data) {
                    case .success(let value): header = value
                    case .failure(let error): return error  // Already checked by the first pass.
                    }
                    length = header.length
                    let elements = UnsafeBufferPointer(rebasing: data[(data.startIndex + header.size)...])
                    if let error = SnappyBlock.decodeElements(elements, into: target, count: length) {
                        return error
                    }
                }
                let stored =
                    UInt32(input[chunk.start]) | UInt32(input[chunk.start + 1]) << 8
                    | UInt32(input[chunk.start + 2]) << 16 | UInt32(input[chunk.start + 3]) << 24
                let actual = CRC32C.masked(UnsafeRawBufferPointer(start: target, count: length))
                guard stored == actual else { return SnappyError("snappy: chunk checksum mismatch") }
                written += length
                return nil
            }
            count = failure == nil ? total : 0
        }
        if let failure { return .failure(failure) }
        return .success(output)
    }

    /// Compresses `input` into a whole stream.
    static func compress(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let chunks = (input.count + Snappy.maxChunkLength - 1) / Snappy.maxChunkLength
        let capacity = streamIdentifier.count + chunks * (8 + 32) + input.count + input.count / 6
        return [UInt8](unsafeUninitializedCapacity: capacity) { output, count in
            let out = output.baseAddress!
            streamIdentifier.withUnsafeBufferPointer { out.initialize(from: $0.baseAddress!, count: $0.count) }
            var d = streamIdentifier.count
            guard let src = input.baseAddress else {
                count = d
                return
            }
            SnappyBlock.withHashTable { table in
                var start = 0
                while start < input.count {
                    let length = min(input.count - start, Snappy.maxChunkLength)
                    let data = UnsafeBufferPointer(start: src + start, count: length)
                    let crc = CRC32C.masked(UnsafeRawBufferPointer(data))
                    var type = compressedType
                    var size = SnappyBlock.compress(data, into: out + d + 8, table: table)
                    if size >= length - length / 8 {
                        type = uncompressedType
                        size = length
                        (out + d + 8).initialize(from: src + start, count: length)
                    }
                    let chunkLength = size + 4
                    let raw = UnsafeMutableRawPointer(out + d)
                    raw.storeBytes(of: (UInt32(type) | UInt32(chunkLength) << 8).littleEndian, as: UInt32.self)
                    raw.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
                    d += 8 + size
                    start += length
                }
            }
            count = d
        }
    }
}

/// CRC-32C (Castagnoli, reflected polynomial `0x82F63B78`), eight bytes per step with eight
/// 256-entry tables ("slicing by 8"). `checksum("123456789") == 0xE3069283`.
enum CRC32C {
    /// Eight tables of 256 entries: `tables[k * 256 + b]` is the CRC of byte `b` followed by `k`
    /// zero bytes.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[byte] = crc
        }
        for k in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(k - 1) * 256 + byte]
                tables[k * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32C of `bytes`. O(n).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            var crc: UInt32 = 0xFFFF_FFFF
            guard var p = bytes.baseAddress else { return 0 }
            var remaining = bytes.count
            while remaining >= 8 {
                let word = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ crc
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc =
                    t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                p += 8
                remaining -= 8
            }
            while remaining > 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)]
                p += 1
                remaining -= 1
            }
            return ~crc
        }
    }

    /// The CRC-32C of `bytes` in the framing format's masked form:
    /// `((crc >> 15) | (crc << 17)) + 0xa282ead8`.
    static func masked(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The CRC-32C of `bytes`. O(n).
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
