/// Snappy compression: the raw *block* format (Prometheus remote_write bodies) and the *framing*
/// format (`Content-Encoding: snappy` pushes to a Pushgateway, read the way Go's
/// `github.com/golang/snappy` `NewReader` reads them).
///
/// Both formats are described by Google's `format_description.txt` and `framing_format.txt`. The
/// decoders are written for untrusted input: every length is checked before it is used, nothing is
/// allocated before the declared output size has been checked against the caller's `maxLength`,
/// and malformed input is answered with a ``SnappyError``, never a trap. The encoders produce
/// output any Snappy decoder reads.
///
/// Everything here is pure and thread-safe; each function allocates its result once.
public enum Snappy {
    /// The most uncompressed bytes one chunk of the framing format may carry (64 KiB).
    public static let maxChunkLength = 65536

    /// Decompresses one Snappy block: a varint of the uncompressed length, then literals and
    /// copies.
    ///
    /// The declared length is checked against `maxLength` before anything is allocated, and the
    /// output is allocated exactly once. O(n) in the size of the output.
    ///
    /// - Parameters:
    ///   - bytes: The compressed block.
    ///   - maxLength: The largest uncompressed size accepted, in bytes; must not be negative.
    /// - Returns: The uncompressed bytes.
    /// - Throws: ``SnappyError`` when the block is malformed (truncated, a varint longer than
    ///   32 bits, a copy whose offset is 0 or reaches before the start of the output, a decoded
    ///   size other than the declared one) or declares more than `maxLength` bytes.
    public static func decompressBlock(_ bytes: [UInt8], maxLength: Int) throws(SnappyError) -> [UInt8] {
        precondition(maxLength >= 0, "Snappy.decompressBlock: maxLength must not be negative")
        let result = bytes.withUnsafeBufferPointer { input in
            SnappyBlock.decompress(input, maxLength: maxLength)
        }
        return try result.get()
    }

    /// Compresses `bytes` into one Snappy block.
    ///
    /// A greedy hash-table matcher over independent 64 KiB fragments, like the reference
    /// encoder: the output is not byte-for-byte the reference's, but every Snappy decoder reads
    /// it. Incompressible input grows by at most `32 + n / 6` bytes. O(n).
    ///
    /// - Parameter bytes: The data to compress (at most 4 GiB − 1, the format's limit).
    /// - Returns: The compressed block.
    public static func compressBlock(_ bytes: [UInt8]) -> [UInt8] {
        precondition(UInt64(bytes.count) <= UInt64(UInt32.max), "Snappy.compressBlock: input over 4 GiB")
        return bytes.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: SnappyBlock.maxCompressedLength(input.count)) { output, count in
                SnappyBlock.withHashTable { table in
                    count = SnappyBlock.compress(input, into: output.baseAddress!, table: table)
                }
            }
        }
    }

    /// Decompresses a Snappy framed stream: a stream identifier chunk, then compressed (`0x00`)
    /// and uncompressed (`0x01`) data chunks whose masked CRC-32C checksums are verified, with
    /// padding (`0xfe`) and reserved skippable chunks (`0x80`–`0xfd`) ignored.
    ///
    /// An empty input is an empty output (Go's reader reports end of stream). A stream may
    /// repeat the identifier chunk, so concatenated streams decode as one. The chunk headers are
    /// read first and the declared total is checked against `maxLength`, so the output is
    /// allocated exactly once and a decompression bomb is refused before any allocation. One
    /// difference from Go's reader, which refuses any chunk longer than 76,494 bytes: longer
    /// chunks are accepted as the format allows (a skippable chunk may hold 16 MiB; a data chunk
    /// must still decode to at most 64 KiB). O(n) in the size of the input plus the output.
    ///
    /// - Parameters:
    ///   - bytes: The framed stream, complete.
    ///   - maxLength: The largest total uncompressed size accepted, in bytes; must not be
    ///     negative.
    /// - Returns: The concatenated data of every data chunk.
    /// - Throws: ``SnappyError`` when the stream does not start with a valid stream identifier,
    ///   a chunk is truncated, a checksum does not match, a chunk carries more than 64 KiB, a
    ///   reserved unskippable chunk type (`0x02`–`0x7f`) appears, a compressed block is malformed,
    ///   or the total exceeds `maxLength`.
    public static func decompressFramed(_ bytes: [UInt8], maxLength: Int) throws(SnappyError) -> [UInt8] {
        precondition(maxLength >= 0, "Snappy.decompressFramed: maxLength must not be negative")
        let result = bytes.withUnsafeBufferPointer { input in
            SnappyFrames.decompress(input, maxLength: maxLength)
        }
        return try result.get()
    }

    /// Compresses `bytes` into a Snappy framed stream: the stream identifier, then one chunk per
    /// 64 KiB of input, each with the masked CRC-32C of its data.
    ///
    /// A chunk is stored compressed when that saves at least an eighth of its size, otherwise
    /// uncompressed (as Go's writer does). An empty input gives the stream identifier alone,
    /// which decodes to nothing. O(n).
    ///
    /// - Parameter bytes: The data to compress.
    /// - Returns: The framed stream.
    public static func compressFramed(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { input in
            SnappyFrames.compress(input)
        }
    }
}

/// Why Snappy data was rejected.
///
/// The `message` names the problem (`snappy: chunk checksum mismatch`, `snappy: decompressed
/// size exceeds the limit of 1048576 bytes`, …) and is meant to be shown as is, for example in
/// the body of a 400 response.
public struct SnappyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words, starting with `snappy: `.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }

    static func limitExceeded(_ maxLength: Int) -> SnappyError {
        SnappyError("snappy: decompressed size exceeds the limit of \(maxLength) bytes")
    }
}
