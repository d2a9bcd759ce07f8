import AbacusExposition
import AbacusGateway
import Benchmark

// JSON-lines ops (docs/ops.md) from bytes to state, without sockets: what the UDP and
// stream listeners pay per message inside `GroupStore.applyOps`. The messages are those of
// Benchmarks/udp/blaster.c and Benchmarks/ops/uds-sender.c (`opsMessage(_:)`), ~118 bytes.
//
// Each benchmark handles 1,000 messages per iteration and has scalingFactor .kilo, so the
// default output (the rows marked `*`) is per message: time in ns per message, mallocs per
// message. `--scale` shows the unscaled figures (per 1,000 messages) instead.

/// Message `i` of the harnesses' realistic `inc` (must match opsMessage() in blaster.c).
func opsMessage(_ i: Int) -> String {
    let queues = ["mail", "sms", "push", "report", "index"]
    let host = i / 5 % 100
    let status = i / 500 % 2 == 0 ? "ok" : "retry"
    return "{\"name\":\"jobs_total\",\"help\":\"Jobs run\",\"labels\":{\"queue\":\"\(queues[i % 5])\","
        + "\"host\":\"web-\(host < 10 ? "0" : "")\(host)\",\"status\":\"\(status)\"},\"op\":\"inc\",\"value\":1}\n"
}

/// `count` messages cycling over `series` series, concatenated (one datagram's or read's worth),
/// and where each message starts.
func opsBuffer(count: Int, series: Int) -> (bytes: [UInt8], starts: [Int]) {
    var bytes: [UInt8] = []
    var starts: [Int] = []
    for i in 0..<count {
        starts.append(bytes.count)
        if series <= 1000 {
            bytes += Array(opsMessage(i % series).utf8)
        } else {  // more series than the 1,000 label combinations: vary a fourth label
            let text = opsMessage(i % 1000).replacingOccurrences(
                of: "\"status\"", with: "\"shard\":\"\(i % series / 1000)\",\"status\"")
            bytes += Array(text.utf8)
        }
    }
    starts.append(bytes.count)
    return (bytes, starts)
}

func makeOpsStore() -> GroupStore {
    GroupStore(limits: StoreLimits(), journal: nil, ownFamilies: GatewayMetrics.names)
}

/// Applies `bytes` as one datagram; returns the accepted count.
@inline(__always)
func applyDatagram(_ store: GroupStore, _ policy: OpsPolicy, _ bytes: UnsafeRawBufferPointer) -> Int {
    let outcome = store.applyOps(policy: policy, nowMs: 1_763_600_000_000) { sink in
        OpsFramer.forEachItem(inDatagram: bytes, sink)
    }
    return outcome.accepted
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

/// Shared between iterations (the closure of a benchmark runs once per iteration).
nonisolated(unsafe) var opsThousand: (store: GroupStore, bytes: [UInt8], starts: [Int])?
nonisolated(unsafe) var opsHundredK: (store: GroupStore, bytes: [UInt8], starts: [Int], chunk: Int)?

/// A store holding the 1,000 series of `opsBuffer(count: 1000, series: 1000)`, and that buffer.
func thousandOps() -> (store: GroupStore, bytes: [UInt8], starts: [Int]) {
    if let opsThousand { return opsThousand }
    let buffer = opsBuffer(count: 1000, series: 1000)
    let store = makeOpsStore()
    buffer.bytes.withUnsafeBytes { precondition(applyDatagram(store, OpsPolicy(), $0) == 1000) }
    opsThousand = (store, buffer.bytes, buffer.starts)
    return opsThousand!
}

let opsBenchmarks: @Sendable () -> Void = {
    let perMessage = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 10,
        scalingFactor: .kilo, maxDuration: .seconds(3))
    let policy = OpsPolicy()

    // (c) of the issue: ≤ 300 ns from bytes to state for an `inc` on an existing series.
    Benchmark("Ops: inc, 1,000 messages per applyOps (datagram framing)", configuration: perMessage) {
        benchmark in
        let ops = thousandOps()
        benchmark.startMeasurement()
        // One iteration = one call over the 1,000 messages; the output divides by 1,000.
        ops.bytes.withUnsafeBytes { blackHole(applyDatagram(ops.store, policy, $0)) }
    }

    Benchmark("Ops: inc, one message per applyOps (lock per message)", configuration: perMessage) { benchmark in
        let ops = thousandOps()
        benchmark.startMeasurement()
        ops.bytes.withUnsafeBytes { raw in
            for i in benchmark.scaledIterations {
                let message = UnsafeRawBufferPointer(rebasing: raw[ops.starts[i]..<ops.starts[i + 1]])
                blackHole(applyDatagram(ops.store, policy, message))
            }
        }
    }

    // Where the time goes: the quick scan alone, the full decoder alone, and a store whose
    // working set no longer fits the caches.
    Benchmark("Ops: quick scan only (OpsFramer.forEachItem), 1,000 messages", configuration: perMessage) {
        benchmark in
        let ops = thousandOps()
        benchmark.startMeasurement()
        ops.bytes.withUnsafeBytes { raw in
            var quick = 0
            OpsFramer.forEachItem(inDatagram: raw) { item in
                if case .quick(let message) = item { quick &+= message.labels.count }
            }
            blackHole(quick)
        }
    }

    Benchmark("Ops: full decode (OpsFramer.forEachMessage), 1,000 messages", configuration: perMessage) {
        benchmark in
        let ops = thousandOps()
        benchmark.startMeasurement()
        ops.bytes.withUnsafeBytes { raw in
            var decoded = 0
            OpsFramer.forEachMessage(inDatagram: raw) { result in
                if case .success = result { decoded += 1 }
            }
            blackHole(decoded)
        }
    }

    Benchmark("Ops: inc, 1,000 messages per applyOps, 100,000 series", configuration: perMessage) { benchmark in
        if opsHundredK == nil {
            let buffer = opsBuffer(count: 100_000, series: 100_000)
            let store = makeOpsStore()
            buffer.bytes.withUnsafeBytes { precondition(applyDatagram(store, policy, $0) == 100_000) }
            opsHundredK = (store, buffer.bytes, buffer.starts, 0)
        }
        let ops = opsHundredK!
        benchmark.startMeasurement()
        // Each iteration: the next 1,000 of the 100,000 series, in order.
        ops.bytes.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(
                rebasing: raw[ops.starts[ops.chunk * 1000]..<ops.starts[ops.chunk * 1000 + 1000]])
            blackHole(applyDatagram(ops.store, policy, slice))
        }
        benchmark.stopMeasurement()
        opsHundredK!.chunk = (ops.chunk + 1) % 100
    }
}
