/// How swift-metrics labels and dimension names become Prometheus names.
extension AbacusMetricsFactory {
    /// The Prometheus metric name for a swift-metrics label, before any type suffix.
    ///
    /// 1. Every Unicode scalar outside `[a-zA-Z0-9_:]` becomes one `_` (runs are not
    ///    collapsed): `http.server/requests` → `http_server_requests`, `größe` → `gr__e`.
    /// 2. A name starting with a digit gets a `_` prefix: `5xx` → `_5xx`.
    /// 3. An empty label becomes `_`.
    ///
    /// The factory then appends `_total` to counters and `_seconds` to timers, each unless the
    /// name already ends with it (see ``AbacusMetricsFactory``). The result is always a valid
    /// metric name. O(n) in the length of `label`.
    public static func sanitizedMetricName(_ label: String) -> String {
        sanitize(label, allowColon: true)
    }

    /// The Prometheus label name for a swift-metrics dimension name.
    ///
    /// 1. Every Unicode scalar outside `[a-zA-Z0-9_]` becomes one `_` (a `:` too: label names
    ///    cannot hold one): `http.method` → `http_method`.
    /// 2. A name starting with a digit gets a `_` prefix: `2fa` → `_2fa`.
    /// 3. An empty name becomes `_`.
    /// 4. A leading run of two or more `_` (reserved for Prometheus' own use) becomes one `_`:
    ///    `__name__` → `_name__`.
    /// 5. `le` and `quantile`, which histograms and summaries use for their own labels, get a
    ///    `_` prefix whatever the metric's type: `le` → `_le`, `quantile` → `_quantile`, so a
    ///    dimension keeps its name when a recorder or timer switches between histogram and
    ///    summary.
    ///
    /// The result is always a valid, unreserved label name. O(n) in the length of `dimension`.
    public static func sanitizedLabelName(_ dimension: String) -> String {
        var name = sanitize(dimension, allowColon: false)
        if name.utf8.starts(with: "__".utf8) {
            name = "_" + name.drop { $0 == "_" }
        }
        if name == "le" || name == "quantile" { name = "_" + name }
        return name
    }

    /// The registry name of a counter: the sanitised label with `_total` appended when missing.
    static func counterName(_ label: String) -> String {
        let name = sanitizedMetricName(label)
        return name.hasSuffix("_total") ? name : name + "_total"
    }

    /// The registry name of a timer: the sanitised label with `_seconds` appended when missing.
    static func timerName(_ label: String) -> String {
        let name = sanitizedMetricName(label)
        return name.hasSuffix("_seconds") ? name : name + "_seconds"
    }

    private static func sanitize(_ text: String, allowColon: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        for scalar in text.unicodeScalars {
            let allowed =
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "_": true
                case ":": allowColon
                default: false
                }
            bytes.append(allowed ? UInt8(truncatingIfNeeded: scalar.value) : UInt8(ascii: "_"))
        }
        guard let first = bytes.first else { return "_" }
        if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) { bytes.insert(UInt8(ascii: "_"), at: 0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A metric's dimensions with sanitised names: the first value given for each label name, in
/// the order the names first appear.
struct SanitizedDimensions {
    /// The distinct label names, in order of first appearance.
    private(set) var names: [String] = []
    private var values: [String: String] = [:]

    init(_ dimensions: [(String, String)]) {
        names.reserveCapacity(dimensions.count)
        for (dimension, value) in dimensions {
            let name = AbacusMetricsFactory.sanitizedLabelName(dimension)
            if values[name] == nil {
                values[name] = value
                names.append(name)
            }
        }
    }

    /// The label names a new family gets: the distinct names, sorted.
    var sortedNames: [String] { names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

    /// Values for a family's label names: the dimension's value, or "" where there is none.
    func values(for labelNames: [String]) -> [String] {
        labelNames.map { values[$0] ?? "" }
    }
}
