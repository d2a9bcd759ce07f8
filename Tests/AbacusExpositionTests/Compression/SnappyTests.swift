import AbacusTesting
import Testing

@testable import AbacusExposition

/// The Snappy block and framing codecs: round trips, reference vectors and every rejection.
///
/// The reference vectors were produced with python-snappy 0.7.3 (cramjam 2.14.0, which wraps the
/// reference encoder's port) — `snappy.compress` for blocks, `snappy.stream_compress` for framed
/// streams — or written by hand from `format_description.txt` / `framing_format.txt` where the
/// reference encoder never emits the element (4-byte-offset copies, padding chunks).
@Suite("Snappy")
struct SnappyTests {
    // MARK: Inputs

    static let exposition = Array(
        """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027
        http_requests_total{method="post",code="400"} 3

        """.utf8)

    /// Generated inputs by name, the same on every run.
    static let inputs: [String: [UInt8]] = {
        var random = SplitMix64(seed: 0x5A_0C0DEC)
        var text: [UInt8] = []
        var index = 0
        while text.count < 300_000 {
            let line =
                "http_requests_total{method=\"post\",code=\"\(index % 7 * 100)\",instance=\"host-\(index % 13)\"} "
            text += Array(line.utf8) + Array("\(index &* 31 % 9973)\n".utf8)
            index += 1
        }
        return [
            "empty": [],
            "one byte": [0x2A],
            "repetitive": [UInt8](repeating: 0x61, count: 100_000),
            "short pattern": (0..<5000).map { UInt8($0 % 3) },
            "random": (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &random) },
            "200 KB random text": (0..<200_000).map { _ in UInt8.random(in: 0x61...0x64, using: &random) },
            "exposition": exposition,
            "300 KB exposition": text,
        ]
    }()

    // MARK: Round trips

    @Test(arguments: inputs.keys.sorted())
    func blockRoundTrip(name: String) throws {
        let input = try #require(Self.inputs[name])
        let compressed = Snappy.compressBlock(input)
        #expect(compressed.count <= 32 + input.count + input.count / 6)
        #expect(try Snappy.decompressBlock(compressed, maxLength: input.count) == input)
    }

    @Test(arguments: inputs.keys.sorted())
    func framedRoundTrip(name: String) throws {
        let input = try #require(Self.inputs[name])
        let compressed = Snappy.compressFramed(input)
        #expect(Array(compressed.prefix(10)) == SnappyFrames.streamIdentifier)
        #expect(try Snappy.decompressFramed(compressed, maxLength: input.count) == input)
        // One data chunk per 64 KiB, each no larger than 64 KiB uncompressed.
        let types = Self.chunks(compressed).map(\.type)
        #expect(types.filter { $0 <= 1 }.count == (input.count + 65535) / 65536)
    }

    @Test func compressionShrinksWhatRepeats() {
        #expect(Snappy.compressBlock([UInt8](repeating: 0x61, count: 100_000)).count < 5000)
        let text = Self.inputs["300 KB exposition"]!
        #expect(Snappy.compressBlock(text).count < text.count / 4)
        #expect(Snappy.compressFramed(text).count < text.count / 4)
    }

    @Test func incompressibleChunksAreStoredUncompressed() {
        let random = Self.inputs["random"]!
        let chunks = Self.chunks(Snappy.compressFramed(random))
        #expect(chunks.map(\.type) == [0xFF, 0x01])
        #expect(chunks[1].data.count == 4 + random.count)
    }

    @Test func concatenatedStreamsDecodeAsOne() throws {
        let stream = Snappy.compressFramed(Array("abc".utf8)) + Snappy.compressFramed(Self.exposition)
        #expect(try Snappy.decompressFramed(stream, maxLength: 1000) == Array("abc".utf8) + Self.exposition)
    }

    @Test func emptyStreams() throws {
        #expect(try Snappy.decompressFramed([], maxLength: 0) == [])
        #expect(try Snappy.decompressFramed(SnappyFrames.streamIdentifier, maxLength: 0) == [])
        #expect(Snappy.compressFramed([]) == SnappyFrames.streamIdentifier)
        #expect(Snappy.compressBlock([]) == [0])
        #expect(try Snappy.decompressBlock([0], maxLength: 0) == [])
    }

    // MARK: Reference vectors

    @Test func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        // RFC 3720 B.4: 32 bytes of zeros, and of 0xff.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0...31)) == 0x46DD_794E)
    }

    @Test(arguments: [
        ("00", ""),
        ("010061", "a"),
        // Literal "hello ", then a 2-byte-offset copy of 17 bytes at offset 6.
        ("171468656c6c6f20420600", "hello hello hello hello"),
        // Hand-written: a literal whose length (61) is in the byte after tag 60.
        ("3df03c" + String(repeating: "78", count: 61), String(repeating: "x", count: 61)),
        // Hand-written: literal "ab", then a 1-byte-offset copy of 6 bytes at offset 2
        // (overlapping: it repeats the pattern).
        ("080461620902", "abababab"),
        // Hand-written: literal "abc", then a 4-byte-offset copy of 7 bytes at offset 3.
        ("0a086162631b03000000", "abcabcabca"),
    ])
    func referenceBlocks(hex: String, text: String) throws {
        #expect(try Snappy.decompressBlock(Self.bytes(hex: hex), maxLength: 100) == Array(text.utf8))
    }

    @Test func referenceExpositionBlock() throws {
        let reference = Self.bytes(
            hex: "c40178232048454c5020687474705f72657175657374735f746f74616c2054686520090a386e756d626572206f6620"
                + "485454502011281c2e0a232054595045523e001c636f756e7465720a4a5a00787b6d6574686f643d22706f7374222c"
                + "636f64653d22323030227d2031303237a233001c343030227d20330a")
        #expect(try Snappy.decompressBlock(reference, maxLength: 196) == Self.exposition)
    }

    @Test func encoderMatchesTheReferenceOnSmallInputs() {
        #expect(
            Snappy.compressBlock(Array("hello hello hello hello".utf8)) == Self.bytes(hex: "171468656c6c6f20420600"))
        #expect(
            Snappy.compressFramed(Array("hello hello hello hello".utf8))
                == Self.bytes(hex: "ff060000734e61507059000f00008a1fb154171468656c6c6f20420600"))
        #expect(
            Snappy.compressFramed(Array("abc".utf8))
                == Self.bytes(hex: "ff060000734e61507059010700006e57f121616263"))
    }

    @Test(arguments: [
        // A compressed chunk (python-snappy).
        ("ff060000734e61507059000f00008a1fb154171468656c6c6f20420600", "hello hello hello hello"),
        // An uncompressed chunk (python-snappy).
        ("ff060000734e61507059010700006e57f121616263", "abc"),
        // Hand-written: padding of 3 bytes and an empty skippable 0x80 chunk before the data.
        ("ff060000734e61507059fe03000000000080000000010700001e358d7378797a", "xyz"),
        // Hand-written: a skippable 0xfd chunk after the data, and a repeated stream identifier.
        ("ff060000734e61507059010700006e57f121616263fd020000aaaaff060000734e61507059", "abc"),
    ])
    func referenceStreams(hex: String, text: String) throws {
        #expect(try Snappy.decompressFramed(Self.bytes(hex: hex), maxLength: 100) == Array(text.utf8))
    }

    @Test func referenceExpositionStream() throws {
        let reference = Self.bytes(
            hex: "ff060000734e61507059007e000035e52580c40178232048454c5020687474705f72657175657374735f746f74616c"
                + "2054686520090a386e756d626572206f6620485454502011281c2e0a232054595045523e001c636f756e7465720a4a"
                + "5a00787b6d6574686f643d22706f7374222c636f64653d22323030227d2031303237a233001c343030227d20330a")
        #expect(try Snappy.decompressFramed(reference, maxLength: 196) == Self.exposition)
    }

    // MARK: Block rejections

    @Test(arguments: [
        ("", "snappy: truncated block: the length varint is incomplete"),
        ("8080", "snappy: truncated block: the length varint is incomplete"),
        ("ffffffff10", "snappy: block length varint overflows 32 bits"),
        ("ffffffffff01", "snappy: block length varint overflows 32 bits"),
        ("0510", "snappy: truncated block: a literal runs past the end of the input"),
        ("05f0", "snappy: truncated block: a copy or literal tag is cut short"),
        ("0500610d", "snappy: truncated block: a copy or literal tag is cut short"),
        ("0500610e02", "snappy: truncated block: a copy or literal tag is cut short"),
        ("0500610f020000", "snappy: truncated block: a copy or literal tag is cut short"),
        ("0500610e0000", "snappy: copy with offset 0"),
        ("0500610e0200", "snappy: copy offset 2 reaches before the start of the output (at byte 1)"),
        ("0500610f00000100", "snappy: copy offset 65536 reaches before the start of the output (at byte 1)"),
        ("050061", "snappy: block ends after 1 of its declared 5 bytes"),
        ("05", "snappy: block ends after 0 of its declared 5 bytes"),
        ("010461626364", "snappy: block decodes to more than its declared 1 bytes"),
        ("0200610e0100", "snappy: block decodes to more than its declared 2 bytes"),
        ("000061", "snappy: block decodes to more than its declared 0 bytes"),
        ("e807", "snappy: decompressed size exceeds the limit of 999 bytes"),
    ])
    func blockRejection(hex: String, message: String) {
        #expect(throws: SnappyError(message)) { try Snappy.decompressBlock(Self.bytes(hex: hex), maxLength: 999) }
    }

    @Test func blockDeclaringFourGigabytesIsRefusedUpFront() {
        // 0xffffffff bytes declared in 5 bytes of input: refused from the header, so the
        // 4 GiB output is never allocated.
        #expect(throws: SnappyError("snappy: decompressed size exceeds the limit of 1048576 bytes")) {
            try Snappy.decompressBlock([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], maxLength: 1 << 20)
        }
    }

    // MARK: Stream rejections

    static let identifier = "ff060000734e61507059"

    @Test(arguments: [
        ("010700006e57f121616263", "snappy: missing stream identifier at the start of the stream"),
        ("fe000000" + identifier, "snappy: missing stream identifier at the start of the stream"),
        ("ff060000734e6150705a", "snappy: bad stream identifier"),
        ("ff050000734e615070", "snappy: bad stream identifier"),
        (identifier + "ff060000734e61507058", "snappy: bad stream identifier"),
        (identifier + "010700006e57f121616264", "snappy: chunk checksum mismatch"),
        (identifier + "010700006f57f121616263", "snappy: chunk checksum mismatch"),
        (identifier + "000f00008a1fb154171469656c6c6f20420600", "snappy: chunk checksum mismatch"),
        (identifier + "02000000", "snappy: reserved unskippable chunk type 0x02"),
        (identifier + "7f0100000a", "snappy: reserved unskippable chunk type 0x7f"),
        (identifier + "010700006e57f1216162", "snappy: truncated chunk: a chunk of 7 bytes has only 6 left"),
        (identifier + "0107", "snappy: truncated chunk: the stream ends inside a chunk header"),
        (identifier + "fe0500000000", "snappy: truncated chunk: a chunk of 5 bytes has only 2 left"),
        (identifier + "01030000000000", "snappy: data chunk of 3 bytes is shorter than its checksum"),
        (identifier + "0003000000000000", "snappy: data chunk of 3 bytes is shorter than its checksum"),
        (identifier + "0004000000000000", "snappy: truncated block: the length varint is incomplete"),
        (identifier + "0009000000000000ffffffffff", "snappy: block length varint overflows 32 bits"),
        (
            identifier + "000a0000000000000500610e0200",
            "snappy: copy offset 2 reaches before the start of the output (at byte 1)"
        ),
        (
            identifier + "0007000000000000818004",
            "snappy: chunk decompresses to 65537 bytes, more than the 65536 allowed"
        ),
    ])
    func streamRejection(hex: String, message: String) {
        #expect(throws: SnappyError(message)) { try Snappy.decompressFramed(Self.bytes(hex: hex), maxLength: 1 << 20) }
    }

    @Test func uncompressedChunkOverSixtyFourKilobytesIsRejected() {
        let data = [UInt8](repeating: 0x61, count: 65537)
        let stream = SnappyFrames.streamIdentifier + Self.chunk(type: 0x01, data: data)
        #expect(throws: SnappyError("snappy: chunk decompresses to 65537 bytes, more than the 65536 allowed")) {
            try Snappy.decompressFramed(stream, maxLength: 1 << 20)
        }
    }

    @Test func decompressionBombIsRefusedBeforeDecoding() {
        // 20 compressed chunks that each declare 64 KiB (1.25 MiB in all) but carry only their
        // 3-byte length varint and a wrong checksum. The limit is checked while the headers are
        // read, before the output is allocated or any chunk decoded: the error is the limit's,
        // not the checksum's or the truncated block's.
        let chunk = Self.chunk(type: 0x00, data: [0x80, 0x80, 0x04], checksum: 0)
        let stream = SnappyFrames.streamIdentifier + Array([[UInt8]](repeating: chunk, count: 20).joined())
        #expect(throws: SnappyError("snappy: decompressed size exceeds the limit of 1048576 bytes")) {
            try Snappy.decompressFramed(stream, maxLength: 1 << 20)
        }
    }

    @Test func limitIsInclusive() throws {
        let zeros = [UInt8](repeating: 0, count: 300_000)
        let framed = Snappy.compressFramed(zeros)
        let block = Snappy.compressBlock(zeros)
        #expect(framed.count < 20_000)
        #expect(try Snappy.decompressFramed(framed, maxLength: zeros.count) == zeros)
        #expect(try Snappy.decompressBlock(block, maxLength: zeros.count) == zeros)
        #expect(throws: SnappyError("snappy: decompressed size exceeds the limit of 299999 bytes")) {
            try Snappy.decompressFramed(framed, maxLength: zeros.count - 1)
        }
        #expect(throws: SnappyError("snappy: decompressed size exceeds the limit of 299999 bytes")) {
            try Snappy.decompressBlock(block, maxLength: zeros.count - 1)
        }
    }

    @Test func everyTruncationOfAStreamIsRejectedOrAPrefix() throws {
        // Cutting a valid stream anywhere gives an error, or (at a chunk boundary) a prefix of
        // the data: never a trap, never other bytes.
        let input = Self.inputs["exposition"]! + Self.inputs["random"]!.prefix(300)
        let stream = Snappy.compressFramed(input)
        for length in 0..<stream.count {
            if let output = try? Snappy.decompressFramed(Array(stream.prefix(length)), maxLength: 1 << 20) {
                #expect(input.starts(with: output))
            }
        }
        let block = Snappy.compressBlock(input)
        for length in 0..<block.count {
            #expect(throws: SnappyError.self) {
                try Snappy.decompressBlock(Array(block.prefix(length)), maxLength: 1 << 20)
            }
        }
    }

    @Test func errorDescriptionIsTheMessage() {
        let error = SnappyError("snappy: chunk checksum mismatch")
        #expect(error.description == "snappy: chunk checksum mismatch")
        #expect("\(error)" == error.message)
    }

    // MARK: Helpers

    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count - 1, by: 2).map {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)!
        }
    }

    /// A framing-format chunk; `checksum` defaults to the masked CRC-32C of `data` (for an
    /// uncompressed chunk).
    static func chunk(type: UInt8, data: [UInt8], checksum: UInt32? = nil) -> [UInt8] {
        let crc = checksum ?? data.withUnsafeBytes { CRC32C.masked($0) }
        let length = data.count + 4
        return [type, UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16)]
            + (0..<4).map { UInt8(crc >> (8 * UInt32($0)) & 0xFF) } + data
    }

    /// The chunks of a well-formed stream.
    static func chunks(_ stream: [UInt8]) -> [(type: UInt8, data: ArraySlice<UInt8>)] {
        var result: [(type: UInt8, data: ArraySlice<UInt8>)] = []
        var position = 0
        while position + 4 <= stream.count {
            let length = Int(stream[position + 1]) | Int(stream[position + 2]) << 8 | Int(stream[position + 3]) << 16
            result.append((stream[position], stream[position + 4..<position + 4 + length]))
            position += 4 + length
        }
        return result
    }
}
