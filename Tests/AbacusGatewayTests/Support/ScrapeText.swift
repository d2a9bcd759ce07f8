/// A text 0.0.4 scrape of the gateway, split into what was pushed and what the gateway adds
/// about itself, so tests can compare the pushed part byte for byte.
///
/// - ``pushed``: every line but those of the gateway's own families (`abacus_*`, `process_*`),
///   in order: pushed families and `push_time_seconds` / `push_failure_time_seconds`.
/// - ``masked``: ``pushed`` with every non-zero time written `T`, for exact comparisons that do
///   not depend on the clock.
struct ScrapeText: CustomStringConvertible {
    /// The scrape as served.
    let raw: String

    init(_ raw: String) { self.raw = raw }

    /// Prefixes of the gateway's own family names.
    static let ownPrefixes = ["abacus_", "process_"]
    static let timeFamilies: Set<String> = ["push_time_seconds", "push_failure_time_seconds"]

    var lines: [Substring] { raw.split(separator: "\n", omittingEmptySubsequences: true) }

    /// The metric name a line is about: the name after `# HELP ` / `# TYPE `, or a sample's name.
    static func name(of line: Substring) -> Substring {
        if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
            return line.dropFirst(7).prefix { $0 != " " }
        }
        if line.hasPrefix("#") { return "" }
        return line.prefix { $0 != "{" && $0 != " " }
    }

    static func isOwn(_ name: Substring) -> Bool { ownPrefixes.contains { name.hasPrefix($0) } }

    /// The pushed lines (own families removed), each ending with a newline.
    var pushed: String {
        var out = ""
        for line in lines where !Self.isOwn(Self.name(of: line)) {
            out += line
            out += "\n"
        }
        return out
    }

    /// ``pushed`` with the non-zero values of the time families replaced by `T`.
    var masked: String {
        var out = ""
        for line in lines where !Self.isOwn(Self.name(of: line)) {
            if !line.hasPrefix("#"), Self.timeFamilies.contains(String(Self.name(of: line))),
                let space = line.lastIndex(of: " "), line[line.index(after: space)...] != "0"
            {
                out += line[...space]
                out += "T\n"
            } else {
                out += line
                out += "\n"
            }
        }
        return out
    }

    /// ``pushed`` without the sample lines of these series (written `name{labels}`).
    func pushed(excluding series: Set<String>) -> String {
        var out = ""
        for line in lines where !Self.isOwn(Self.name(of: line)) {
            if let space = line.lastIndex(of: " "), !line.hasPrefix("#"), series.contains(String(line[..<space])) {
                continue
            }
            out += line
            out += "\n"
        }
        return out
    }

    /// The lines of the gateway's own families.
    var own: String {
        var out = ""
        for line in lines where Self.isOwn(Self.name(of: line)) {
            out += line
            out += "\n"
        }
        return out
    }

    /// The value of the sample line whose series is exactly `series` (`name{labels}`), if any.
    func value(_ series: String) -> Double? {
        for line in lines where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), line[..<space] == series else { continue }
            return Double(line[line.index(after: space)...])
        }
        return nil
    }

    /// `push_time_seconds` of the group with these labels (`instance="",job="a"`).
    func pushTime(_ labels: String) -> Double? { value("push_time_seconds{\(labels)}") }

    /// `push_failure_time_seconds` of the group with these labels.
    func failureTime(_ labels: String) -> Double? { value("push_failure_time_seconds{\(labels)}") }

    /// The label sets of the groups (from `push_time_seconds`), in scrape order.
    var groups: [String] {
        lines.compactMap { line in
            guard line.hasPrefix("push_time_seconds{"), let close = line.lastIndex(of: "}") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 18)..<close])
        }
    }

    var description: String { raw }
}
