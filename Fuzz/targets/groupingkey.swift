// libFuzzer entry point for the Pushgateway grouping-key path codec (built by scripts/fuzz.sh;
// seed corpus in Fuzz/corpus/groupingkey).
//
// Checks that parsing never traps and that every key it accepts survives a round trip through
// its own path: parse(key.path) == key.
import AbacusExposition

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let key = try? GroupingKey.parse(path: path) else { return 0 }
    do {
        let again = try GroupingKey.parse(path: key.path)
        if again != key { fatalError("round trip changed \(key) into \(again) via \(key.path)") }
    } catch {
        fatalError("\(key.path) (from \(path)) does not parse: \(error)")
    }
    return 0
}
