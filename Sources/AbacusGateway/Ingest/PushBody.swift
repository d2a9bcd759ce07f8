import AbacusExposition
import CompressNIO
import NIOCore

/// Where a push is read: undoes `Content-Encoding` (gzip, snappy framing as the Pushgateway
/// accepts it, identity) within the size limits, picks the format from `Content-Type`
/// (OpenMetrics, protobuf delimited, and text 0.0.4 for anything else, as the Pushgateway
/// does) and parses.
/// Every failure is a ``PushRejection`` with the reason.
enum PushBody {
    static func decode(
        _ body: ByteBuffer, contentType: String?, contentEncoding: String?, limits: StoreLimits,
        names: NameValidation = .legacy
    ) throws(PushRejection) -> [MetricFamily] {
        let bytes = try decompress(body, contentEncoding: contentEncoding, limits: limits)
        // Like the Pushgateway, anything but OpenMetrics and delimited protobuf is read as text
        // (curl --data-binary sends application/x-www-form-urlencoded).
        var format = Exposition.format(contentType: contentType) ?? .text
        if format == .json { format = .text }
        if bytes.isEmpty { return [] }
        do {
            return try Exposition.parse(bytes, format: format, names: names)
        } catch {
            throw .invalid("parse", "could not parse the \(format.rawValue) body: \(error)")
        }
    }

    static func decompress(_ body: ByteBuffer, contentEncoding: String?, limits: StoreLimits) throws(PushRejection)
        -> [UInt8]
    {
        let encoding = Substring((contentEncoding ?? "").lowercased()).trimmingBlanks()
        switch encoding {
        case "", "identity":
            return Array(body.readableBytesView)
        case "gzip", "x-gzip":
            var input = body
            do {
                let output = try input.decompress(with: .gzip(), maxSize: limits.maxDecompressedBytes)
                return Array(output.readableBytesView)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw tooLarge(limits)
            } catch {
                throw .invalid("encoding", "could not gunzip the body: \(error)")
            }
        case "snappy":
            do {
                return try Snappy.decompressFramed(
                    Array(body.readableBytesView), maxLength: limits.maxDecompressedBytes)
            } catch {
                if error.description.contains("exceeds") { throw tooLarge(limits) }
                throw .invalid("encoding", "could not read the snappy body: \(error)")
            }
        default:
            throw PushRejection(
                status: 415, reason: "content_encoding",
                "unsupported Content-Encoding \(encoding); send gzip, snappy (framed) or none")
        }
    }

    static func tooLarge(_ limits: StoreLimits) -> PushRejection {
        PushRejection(
            status: 413, reason: "body_too_large",
            "the decompressed body is larger than \(limits.maxDecompressedBytes) bytes (--push.max-decompressed-size)")
    }
}
