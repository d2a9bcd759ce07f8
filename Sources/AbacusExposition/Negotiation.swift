/// Content negotiation for `GET /metrics`, as Prometheus' Go handler does it: the `Accept`
/// media type with the highest `q` among text 0.0.4, OpenMetrics 1.0 and protobuf delimited
/// (ties go to the first listed); text when nothing matches. gzip when `Accept-Encoding`
/// allows it.
public enum Negotiation {
    /// The format to answer a scrape with, from its `Accept` header (`nil`: text).
    public static func format(accept: String?) -> ExpositionFormat { negotiate(accept: accept).format }

    /// The format to answer a scrape with, and whether the scraper reads UTF-8 metric and label
    /// names in it: the chosen media range has `escaping=allow-utf-8`, as Prometheus 3 sends.
    /// Otherwise names outside the legacy rules are to be escaped (``NameEscaping``).
    public static func negotiate(accept: String?) -> (format: ExpositionFormat, utf8Names: Bool) {
        guard let accept else { return (.text, false) }
        var best: (format: ExpositionFormat, q: Double, utf8: Bool)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingBlanks().lowercased() }
            guard let media = parts.first else { continue }
            var q = 1.0
            var params: [String: String] = [:]
            for part in parts.dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1).map { String($0) }
                guard pair.count == 2 else { continue }
                if pair[0] == "q" { q = Double(pair[1]) ?? 0 } else { params[pair[0]] = pair[1] }
            }
            guard q > 0 else { continue }
            let format: ExpositionFormat?
            switch media {
            case "application/openmetrics-text": format = .openMetrics
            case "application/vnd.google.protobuf":
                format =
                    params["proto"] == "io.prometheus.client.metricfamily" && params["encoding"] == "delimited"
                    ? .protobuf : nil
            case "text/plain", "text/*", "*/*": format = .text
            default: format = nil
            }
            if let format, q > (best?.q ?? 0) { best = (format, q, params["escaping"] == "allow-utf-8") }
        }
        return (best?.format ?? .text, best?.utf8 ?? false)
    }

    /// Whether `Accept-Encoding` allows gzip (`gzip` or `*`, not with `q=0`).
    public static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        for coding in acceptEncoding.split(separator: ",") {
            let parts = coding.split(separator: ";").map { $0.trimmingBlanks().lowercased() }
            guard parts.first == "gzip" || parts.first == "*" else { continue }
            if parts.dropFirst().contains(where: { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000" })
            {
                return false
            }
            return true
        }
        return false
    }
}
