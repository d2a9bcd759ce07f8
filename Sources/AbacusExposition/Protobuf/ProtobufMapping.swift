import SwiftProtobuf

/// Conversions shared by ``ProtobufDecoder`` and ``ProtobufEncoder``: counts, timestamps and
/// varints. Each pair is written so that `decode(encode(x)) == x` for every value the decoder
/// can produce.
enum ProtobufMapping {
    // MARK: Counts

    /// 2^53: the largest integer up to which every integer is exactly a `Double`.
    static let maxExactInteger: Double = 9_007_199_254_740_992

    /// How a `Double` count goes on the wire: as the `uint64` field when it is integral and
    /// within 0…2^53, otherwise as the `double` `*_float` field.
    enum CountField: Equatable {
        case integer(UInt64)
        case float(Double)
    }

    /// Splits a count into the field it is written to (see ``CountField``).
    static func countField(_ value: Double) -> CountField {
        if value >= 0, value <= maxExactInteger, value == value.rounded(.towardZero) {
            return .integer(UInt64(value))
        }
        return .float(value)
    }

    /// Reads a count from its integer and float fields (`nil` = field absent). Like Prometheus,
    /// the float field wins when it is > 0; otherwise the integer field is used, and the float
    /// field only when the integer field is absent.
    static func count(integer: UInt64?, float: Double?) -> Double? {
        if let float, float > 0 || integer == nil { return float }
        if let integer { return Double(integer) }
        return nil
    }

    /// A summary's `sample_count` has no float twin: a count that is not a non-negative finite
    /// number is dropped (`nil`), a fractional one is truncated, one ≥ 2^64 is clamped. Lossy.
    static func summaryCount(_ value: Double) -> UInt64? {
        guard value >= 0, !value.isNaN else { return nil }
        if value >= 18_446_744_073_709_551_616 { return .max }
        return UInt64(value.rounded(.towardZero))
    }

    // MARK: Timestamps

    /// The range `google.protobuf.Timestamp` allows: 0001-01-01T00:00:00Z …
    /// 9999-12-31T23:59:59Z.
    static let timestampSeconds: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    /// Seconds since the epoch of a valid `Timestamp`, or `nil` when its seconds or nanos are out
    /// of range.
    static func seconds(of timestamp: Google_Protobuf_Timestamp) -> Double? {
        guard timestampSeconds.contains(timestamp.seconds), (0..<1_000_000_000).contains(timestamp.nanos) else {
            return nil
        }
        return seconds(timestamp.seconds, timestamp.nanos)
    }

    private static func seconds(_ whole: Int64, _ nanos: Int32) -> Double {
        Double(whole) + Double(nanos) / 1e9
    }

    /// The `Timestamp` nearest to `seconds` at nanosecond resolution, chosen so that
    /// ``seconds(of:)`` gives back exactly `seconds` whenever some timestamp does. `nil` for NaN,
    /// infinities and instants outside the `Timestamp` range (those are dropped: lossy).
    static func timestamp(_ seconds: Double) -> Google_Protobuf_Timestamp? {
        guard seconds.isFinite else { return nil }
        let floor = seconds.rounded(.down)
        // `upperBound + 1` is allowed: the last nanosecond of year 9999 rounds up to it.
        guard floor >= Double(timestampSeconds.lowerBound), floor <= Double(timestampSeconds.upperBound) + 1 else {
            return nil
        }
        var whole = Int64(floor)
        var nanos = Int64(((seconds - floor) * 1e9).rounded())
        if nanos >= 1_000_000_000 {
            whole += 1
            nanos -= 1_000_000_000
        }
        if whole > timestampSeconds.upperBound {
            whole = timestampSeconds.upperBound
            nanos = 999_999_999
        }
        // The rounding above can land one nanosecond off the preimage; try the neighbours.
        for candidate in [nanos, nanos - 1, nanos + 1] where (0..<1_000_000_000).contains(candidate) {
            if self.seconds(whole, Int32(candidate)) == seconds {
                nanos = candidate
                break
            }
        }
        var result = Google_Protobuf_Timestamp()
        result.seconds = whole
        result.nanos = Int32(nanos)
        return result
    }

    // MARK: Varints

    /// Appends `value` as a base-128 varint.
    static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        buffer.append(UInt8(rest))
    }

    /// The outcome of reading a varint.
    enum VarintResult: Equatable {
        case value(UInt64, end: Int)
        /// The input ended inside the varint.
        case truncated
        /// More than 10 bytes, or bits beyond 64.
        case overlong
    }

    /// Reads a varint from `bytes` at `start`. Never traps.
    static func readVarint<C: RandomAccessCollection>(_ bytes: C, at start: C.Index) -> VarintResult
    where C.Element == UInt8, C.Index == Int {
        var result: UInt64 = 0
        var index = start
        var shift: UInt64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 1 { return .overlong }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return .value(result, end: index) }
            shift += 7
            if shift > 63 { return .overlong }
        }
        return .truncated
    }

    /// The value of the first varint field numbered `field` in raw protobuf `bytes` (e.g. the
    /// unknown fields SwiftProtobuf kept), or `nil`. Stops at anything it cannot skip.
    static func firstVarintField<C: RandomAccessCollection>(_ field: UInt64, in bytes: C) -> UInt64?
    where C.Element == UInt8, C.Index == Int {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard case let .value(tag, end) = readVarint(bytes, at: index) else { return nil }
            index = end
            switch tag & 7 {
            case 0:
                guard case let .value(value, end) = readVarint(bytes, at: index) else { return nil }
                if tag >> 3 == field { return value }
                index = end
            case 1, 5:
                let width = tag & 7 == 1 ? 8 : 4
                guard bytes.endIndex - index >= width else { return nil }
                index += width
            case 2:
                guard case let .value(length, end) = readVarint(bytes, at: index),
                    length <= UInt64(bytes.endIndex - end)
                else { return nil }
                index = end + Int(length)
            default:
                return nil
            }
        }
        return nil
    }
}
