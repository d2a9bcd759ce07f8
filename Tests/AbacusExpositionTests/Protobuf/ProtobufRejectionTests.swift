import Testing

@testable import AbacusExposition

/// One test per way the decoder rejects input, each checking the message.
@Suite("Protobuf rejections")
struct ProtobufRejectionTests {
    /// `message` serialized and framed with its varint length.
    static func framed(_ message: Io_Prometheus_Client_MetricFamily) throws -> [UInt8] {
        let body: [UInt8] = try message.serializedBytes()
        return framed(body)
    }

    static func framed(_ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        ProtobufMapping.appendVarint(UInt64(body.count), to: &bytes)
        return bytes + body
    }

    static func family(
        _ name: String = "m", _ type: Io_Prometheus_Client_MetricType? = .gauge,
        _ metric: (inout Io_Prometheus_Client_Metric) -> Void = { $0.gauge.value = 1 }
    )
        -> Io_Prometheus_Client_MetricFamily
    {
        var family = Io_Prometheus_Client_MetricFamily()
        family.name = name
        if let type { family.type = type }
        var m = Io_Prometheus_Client_Metric()
        metric(&m)
        family.metric = [m]
        return family
    }

    /// The decoder's error message for `bytes`, or `nil` when it accepted them.
    static func message(_ bytes: [UInt8], maxMessageSize: Int = 16 << 20) -> String? {
        do {
            _ = try ProtobufDecoder.decode(bytes, maxMessageSize: maxMessageSize)
            return nil
        } catch let error as ExpositionError {
            #expect(error.line == nil)
            return error.message
        } catch {
            Issue.record("not an ExpositionError: \(error)")
            return "\(error)"
        }
    }

    @Test func truncatedVarint() {
        let good = ProtobufEncoder.encode([MetricFamily(name: "a", type: .gauge)])
        #expect(Self.message([0x80]) == "protobuf: truncated varint length prefix at byte 0")
        #expect(Self.message(good + [0xff, 0xff]) == "protobuf: truncated varint length prefix at byte \(good.count)")
    }

    @Test func overlongVarint() {
        #expect(
            Self.message([UInt8](repeating: 0xff, count: 11) + [0])
                == "protobuf: malformed varint length prefix at byte 0 (longer than 10 bytes)")
        #expect(
            Self.message([UInt8](repeating: 0xff, count: 9) + [0x02])
                == "protobuf: malformed varint length prefix at byte 0 (longer than 10 bytes)")
    }

    @Test func lengthBeyondInput() {
        #expect(
            Self.message([0x05, 0x0a, 0x01, 0x61])
                == "protobuf: message at byte 0 declares 5 bytes but only 3 remain (truncated input)")
        // A huge declared length is rejected without allocating it.
        #expect(
            Self.message([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], maxMessageSize: .max)
                == "protobuf: message at byte 0 declares 9223372036854775807 bytes but only 0 remain (truncated input)")
    }

    @Test func lengthAboveLimit() {
        let bytes = ProtobufEncoder.encode([MetricFamily(name: "abcdef", type: .gauge)])
        #expect(
            Self.message(bytes, maxMessageSize: 4)
                == "protobuf: message at byte 0 is \(bytes.count - 1) bytes long, above the limit of 4 bytes")
        #expect(Self.message(bytes, maxMessageSize: bytes.count - 1) == nil)
    }

    @Test func malformedMessage() {
        // Field 1 (name) claims 5 bytes, the message holds 1.
        #expect(
            Self.message(Self.framed([0x0a, 0x05, 0x61]))
                == "protobuf: malformed MetricFamily message at byte 0: a field runs past the end of the message")
        // Wire type 7 does not exist.
        #expect(
            Self.message(Self.framed([0x0f, 0x00]))?
                .hasPrefix("protobuf: malformed MetricFamily message at byte 0: invalid protobuf encoding") == true)
        // A nested metric message that is cut short.
        #expect(
            Self.message(Self.framed([0x0a, 0x01, 0x61, 0x22, 0x03, 0x12, 0x09, 0x09]))
                == "protobuf: malformed MetricFamily message at byte 0: a field runs past the end of the message")
    }

    @Test func emptyFamilyName() throws {
        #expect(Self.message(try Self.framed(Self.family(""))) == "protobuf: metric family at byte 0 has no name")
        var unnamed = Self.family()
        unnamed.clearName()
        let first = ProtobufEncoder.encode([MetricFamily(name: "ok", type: .gauge)])
        #expect(
            Self.message(first + (try Self.framed(unnamed)))
                == "protobuf: metric family at byte \(first.count) has no name")
    }

    @Test func valueDoesNotMatchType() throws {
        let counterInGauge = Self.family("m", .gauge) { $0.counter.value = 1 }
        #expect(
            Self.message(try Self.framed(counterInGauge))
                == "protobuf: metric family m (message at byte 0): metric 1 carries a counter value, but a gauge family needs gauge"
        )
        let twoValues = Self.family("m", .histogram) {
            $0.histogram.sampleCount = 1; $0.summary.sampleCount = 1
        }
        #expect(
            Self.message(try Self.framed(twoValues))
                == "protobuf: metric family m (message at byte 0): metric 1 carries a summary value, but a histogram family needs histogram"
        )
        let none = Self.family("m", .gaugeHistogram) { $0.timestampMs = 1 }
        #expect(
            Self.message(try Self.framed(none))
                == "protobuf: metric family m (message at byte 0): metric 1 has no value (a gaugehistogram family needs the histogram field)"
        )
        // No type at all: untyped, so a gauge value does not fit.
        let untypedGauge = Self.family("m", nil) { $0.gauge.value = 1 }
        #expect(
            Self.message(try Self.framed(untypedGauge))
                == "protobuf: metric family m (message at byte 0): metric 1 carries a gauge value, but a untyped family needs untyped"
        )
    }

    @Test func missingTypeIsUntypedOrProto2DefaultCounter() throws {
        let untyped = try ProtobufDecoder.decode(try Self.framed(Self.family("u", nil) { $0.untyped.value = 2 }))
        #expect(untyped == [MetricFamily(name: "u", type: .untyped, metrics: [Metric(value: .untyped(2))])])
        let counter = try ProtobufDecoder.decode(try Self.framed(Self.family("c", nil) { $0.counter.value = 2 }))
        #expect(
            counter == [MetricFamily(name: "c", type: .counter, metrics: [Metric(value: .counter(CounterValue(2)))])])
        let empty = try ProtobufDecoder.decode(
            try Self.framed(Io_Prometheus_Client_MetricFamily.with { $0.name = "e" }))
        #expect(empty == [MetricFamily(name: "e", type: .untyped)])
    }

    @Test func unknownType() {
        // name "m", type 9, one metric with a gauge.
        let body: [UInt8] =
            [0x0a, 0x01, 0x6d, 0x18, 0x09, 0x22, 0x0b, 0x12, 0x09, 0x09] + [UInt8](repeating: 0, count: 8)
        #expect(
            Self.message(Self.framed(body)) == "protobuf: metric family m (message at byte 0): unknown metric type 9")
    }

    @Test func invalidUTF8() {
        #expect(
            Self.message(Self.framed([0x0a, 0x02, 0xc3, 0x28]))
                == "protobuf: malformed MetricFamily message at byte 0: a string field is not valid UTF-8")
        // In a label value, two levels down.
        let label: [UInt8] = [0x0a, 0x07, 0x0a, 0x01, 0x61, 0x12, 0x02, 0xff, 0xfe]
        #expect(
            Self.message(Self.framed([0x0a, 0x01, 0x6d, 0x22, UInt8(label.count)] + label))?
                .hasSuffix("a string field is not valid UTF-8") == true)
    }

    @Test func timestampOutOfRange() throws {
        let nanos = Self.family("c", .counter) {
            $0.counter.value = 1; $0.counter.createdTimestamp.nanos = 1_000_000_000
        }
        #expect(
            Self.message(try Self.framed(nanos))
                == "protobuf: metric family c (message at byte 0): metric 1: created timestamp out of range (seconds 0, "
                + "nanos 1000000000; expected year 1…9999 and nanos 0…999999999)")
        let seconds = Self.family("h", .histogram) {
            $0.histogram.bucket = [
                .with {
                    $0.upperBound = .infinity; $0.exemplar.timestamp.seconds = -1 << 40
                }
            ]
        }
        #expect(
            Self.message(try Self.framed(seconds))?.contains(
                "metric 1: exemplar timestamp out of range (seconds -1099511627776") == true)
    }

    @Test func validatorRejections() throws {
        let twice = ProtobufEncoder.encode([
            MetricFamily(name: "a", type: .gauge), MetricFamily(name: "a", type: .gauge),
        ])
        #expect(Self.message(twice) == "metric family a appears twice")
        let badName = ProtobufEncoder.encode([MetricFamily(name: "1a", type: .gauge)])
        #expect(Self.message(badName) != nil)
        let notCumulative = ProtobufEncoder.encode([
            MetricFamily(
                name: "h", type: .histogram,
                metrics: [
                    Metric(
                        value: .histogram(
                            HistogramValue(buckets: [
                                Bucket(upperBound: 1, cumulativeCount: 5),
                                Bucket(upperBound: .infinity, cumulativeCount: 2),
                            ])))
                ])
        ])
        #expect(Self.message(notCumulative) != nil)
        // The same bytes pass when the validator is skipped: the rejection is the validator's.
        #expect(try ProtobufDecoder.decodeUnvalidated(notCumulative).count == 1)
    }
}
