// libFuzzer entry point for the protobuf exposition decoder (built by scripts/fuzz.sh against
// the AbacusExposition release objects; seed corpus in Fuzz/corpus/protobuf).
//
// Checks that decoding never traps, and that whatever decodes survives a round trip:
// decode(encode(decode(input))) == decode(input).
import AbacusExposition

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let families = try? ProtobufDecoder.decode(bytes, maxMessageSize: 1 << 20) else { return 0 }
    let encoded = ProtobufEncoder.encode(families)
    let again: [MetricFamily]
    do {
        again = try ProtobufDecoder.decode(encoded, maxMessageSize: .max)
    } catch {
        fatalError("re-encoded families do not decode: \(error)\n\(families)")
    }
    if again != families {
        fatalError("round trip changed the families:\n\(families)\n\(again)")
    }
    return 0
}
