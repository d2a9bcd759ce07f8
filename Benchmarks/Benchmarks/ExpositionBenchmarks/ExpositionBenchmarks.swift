import AbacusExposition
import Benchmark

/// Throughput in MB/s is bytes per iteration × iterations per second; the byte counts are
/// printed once at start so docs/benchmarks.md can turn wall-clock time into MB/s.
let benchmarks: @Sendable () -> Void = {
    let families = RealisticExposition.families()
    let text = TextEncoder.encode(families)
    let openMetrics = OpenMetricsEncoder.encode(families)
    let protobuf = ProtobufEncoder.encode(families)
    print(
        "realistic exposition: \(families.reduce(0) { $0 + $1.metrics.count }) metrics, text \(text.count) bytes, "
            + "OpenMetrics \(openMetrics.count) bytes, protobuf \(protobuf.count) bytes")

    // Same number of series, 4× the bucket lines: allocations must stay about the same.
    let manyBuckets = TextEncoder.encode(RealisticExposition.families(buckets: 48))
    // Same series, every label value longer than a small string: allocations grow per label set.
    let longValues = TextEncoder.encode(RealisticExposition.families(labelValueSuffix: "-with-a-long-suffix"))
    print("histogram-heavy variant: \(manyBuckets.count) bytes; long-label-value variant: \(longValues.count) bytes")

    let config = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(3), maxIterations: 1_000)
    Benchmark.defaultConfiguration = config

    Benchmark("Text parse (realistic, \(text.count / 1024) KiB)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try TextParser.parse(text)) }
    }
    Benchmark("Text parse (48 buckets per histogram, \(manyBuckets.count / 1024) KiB)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try TextParser.parse(manyBuckets)) }
    }
    Benchmark("Text parse (long label values, \(longValues.count / 1024) KiB)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try TextParser.parse(longValues)) }
    }
    Benchmark("Text encode (realistic)") { benchmark in
        var buffer: [UInt8] = []
        buffer.reserveCapacity(text.count)
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            for family in families { TextEncoder.append(family, to: &buffer) }
            blackHole(buffer)
        }
    }
    Benchmark("OpenMetrics parse (realistic)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try OpenMetricsParser.parse(openMetrics)) }
    }
    Benchmark("OpenMetrics encode (realistic)") { benchmark in
        var buffer: [UInt8] = []
        buffer.reserveCapacity(openMetrics.count)
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            for family in families { OpenMetricsEncoder.append(family, to: &buffer) }
            OpenMetricsEncoder.appendEOF(to: &buffer)
            blackHole(buffer)
        }
    }
    Benchmark("Protobuf decode (realistic)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try ProtobufDecoder.decode(protobuf)) }
    }
    Benchmark("Protobuf encode (realistic)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(ProtobufEncoder.encode(families)) }
    }
}
