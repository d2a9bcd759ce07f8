import Yams

/// A configuration file that cannot be used, with the reason: where (file, line) and what.
public struct ConfigFileError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, and where.
    public var message: String
    /// An error with this message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// Reads YAML the way Go's `yaml.UnmarshalStrict` does for exporter-toolkit: every key must be
/// known (a misspelt key is an error, not a silently ignored setting), each key once, and each
/// value of the expected kind. Errors name the line.
struct StrictYAML {
    /// The document's root mapping; an empty file is an empty mapping.
    static func root(_ text: String) throws(ConfigFileError) -> StrictMapping {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigFileError("not valid YAML: \(describe(error))")
        }
        guard let node else { return StrictMapping(pairs: [], path: "", line: nil) }
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.tag == .init(.null) {
            return StrictMapping(pairs: [], path: "", line: nil)
        }
        return try mapping(node, path: "")
    }

    /// The parser's complaint and where, without the offending line itself: it may hold a
    /// password hash or a private key, and the message is logged.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "unreadable" }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, let offset, _, _):
            return "\(problem)\(offset.map { " at byte \($0)" } ?? "")"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "line \(context.mark.line): duplicated keys \(duplicates.joined(separator: ", "))"
        default:
            return "unreadable"
        }
    }

    static func mapping(_ node: Node, path: String) throws(ConfigFileError) -> StrictMapping {
        guard case .mapping(let mapping) = node else {
            throw ConfigFileError("\(location(node))\(path.isEmpty ? "the file" : path) must be a mapping")
        }
        var pairs: [(key: String, value: Node, line: Int?)] = []
        var seen = Set<String>()
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw ConfigFileError("\(location(key))keys must be strings")
            }
            guard seen.insert(scalar.string).inserted else {
                throw ConfigFileError("\(location(key))key \(scalar.string) given twice")
            }
            pairs.append((scalar.string, value, key.mark.map { $0.line }))
        }
        return StrictMapping(pairs: pairs, path: path, line: node.mark?.line)
    }

    static func location(_ node: Node) -> String {
        node.mark.map { "line \($0.line): " } ?? ""
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node { return scalar.tag == .init(.null) || scalar.string == "~" }
        return false
    }
}

/// A mapping whose keys are read one by one; ``finish()`` refuses the ones nobody asked for.
struct StrictMapping {
    var pairs: [(key: String, value: Node, line: Int?)]
    /// Dotted path of this mapping in the file, for messages.
    var path: String
    var line: Int?
    private var used = Set<String>()

    init(pairs: [(key: String, value: Node, line: Int?)], path: String, line: Int?) {
        self.pairs = pairs
        self.path = path
        self.line = line
    }

    var keys: [String] { pairs.map(\.key) }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value under `key`, if present and not null; marks it read.
    mutating func node(_ key: String) -> Node? {
        used.insert(key)
        guard let pair = pairs.first(where: { $0.key == key }), !StrictYAML.isNull(pair.value) else { return nil }
        return pair.value
    }

    mutating func string(_ key: String) throws(ConfigFileError) -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw ConfigFileError("\(StrictYAML.location(node))\(name(key)) must be a string")
        }
        return scalar.string
    }

    mutating func bool(_ key: String) throws(ConfigFileError) -> Bool? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node, let value = Bool.construct(from: scalar) else {
            throw ConfigFileError("\(StrictYAML.location(node))\(name(key)) must be true or false")
        }
        return value
    }

    mutating func int(_ key: String) throws(ConfigFileError) -> Int? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            throw ConfigFileError("\(StrictYAML.location(node))\(name(key)) must be an integer")
        }
        return value
    }

    mutating func strings(_ key: String) throws(ConfigFileError) -> [String]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            throw ConfigFileError("\(StrictYAML.location(node))\(name(key)) must be a list")
        }
        var out: [String] = []
        for item in sequence {
            guard case .scalar(let scalar) = item else {
                throw ConfigFileError("\(StrictYAML.location(item))\(name(key)) must be a list of strings")
            }
            out.append(scalar.string)
        }
        return out
    }

    mutating func mapping(_ key: String) throws(ConfigFileError) -> StrictMapping? {
        guard let node = node(key) else { return nil }
        return try StrictYAML.mapping(node, path: name(key))
    }

    /// A mapping of strings to strings (`basic_auth_users`, `headers`), in file order.
    mutating func stringMap(_ key: String) throws(ConfigFileError) -> [(String, String)]? {
        guard var inner = try mapping(key) else { return nil }
        var out: [(String, String)] = []
        for entry in inner.keys {
            guard let value = try inner.string(entry) else {
                throw ConfigFileError("\(inner.name(entry)) must have a value")
            }
            out.append((entry, value))
        }
        return out
    }

    /// The list of mappings under `key`.
    mutating func mappings(_ key: String) throws(ConfigFileError) -> [StrictMapping]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            throw ConfigFileError("\(StrictYAML.location(node))\(name(key)) must be a list")
        }
        var out: [StrictMapping] = []
        for (index, item) in sequence.enumerated() {
            out.append(try StrictYAML.mapping(item, path: "\(name(key))[\(index)]"))
        }
        return out
    }

    /// Refuses the keys that were not read, as Go's strict unmarshalling does.
    func finish() throws(ConfigFileError) {
        for pair in pairs where !used.contains(pair.key) {
            let line = pair.line.map { "line \($0): " } ?? ""
            throw ConfigFileError(
                "\(line)field \(pair.key) not found in \(path.isEmpty ? "the top level" : path)")
        }
    }
}
