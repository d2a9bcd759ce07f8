/// The grouping key of a Pushgateway group: `job` plus any further labels, as the URL path
/// `/metrics/job/<JOB>{/<LABEL>/<VALUE>}` carries it.
///
/// Path rules, those of the Pushgateway's API:
/// - A name suffixed with `@base64` (`job@base64`, `path@base64`) means the value after it is
///   base64 in the URL- and filename-safe alphabet (RFC 4648 §5), padding optional. It is the
///   only way to write a value containing `/`, and an empty value is written as a single `=`.
/// - Otherwise a value is percent-decoded (`%20` → space; `+` stays `+`, as in Go's path
///   decoding). Segments are split before decoding, so `%2F` is a `/` inside a value, where
///   the Pushgateway would split the path there and refuse it.
/// - Stricter than the Pushgateway 1.5.1, with a message saying what to send instead: a label
///   repeated in the path (it keeps the last) and an empty value written as a trailing `/` (it
///   accepts that, though its README asks for `@base64/=`).
/// - `job` comes first and must not be empty; label names follow the Prometheus rules, must not
///   start with `__` and must not repeat.
/// - A label with an empty value is the same as no label, as in Prometheus:
///   `job/x/instance@base64/=` is the group `job/x`. Such a label is not part of the key, but
///   it still clears the label of that name in the series pushed with it, as a grouping label
///   replaces a body label of the same name (``emptyLabelNames``). The Pushgateway keeps it as
///   a group of its own, whose series Prometheus cannot tell from those of `job/x`.
///
/// Two keys are equal when they hold the same labels, whatever the order in the path.
public struct GroupingKey: Sendable, Hashable, CustomStringConvertible {
    /// The labels, `job` included, sorted by name; none has an empty value.
    public let labels: [Label]

    /// The names given with an empty value, sorted: not part of the key (nor of its equality),
    /// but a push through this key removes these labels from its series.
    public let emptyLabelNames: [String]

    /// The name rules the key was made with: with ``NameValidation/utf8``, ``path`` also
    /// escapes a legacy label name that starts with `U__`, which a server reading UTF-8 names
    /// would otherwise decode.
    public let names: NameValidation

    /// A key from a job name and further labels. Throws ``GroupingKeyError`` for an empty job,
    /// an invalid (under `names`), reserved or repeated label name, or a label named `job`. A
    /// label with an empty value goes to ``emptyLabelNames``.
    public init(job: String, labels: [Label] = [], names: NameValidation = .legacy) throws(GroupingKeyError) {
        guard !job.isEmpty else { throw GroupingKeyError("the job name must not be empty") }
        var all = [Label("job", job)]
        var empty: [String] = []
        for label in labels {
            try Self.check(name: label.name, names)
            if all.contains(where: { $0.name == label.name }) || empty.contains(label.name) {
                throw GroupingKeyError("label \(label.name) appears twice in the grouping key")
            }
            if label.value.isEmpty {
                empty.append(label.name)
            } else {
                all.append(label)
            }
        }
        self.labels = all.sorted()
        emptyLabelNames = empty.sorted()
        self.names = names
    }

    /// The labels a push through this key sets on its series: ``labels`` and, with an empty
    /// value, each of ``emptyLabelNames``. Sorted by name.
    public var pushedLabels: [Label] {
        guard !emptyLabelNames.isEmpty else { return labels }
        return (labels + emptyLabelNames.map { Label($0, "") }).sorted()
    }

    public static func == (a: GroupingKey, b: GroupingKey) -> Bool { a.labels == b.labels }

    public func hash(into hasher: inout Hasher) { hasher.combine(labels) }

    /// The job name.
    public var job: String { labels.first { $0.name == "job" }?.value ?? "" }

    /// The value of a grouping label, if the key has it.
    public subscript(name: String) -> String? { labels.first { $0.name == name }?.value }

    /// Reads the part of a URL path after `/metrics/`, e.g. `job/backup/instance@base64/=`.
    /// Throws ``GroupingKeyError`` with the reason. O(path length).
    ///
    /// With `names` ``NameValidation/utf8`` (Pushgateway 1.11's `--push.enable-utf8-names`), a
    /// label name may be any UTF-8 text, and one starting with `U__` is read in the `values`
    /// escaping (``NameEscaping/unescapeValues(_:)``): `U__foo_2e_bar` is `foo.bar`.
    public static func parse(
        path: some StringProtocol, names: NameValidation = .legacy
    ) throws(GroupingKeyError) -> GroupingKey {
        let bytes = Array(path.utf8)
        let segments = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard segments.count >= 2 else {
            throw GroupingKeyError("the grouping key must start with job/<JOB NAME>")
        }
        guard segments.count % 2 == 0 else {
            if segments.last?.isEmpty == true {
                throw GroupingKeyError(
                    "the grouping key ends with /; write an empty label value as <LABEL>@base64/=")
            }
            throw GroupingKeyError("label \(String(decoding: segments.last!, as: UTF8.self)) has no value")
        }
        var job: String?
        var labels: [Label] = []
        for pair in stride(from: 0, to: segments.count, by: 2) {
            var name = try percentDecoded(segments[pair], what: "label name")
            let isBase64 = name.hasSuffix("@base64")
            if isBase64 { name.removeLast(7) }
            if names == .utf8, pair > 0 {
                if name.hasPrefix("__") {
                    throw GroupingKeyError("label name \(name) is reserved (names starting with __ are for Prometheus)")
                }
                name = NameEscaping.unescapeValues(name)
            }
            let raw = segments[pair + 1]
            if raw.isEmpty {
                throw GroupingKeyError("label \(name) has an empty value; write it as \(name)@base64/=")
            }
            let value: String
            if isBase64 {
                guard let bytes = Base64URL.decode(raw) else {
                    throw GroupingKeyError("the value of \(name)@base64 is not URL-safe base64")
                }
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw GroupingKeyError("the value of \(name)@base64 is not UTF-8 text")
                }
                value = text
            } else {
                value = try percentDecoded(raw, what: "value of label \(name)")
            }
            if pair == 0 {
                guard name == "job" else {
                    throw GroupingKeyError("the grouping key must start with job/<JOB NAME>, not \(name)")
                }
                job = value
            } else {
                labels.append(Label(name, value))
            }
        }
        return try GroupingKey(job: job ?? "", labels: labels, names: names)
    }

    /// The URL path after `/metrics/` that a client sends: `job` first, then the other labels by
    /// name, ``emptyLabelNames`` included (as `name@base64/=`), a label name outside the legacy
    /// rules in the `values` escaping (`U__…`, see ``names``). A value is written plainly when
    /// it has only unreserved URL characters (`A-Z a-z 0-9 - . _ ~`), and as `name@base64/…`
    /// (padded) otherwise — which every Pushgateway since 0.9 reads and which cannot be misread
    /// (no `+`/space or `/` ambiguity).
    public var path: String { Self.path(pushedLabels, unambiguous: names == .utf8) }

    /// The path of the group this key names: ``path`` without ``emptyLabelNames``, and with a
    /// label name that starts with `U__` escaped too, so that it reads back the same with
    /// ``NameValidation/utf8``. Equal keys have the same group path; the gateway stores a group
    /// under it.
    public var groupPath: String { Self.path(labels, unambiguous: true) }

    static func path(_ labels: [Label], unambiguous: Bool) -> String {
        var out: [UInt8] = []
        func append(_ label: Label) {
            if !out.isEmpty { out.append(UInt8(ascii: "/")) }
            // A UTF-8 name in the `values` escaping, which Pushgateway 1.11 reads with
            // --push.enable-utf8-names (a legacy name is written as is).
            let plainName = NameRules.isValidLabelName(label.name) && !(unambiguous && label.name.hasPrefix("U__"))
            let name = plainName ? label.name : NameEscaping.escapeValues(label.name)
            out.append(contentsOf: name.utf8)
            let plain = !label.value.isEmpty && label.value.utf8.allSatisfy(Self.isUnreserved)
            if plain {
                out.append(UInt8(ascii: "/"))
                out.append(contentsOf: label.value.utf8)
            } else {
                out.append(contentsOf: "@base64/".utf8)
                Base64URL.encode(Array(label.value.utf8), into: &out)
            }
        }
        if let job = labels.first(where: { $0.name == "job" }) { append(job) }
        for label in labels where label.name != "job" { append(label) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `{instance="a",job="b"}`
    public var description: String { ExpositionValidator.render(labels) }

    static func check(name: String, _ names: NameValidation = .legacy) throws(GroupingKeyError) {
        guard NameRules.isValidLabelName(name, names) else {
            throw GroupingKeyError(
                "\"\(name)\" is not a valid label name"
                    + (names == .legacy && !name.isEmpty ? " (UTF-8 names are not enabled)" : ""))
        }
        guard !NameRules.isReservedLabelName(name) else {
            throw GroupingKeyError("label name \(name) is reserved (names starting with __ are for Prometheus)")
        }
        guard name != "job" else { throw GroupingKeyError("label job appears twice in the grouping key") }
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        NameRules.isLabelNameChar(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "~")
    }

    static func percentDecoded(_ bytes: ArraySlice<UInt8>, what: String) throws(GroupingKeyError)
        -> String
    {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                guard h < bytes.endIndex, bytes.index(after: h) < bytes.endIndex,
                    let hi = hexDigitValue(bytes[h]), let lo = hexDigitValue(bytes[bytes.index(after: h)])
                else { throw GroupingKeyError("bad percent-encoding in the \(what)") }
                out.append(hi << 4 | lo)
                i = bytes.index(h, offsetBy: 2)
            } else {
                out.append(b)
                i = bytes.index(after: i)
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw GroupingKeyError("the \(what) is not UTF-8 text")
        }
        return text
    }
}

/// Why a grouping key was refused; `message` says what to send instead.
public struct GroupingKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words.
    public let message: String

    init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// Base64 with the URL- and filename-safe alphabet (RFC 4648 §5).
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Padded encoding; the empty input becomes the single `=` the Pushgateway wants.
    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        if bytes.isEmpty {
            out.append(UInt8(ascii: "="))
            return
        }
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let b0 = UInt32(bytes[i])
            let b1 = n > 1 ? UInt32(bytes[i + 1]) : 0
            let b2 = n > 2 ? UInt32(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(n > 1 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(n > 2 ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
    }

    /// Decodes with or without padding; `nil` for characters outside the alphabet, misplaced
    /// padding or a length no encoding produces. `=` alone is the empty value.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var symbols = Array(text)
        var padding = 0
        while symbols.last == UInt8(ascii: "=") {
            symbols.removeLast()
            padding += 1
        }
        if symbols.isEmpty { return padding == 1 ? [] : nil }
        if padding > 0, (symbols.count + padding) % 4 != 0 { return nil }
        if symbols.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for symbol in symbols {
            let value: UInt32
            switch symbol {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(symbol - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(symbol - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(symbol - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: return nil
            }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero (a canonical encoding), as Go's strict decoder requires.
        if bits > 0, accumulator & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return out
    }
}
