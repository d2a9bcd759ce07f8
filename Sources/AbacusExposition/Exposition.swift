/// One entry point for every exposition format: detect, parse, encode.
public enum Exposition {
    /// Parses `bytes` in `format` into validated families. Throws ``ExpositionError``.
    /// JSON is a write-only format here. `names` says which metric and label names are valid
    /// in text and protobuf (OpenMetrics 1.0 has the legacy rules only).
    public static func parse(
        _ bytes: [UInt8], format: ExpositionFormat, names: NameValidation = .legacy
    ) throws -> [MetricFamily] {
        switch format {
        case .text: try TextParser.parse(bytes, names: names)
        case .openMetrics: try OpenMetricsParser.parse(bytes)
        case .protobuf: try ProtobufDecoder.decode(bytes, names: names)
        case .json: throw ExpositionError("JSON can be written but not read as an exposition")
        }
    }

    /// Encodes `families` in `format`. O(bytes written).
    public static func encode(_ families: [MetricFamily], format: ExpositionFormat) -> [UInt8] {
        switch format {
        case .text: TextEncoder.encode(families)
        case .openMetrics: OpenMetricsEncoder.encode(families)
        case .protobuf: ProtobufEncoder.encode(families)
        case .json: JSONExpositionEncoder.encode(families)
        }
    }

    /// Guesses the format of an exposition from its bytes: OpenMetrics when it ends with
    /// `# EOF`, text when it reads as UTF-8 text, protobuf otherwise. Looks at most at the
    /// first 4 KiB and the last bytes.
    public static func detectFormat(_ bytes: [UInt8]) -> ExpositionFormat {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D || bytes[end - 1] == 0x20 { end -= 1 }
        if end >= 5, bytes[(end - 5)..<end].elementsEqual("# EOF".utf8) { return .openMetrics }
        var head = bytes.prefix(4096)
        for byte in head where byte < 0x20 && byte != 0x0A && byte != 0x09 && byte != 0x0D { return .protobuf }
        if head.count < bytes.count {
            // Do not cut a UTF-8 sequence at the 4 KiB boundary: back up to a character start.
            var trimmed = 0
            while trimmed < 3, let last = head.last, last & 0xC0 == 0x80 {
                head = head.dropLast()
                trimmed += 1
            }
            if let last = head.last, last >= 0xC0 { head = head.dropLast() }
        }
        // A protobuf message can be made of printable bytes only in theory; text must be UTF-8.
        if String(validating: head, as: UTF8.self) == nil { return .protobuf }
        return .text
    }

    /// The format named by an HTTP `Content-Type` (e.g. a push body), or `nil` when it names none.
    /// `text/plain` without a version, and a missing header, mean text 0.0.4, as the Pushgateway
    /// reads them.
    public static func format(contentType: String?) -> ExpositionFormat? {
        guard let contentType else { return .text }
        let lower = contentType.lowercased()
        let mediaType = lower.split(separator: ";", maxSplits: 1).first.map { $0.trimmingBlanks() } ?? ""
        switch mediaType {
        case "", "text/plain": return .text
        case "application/openmetrics-text": return .openMetrics
        case "application/vnd.google.protobuf":
            return lower.contains("encoding=delimited") && lower.contains("io.prometheus.client.metricfamily")
                ? .protobuf : nil
        default: return nil
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP header values).
    package func trimmingBlanks() -> String {
        var s = self[...]
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
