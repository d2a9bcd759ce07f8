// libFuzzer entry point for the Pushgateway grouping-key path codec (built by scripts/fuzz.sh;
// seed corpus in Fuzz/corpus/groupingkey).
//
// Checks that parsing never traps and that every key it accepts survives a round trip through
// its own path: parse(key.path) == key, with legacy names and with UTF-8 names (U__ escaping),
// and through the group path too.
import AbacusExposition

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let wide = try? GroupingKey.parse(path: path, names: .utf8) {
        for written in [wide.path, wide.groupPath] {
            guard let again = try? GroupingKey.parse(path: written, names: .utf8), again == wide else {
                fatalError("UTF-8 round trip changed \(wide) via \(written)")
            }
        }
    }
    guard let key = try? GroupingKey.parse(path: path) else { return 0 }
    do {
        let again = try GroupingKey.parse(path: key.path)
        if again != key { fatalError("round trip changed \(key) into \(again) via \(key.path)") }
    } catch {
        fatalError("\(key.path) (from \(path)) does not parse: \(error)")
    }
    return 0
}
