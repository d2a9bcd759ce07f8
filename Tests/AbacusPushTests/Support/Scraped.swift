import AbacusTesting
import Foundation

/// A text 0.0.4 exposition as a server served it, read sample by sample: each sample line
/// becomes its name, its labels (unescaped) and its value, so tests look series up by label
/// set whatever order the server wrote the labels in.
struct Scraped: Sendable {
    struct Sample: Sendable, Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    let samples: [Sample]

    init(_ text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { Self.parse(Substring($0)) }
    }

    /// `GET <baseURL>/metrics`.
    static func fetch(_ baseURL: String) async throws -> Scraped {
        let response = try await HTTP.request("GET", baseURL + "/metrics", timeout: 10)
        guard response.status == 200 else { throw PeerError("GET /metrics: \(response.status) \(response.text)") }
        return Scraped(response.text)
    }

    /// Polls `/metrics` (every 50 ms, at most `seconds`) until `condition` holds; the last scrape.
    static func poll(
        _ baseURL: String, upTo seconds: Double = Patience.seconds, until condition: (Scraped) -> Bool
    ) async throws -> Scraped {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let scrape = try await fetch(baseURL)
            if condition(scrape) || Date() > deadline { return scrape }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The value of the sample `name` with exactly `labels`, or nil.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every sample named `name`.
    func samples(named name: String) -> [Sample] { samples.filter { $0.name == name } }

    /// The `# HELP` and `# TYPE` lines of family `name`.
    func headers(_ name: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter {
            $0 == "# HELP \(name)" || $0.hasPrefix("# HELP \(name) ") || $0 == "# TYPE \(name) "
                || $0.hasPrefix("# TYPE \(name) ")
        }
    }

    static func parse(_ line: Substring) -> Sample? {
        guard !line.hasPrefix("#"), !line.isEmpty else { return nil }
        let bytes = Array(line.utf8)
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "{"), bytes[index] != UInt8(ascii: " ") { index += 1 }
        let name = String(decoding: bytes[0..<index], as: UTF8.self)
        var labels: [String: String] = [:]
        if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "}") {
                let start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "=") { index += 1 }
                let label = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 2  // ="
                var value: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        index += 1
                        value.append(bytes[index] == UInt8(ascii: "n") ? 0x0A : bytes[index])
                    } else {
                        value.append(bytes[index])
                    }
                    index += 1
                }
                index += 1  // closing quote
                if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
                labels[label] = String(decoding: value, as: UTF8.self)
            }
            index += 1  // }
        }
        let rest = String(decoding: bytes[min(index, bytes.count)...], as: UTF8.self)
        let fields = rest.split(separator: " ")
        guard let first = fields.first else { return nil }
        let value: Double? =
            switch first {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(first)
            }
        guard let value else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}

/// The Pushgateway's `GET /api/v1/metrics` (and `abacus gateway`'s, which has its shape): the
/// groups with their labels and, per family, the metrics' labels and values as strings.
struct GroupsAPI {
    struct Group {
        var labels: [String: String]
        /// Family name → the raw JSON object (`type`, `help`, `metrics`).
        var families: [String: [String: Any]]

        /// The `value` of the metric of family `name` with exactly `labels` (gauges, counters,
        /// untyped), as a number.
        func value(_ name: String, _ labels: [String: String]) -> Double? {
            guard let metrics = families[name]?["metrics"] as? [[String: Any]] else { return nil }
            for metric in metrics where (metric["labels"] as? [String: String]) ?? [:] == labels {
                if let text = metric["value"] as? String { return Double(text) }
            }
            return nil
        }

        /// The type of family `name` (`GAUGE`, `COUNTER`, `HISTOGRAM`, …).
        func type(_ name: String) -> String? { families[name]?["type"] as? String }
    }

    var groups: [Group]

    static func fetch(_ baseURL: String) async throws -> GroupsAPI {
        let response = try await HTTP.request("GET", baseURL + "/api/v1/metrics", timeout: 10)
        guard response.status == 200,
            let root = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let data = root["data"] as? [[String: Any]]
        else { throw PeerError("GET /api/v1/metrics: \(response.status) \(response.text)") }
        let groups = data.map { entry in
            var families: [String: [String: Any]] = [:]
            for (key, value) in entry {
                if let family = value as? [String: Any], family["metrics"] != nil { families[key] = family }
            }
            return Group(labels: entry["labels"] as? [String: String] ?? [:], families: families)
        }
        return GroupsAPI(groups: groups)
    }

    /// The group with exactly these labels.
    func group(_ labels: [String: String]) -> Group? { groups.first { $0.labels == labels } }
}
