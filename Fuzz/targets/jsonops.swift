// libFuzzer entry point for the JSON-lines ops codec (built by scripts/fuzz.sh against the
// AbacusExposition release objects; seed corpus in Fuzz/corpus/jsonops).
//
// Feeds the input to a stream framer in chunks whose sizes come from the input itself and
// decodes every frame; checks that the framer never traps, that its buffer stays bounded,
// that the chunked stream gives the same messages as the input taken as one datagram, and
// that every accepted message survives a round trip: decode(encode(m)) == m.
import AbacusExposition

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let maxMessageSize = 512

    func check(_ message: OpsMessage) {
        let encoded = OpsEncoder.encode(message)
        guard case .success(let again) = Result(catching: { () throws(OpsRejection) in try OpsDecoder.decode(encoded) }) else {
            fatalError("encoded message rejected: \(String(decoding: encoded, as: UTF8.self))")
        }
        if again != message {
            fatalError("round trip changed \(message) into \(again)")
        }
    }

    // 1. As a stream, in input-derived chunks.
    var framer = OpsFramer(maxMessageSize: maxMessageSize)
    var streamed: [Result<OpsMessage, OpsRejection>] = []
    var offset = 0
    var step = 1
    while offset < bytes.count {
        step = (step &* 31 &+ Int(bytes[offset])) % 23 + 1
        let end = min(bytes.count, offset + step)
        framer.append(bytes[offset..<end])
        offset = end
        while true {
            do throws(OpsRejection) {
                guard let message = try framer.nextMessage() else { break }
                check(message)
                streamed.append(.success(message))
            } catch {
                streamed.append(.failure(error))
            }
        }
        if framer.bufferedByteCount > maxMessageSize + 2 * 23 {
            fatalError("framer holds \(framer.bufferedByteCount) bytes")
        }
    }
    if let rejection = framer.finish() { streamed.append(.failure(rejection)) }

    // 2. The same bytes as one datagram: the same accepted messages, in the same order.
    let datagram = OpsFramer.messages(inDatagram: bytes, maxMessageSize: maxMessageSize)
    let a = streamed.compactMap { try? $0.get() }
    let b = datagram.compactMap { try? $0.get() }
    if a != b {
        fatalError("stream and datagram disagree: \(a) vs \(b)")
    }

    // 3. Raw frames and the one-shot decoder on each.
    for frame in OpsFramer.frames(inDatagram: bytes, maxMessageSize: maxMessageSize) {
        if case .value(let value) = frame, case .success(let message) = Result(catching: { () throws(OpsRejection) in try OpsDecoder.decode(value) }) {
            check(message)
        }
    }
    // 4. The hot path (`forEachItem`: quick items read without allocating, decoded here as
    //    the gateway decodes them on a cache miss) gives the same messages as the decoder, as a
    //    datagram and as a stream in the same chunks; a quick item's op and value are the
    //    decoded message's.
    func resolve(_ item: OpsItem) -> Result<OpsMessage, OpsRejection> {
        switch item {
        case .quick(let quick):
            let result = Result { () throws(OpsRejection) in try quick.decode() }
            if case .success(let message) = result, message.op != quick.op || message.value != quick.value {
                fatalError("quick item \(quick.op) \(quick.value) decodes to \(message)")
            }
            return result
        case .message(let message): return .success(message)
        case .rejected(let rejection): return .failure(rejection)
        }
    }
    var quickDatagram: [Result<OpsMessage, OpsRejection>] = []
    bytes.withUnsafeBytes { raw in
        OpsFramer.forEachItem(inDatagram: raw, maxMessageSize: maxMessageSize) { quickDatagram.append(resolve($0)) }
    }
    if quickDatagram.compactMap({ try? $0.get() }) != b {
        fatalError("forEachItem(inDatagram:) disagrees with messages(inDatagram:)")
    }
    var quickFramer = OpsFramer(maxMessageSize: maxMessageSize)
    var quickStreamed: [Result<OpsMessage, OpsRejection>] = []
    offset = 0
    step = 1
    while offset < bytes.count {
        step = (step &* 31 &+ Int(bytes[offset])) % 23 + 1
        let end = min(bytes.count, offset + step)
        quickFramer.append(bytes[offset..<end])
        offset = end
        quickFramer.forEachItem { quickStreamed.append(resolve($0)) }
        if quickFramer.bufferedByteCount > maxMessageSize + 2 * 23 {
            fatalError("framer holds \(quickFramer.bufferedByteCount) bytes")
        }
    }
    if let rejection = quickFramer.finish() { quickStreamed.append(.failure(rejection)) }
    if quickStreamed.compactMap({ try? $0.get() }) != a {
        fatalError("forEachItem on a stream disagrees with nextMessage()")
    }

    // 5. The whole input as one message.
    if case .success(let message) = Result(catching: { () throws(OpsRejection) in try OpsDecoder.decode(bytes) }) {
        check(message)
    }
    return 0
}
