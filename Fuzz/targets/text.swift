// libFuzzer entry point for the text 0.0.4 parser (built by scripts/fuzz.sh against the
// AbacusExposition release objects; seed corpus in Fuzz/corpus/text).
//
// Checks that parsing never traps, that the streaming parser fed in chunks agrees with the
// one-shot parser, that linting never traps, and that whatever parses survives a round trip:
// parse(encode(parse(input))) == parse(input). The same round trip holds with UTF-8 names
// (quoted names), and whatever parses with legacy names parses the same with UTF-8 names.
import AbacusExposition

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let oneShot = Result { try TextParser.parse(bytes) }

    // Feed the same bytes in chunks whose sizes come from the input itself.
    var parser = TextParser()
    let chunked = Result { () throws -> [MetricFamily] in
        var families: [MetricFamily] = []
        var offset = 0
        var step = 1
        while offset < bytes.count {
            step = (step &* 31 &+ Int(bytes[offset])) % 17 + 1
            let end = min(bytes.count, offset + step)
            families += try parser.feed(bytes[offset..<end])
            offset = end
        }
        families += try parser.finish()
        return families
    }
    switch (oneShot, chunked) {
    case let (.success(a), .success(b)) where a != b:
        fatalError("streaming and one-shot parses differ:\n\(a)\n\(b)")
    case let (.failure(a), .failure(b)) where (a as? ExpositionError) != (b as? ExpositionError):
        fatalError("streaming and one-shot errors differ: \(a) / \(b)")
    case (.success, .failure), (.failure, .success):
        fatalError("streaming and one-shot parses disagree: \(oneShot) / \(chunked)")
    default:
        break
    }
    _ = TextParser.problems(in: bytes)

    let utf8 = Result { try TextParser.parse(bytes, names: .utf8) }
    if case .success(let legacy) = oneShot {
        guard case .success(let wide) = utf8, wide == legacy else {
            fatalError("a legacy parse differs with UTF-8 names: \(legacy) / \(utf8)")
        }
    }
    if case .success(let wide) = utf8 {
        let encoded = TextEncoder.encode(wide)
        guard let again = try? TextParser.parse(encoded, names: .utf8), again == wide else {
            fatalError("UTF-8 round trip failed:\n\(wide)\n\(String(decoding: encoded, as: UTF8.self))")
        }
    }

    guard case .success(let families) = oneShot else { return 0 }
    let encoded = TextEncoder.encode(families)
    do {
        let again = try TextParser.parse(encoded)
        if again != families { fatalError("round trip changed the families:\n\(families)\n\(again)") }
    } catch {
        fatalError("re-encoded families do not parse: \(error)\n\(String(decoding: encoded, as: UTF8.self))")
    }
    return 0
}
