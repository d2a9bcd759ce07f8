import AbacusExposition
import Glibc

/// libFuzzer entry for the OpenMetrics parser: whatever parses must encode and parse back to
/// the same families, and the encoding must be stable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let families = try? OpenMetricsParser.parse(bytes) else { return 0 }
    let encoded = OpenMetricsEncoder.encode(families)
    let again: [MetricFamily]
    do {
        again = try OpenMetricsParser.parse(encoded)
    } catch {
        print(
            "re-parse failed: \(error)\n--- input\n\(String(decoding: bytes, as: UTF8.self))\n--- encoded\n\(String(decoding: encoded, as: UTF8.self))"
        )
        abort()
    }
    if again != families || OpenMetricsEncoder.encode(again) != encoded {
        print(
            "round trip differs\n--- input\n\(String(decoding: bytes, as: UTF8.self))\n--- encoded\n\(String(decoding: encoded, as: UTF8.self))"
        )
        abort()
    }
    return 0
}
