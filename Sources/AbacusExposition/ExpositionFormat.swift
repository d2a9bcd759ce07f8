/// The exposition formats Abacus reads and writes.
public enum ExpositionFormat: String, Sendable, Hashable, CaseIterable {
    /// Prometheus text format 0.0.4.
    case text
    /// OpenMetrics 1.0 text.
    case openMetrics = "openmetrics"
    /// Varint-length-delimited `io.prometheus.client.MetricFamily` messages.
    case protobuf
    /// JSON in the shape of prom2json's output (write-only).
    case json

    /// The `Content-Type` a server sends for this format.
    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        case .protobuf:
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        case .json: "application/json"
        }
    }
}
