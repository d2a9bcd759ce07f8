import SwiftProtobuf

/// Reads the Prometheus protobuf exposition format: `io.prometheus.client.MetricFamily`
/// messages (proto2, the current `client_model`), each preceded by its length as a varint,
/// back to back (`Content-Type: application/vnd.google.protobuf;
/// proto=io.prometheus.client.MetricFamily; encoding=delimited`).
///
/// Mapping onto the model (``ProtobufEncoder`` writes the same rules backwards):
/// - The family `type` picks the one value field every metric must carry: `counter`, `gauge`,
///   `untyped`, `summary`, or `histogram` for `HISTOGRAM` and `GAUGE_HISTOGRAM`
///   (→ ``MetricType/gaugeHistogram``). A family without `type` is untyped — unless its first
///   metric carries a `counter` and no `untyped` field: then it is a counter, which is what
///   proto2's default (`COUNTER` = 0) and proto3 writers that omit the zero enum mean.
/// - `help`, `unit`, `timestamp_ms` (→ ``Metric/timestampMs``), a summary's or histogram's
///   `sample_count` and `sample_sum`, created timestamps and exemplar timestamps keep proto2
///   presence: an absent field is `nil` in the model, never 0. Fields the model does not make
///   optional (a counter's, gauge's or untyped metric's `value`, a bucket's `upper_bound`, a
///   quantile, a label's name or value) read as the protobuf default 0 or "" when absent, as proto3 writers omit zero values.
/// - Counts: a histogram's `sample_count` / `sample_count_float` and a bucket's
///   `cumulative_count` / `cumulative_count_float` become one `Double`; the float field is used
///   when it is > 0 or the integer field is absent (Prometheus' rule).
/// - `google.protobuf.Timestamp` (created, exemplar) → seconds since the epoch as `Double`
///   (`seconds + nanos / 1e9`); a timestamp outside year 1…9999 or with nanos outside
///   0…999 999 999 is rejected.
/// - A histogram with any native field (`schema`, `zero_threshold`, `zero_count`,
///   `zero_count_float`, spans, deltas, counts, `exemplars`) gets a ``NativeHistogram``;
///   `zero_count` and `zero_count_float` keep their presence.
/// - The protobuf format has no info or stateset type: ``ProtobufEncoder`` writes them as
///   gauges, so they come back as gauge families.
///
/// Every decoded family is then checked with ``ExpositionValidator/validate(_:)``.
public enum ProtobufDecoder {
    /// Decodes varint-length-delimited `MetricFamily` messages.
    ///
    /// O(bytes); memory stays proportional to the input (no length field is trusted beyond
    /// the bytes actually present).
    ///
    /// - Parameters:
    ///   - bytes: The whole exposition; empty input gives no families.
    ///   - maxMessageSize: The largest single message accepted, in bytes (16 MiB by default).
    /// - Returns: The families in input order.
    /// - Throws: ``ExpositionError`` (with `line` `nil`; the message names the byte offset of
    ///   the offending message) for a truncated or overlong varint, a length beyond the input or
    ///   above `maxMessageSize`, a malformed message or invalid UTF-8, a family without a name,
    ///   an unknown type, a metric whose value field does not fit the family type, an
    ///   out-of-range timestamp, and anything ``ExpositionValidator`` rejects.
    ///   - names: Which metric and label names are valid (``NameValidation/legacy`` by default).
    public static func decode(
        _ bytes: [UInt8], maxMessageSize: Int = 16 << 20, names: NameValidation = .legacy
    ) throws -> [MetricFamily] {
        let families = try decodeUnvalidated(bytes, maxMessageSize: maxMessageSize)
        try ExpositionValidator.validate(families, names: names)
        return families
    }

    /// ``decode(_:maxMessageSize:)`` without the ``ExpositionValidator`` pass: the wire format and
    /// the mapping only (tests use it to round-trip values the validator would reject).
    static func decodeUnvalidated(_ bytes: [UInt8], maxMessageSize: Int = 16 << 20) throws -> [MetricFamily] {
        var families: [MetricFamily] = []
        var offset = 0
        while offset < bytes.count {
            let start = offset
            let length: UInt64
            switch ProtobufMapping.readVarint(bytes, at: offset) {
            case .truncated:
                throw ExpositionError("protobuf: truncated varint length prefix at byte \(start)")
            case .overlong:
                throw ExpositionError(
                    "protobuf: malformed varint length prefix at byte \(start) (longer than 10 bytes)")
            case let .value(value, end):
                length = value
                offset = end
            }
            if length > UInt64(max(maxMessageSize, 0)) {
                throw ExpositionError(
                    "protobuf: message at byte \(start) is \(length) bytes long, above the limit of \(maxMessageSize) bytes"
                )
            }
            let remaining = bytes.count - offset
            if length > UInt64(remaining) {
                throw ExpositionError(
                    "protobuf: message at byte \(start) declares \(length) bytes but only \(remaining) remain (truncated input)"
                )
            }
            let end = offset + Int(length)
            let message = try parse(bytes, offset..<end, at: start)
            var reader = ProtobufFamilyReader(at: start)
            families.append(try reader.family(from: message))
            offset = end
        }
        return families
    }

    /// Parses one message with SwiftProtobuf, translating its errors.
    private static func parse(_ bytes: [UInt8], _ range: Range<Int>, at start: Int) throws
        -> Io_Prometheus_Client_MetricFamily
    {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 32  // the schema nests 5 deep; unknown groups get some room
        do {
            #if compiler(>=6.2)
                return try Io_Prometheus_Client_MetricFamily(
                    serializedBytes: bytes.span.bytes.extracting(range), partial: true, options: options)
            #else
                return try Io_Prometheus_Client_MetricFamily(
                    serializedBytes: Array(bytes[range]), partial: true, options: options)
            #endif
        } catch let error as BinaryDecodingError {
            let reason =
                switch error {
                case .invalidUTF8: "a string field is not valid UTF-8"
                case .truncated: "a field runs past the end of the message"
                case .messageDepthLimit: "groups nested too deeply"
                default: "invalid protobuf encoding (\(error))"
                }
            throw ExpositionError("protobuf: malformed MetricFamily message at byte \(start): \(reason)")
        } catch {
            throw ExpositionError("protobuf: malformed MetricFamily message at byte \(start): \(error)")
        }
    }
}
