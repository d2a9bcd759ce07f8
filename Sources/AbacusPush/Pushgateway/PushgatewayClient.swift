public import Abacus
public import AbacusExposition
public import AsyncHTTPClient
public import Logging
import NIOHTTP1

/// A client of the Prometheus Pushgateway API (and of `abacus gateway`, which speaks it): push
/// a registry to a group, add to a group, delete a group.
///
/// ```swift
/// let key = try GroupingKey(job: "backup", labels: [Label("instance", "db1")])
/// try await PushgatewayClient.withClient(url: "http://pushgateway:9091") { client in
///     try await client.add(registry, to: key)
/// }
/// ```
///
/// - A group is named by its ``GroupingKey``: `job` plus further labels. Values with `/` or
///   empty values are written in the URL as `@base64`, as the Pushgateway's API requires.
/// - ``push(_:to:method:extraLabels:)`` (`PUT`) replaces the whole group;
///   ``add(_:to:extraLabels:)`` (`POST`) replaces only the families pushed, which is what a
///   batch job wants when a failed run must not erase the time of the last success;
///   ``delete(_:)`` removes the group.
/// - An answer outside 2xx throws a ``PushError`` with the status and the server's text.
/// - The client is safe to share between tasks. It owns an `HTTPClient` unless it is given
///   one; call ``shutdown()`` (or use ``withClient(url:configuration:logger:isolation:_:)``) to
///   release an owned one. A client passed in is never shut down here.
public final class PushgatewayClient: Sendable {
    /// The Pushgateway's base URL, e.g. `http://127.0.0.1:9091` (a route prefix may follow).
    public let url: String
    /// How requests are sent.
    public var configuration: PushConfiguration { transport.configuration }
    let transport: PushTransport

    /// A client of the Pushgateway at `url` (`http` or `https`, with an optional route prefix).
    /// Without `httpClient` it makes and owns one from
    /// ``PushConfiguration/httpClientConfiguration``; release it with ``shutdown()``.
    public init(
        url: String, configuration: PushConfiguration = PushConfiguration(), httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "abacus.push")
    ) {
        self.url = url
        transport = PushTransport(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// Runs `body` with a client that owns its `HTTPClient` and shuts it down however `body` ends.
    public static func withClient<T>(
        url: String, configuration: PushConfiguration = PushConfiguration(),
        logger: Logger = Logger(label: "abacus.push"), isolation: isolated (any Actor)? = #isolation,
        _ body: (PushgatewayClient) async throws -> T
    ) async throws -> T {
        let client = PushgatewayClient(url: url, configuration: configuration, logger: logger)
        let result: T
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Shuts down the `HTTPClient` this client made; does nothing for one passed in. Requests
    /// after it fail with ``PushError/Code/transport``.
    public func shutdown() async throws {
        try await transport.shutdown()
    }

    /// The URL of the group `key`: `<url>/metrics/job/<JOB>{/<LABEL>/<VALUE>}`.
    public func url(for key: GroupingKey) -> String {
        Self.groupURL(base: url, key: key)
    }

    /// `<base>/metrics/<key path>`, with one `/` between the base and `metrics` whatever the
    /// base ends with.
    public static func groupURL(base: String, key: GroupingKey) -> String {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/metrics/" + key.path
    }

    /// Pushes every family of `registry` to the group `key`: `PUT` (the default) replaces the
    /// group, `POST` replaces the families pushed. Every series also gets `extraLabels` (a
    /// series' own label of the same name wins); the grouping labels are added by the server.
    /// Rendering costs O(series).
    public func push(
        _ registry: Registry, to key: GroupingKey, method: PushMethod = .put, extraLabels: [Label] = []
    ) async throws(PushError) {
        let format: ExpositionFormat = configuration.format == .protobuf ? .protobuf : .text
        let body = registry.exposition(format: format, extraLabels: extraLabels)
        try await transport.send(HTTPMethod(method), url: url(for: key), body: body)
    }

    /// Pushes every family of `registry` with `POST`: the families pushed replace those of the
    /// same name in the group, the group's other families stay.
    public func add(_ registry: Registry, to key: GroupingKey, extraLabels: [Label] = []) async throws(PushError) {
        try await push(registry, to: key, method: .post, extraLabels: extraLabels)
    }

    /// Pushes `families` (e.g. from ``Registry/collect(extraLabels:)`` or a parser) to the group
    /// `key` with `method`. An empty list with `PUT` empties the group.
    public func push(families: [MetricFamily], to key: GroupingKey, method: PushMethod = .put) async throws(PushError) {
        let format: ExpositionFormat = configuration.format == .protobuf ? .protobuf : .text
        try await transport.send(
            HTTPMethod(method), url: url(for: key), body: Exposition.encode(families, format: format))
    }

    /// Deletes the group `key` (the server answers 202, also when there was no such group).
    public func delete(_ key: GroupingKey) async throws(PushError) {
        try await transport.send(.DELETE, url: url(for: key), body: nil)
    }
}

extension HTTPMethod {
    init(_ method: PushMethod) {
        switch method {
        case .put: self = .PUT
        case .post: self = .POST
        }
    }
}
