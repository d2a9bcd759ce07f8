// libFuzzer entry point for the Snappy codecs (built by scripts/fuzz.sh against the
// AbacusExposition release objects; seed corpus in Fuzz/corpus/snappy).
//
// Feeds every input to both decoders, as a framed stream and as a raw block. Neither may trap,
// read or write out of bounds (ASan), or return more than the limit. Whatever decodes must
// survive a round trip through the matching encoder, and the input itself must round trip
// through both encoders.
import AbacusExposition

/// Small enough that libFuzzer reaches it, large enough for several 64 KiB frames.
private let limit = 1 << 18

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnappy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let framed = try? Snappy.decompressFramed(bytes, maxLength: limit) {
        if framed.count > limit { fatalError("framed output of \(framed.count) bytes exceeds the limit") }
        roundTrip(framed)
    }
    if let block = try? Snappy.decompressBlock(bytes, maxLength: limit) {
        if block.count > limit { fatalError("block output of \(block.count) bytes exceeds the limit") }
        roundTrip(block)
    }
    // The raw input is data too: the encoders must handle it whatever it holds.
    roundTrip(bytes)
    return 0
}

private func roundTrip(_ original: [UInt8]) {
    do {
        let block = try Snappy.decompressBlock(Snappy.compressBlock(original), maxLength: original.count)
        if block != original { fatalError("block round trip changed \(original.count) bytes") }
        let framed = try Snappy.decompressFramed(Snappy.compressFramed(original), maxLength: original.count)
        if framed != original { fatalError("framed round trip changed \(original.count) bytes") }
    } catch {
        fatalError("re-compressed data does not decompress: \(error)")
    }
}
