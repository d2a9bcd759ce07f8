import AsyncHTTPClient
import CompressNIO
import Dispatch
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends push requests through an `HTTPClient`, one it was given or one it owns (and shuts
/// down in ``shutdown()``, or at the latest when it is released).
final class PushTransport: Sendable {
    let client: HTTPClient
    let ownsClient: Bool
    let configuration: PushConfiguration
    let logger: Logger
    private let isShutDown = Mutex(false)

    /// Largest part of an answer kept for ``PushError/body``.
    static let maxAnswerBytes = 64 * 1024

    init(configuration: PushConfiguration, httpClient: HTTPClient?, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        if let httpClient {
            client = httpClient
            ownsClient = false
        } else {
            client = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration.httpClientConfiguration)
            ownsClient = true
        }
    }

    /// Shuts the owned client down (once); a client passed in is left alone.
    func shutdown() async throws {
        guard ownsClient,
            isShutDown.withLock({ done in
                defer { done = true }; return !done
            })
        else { return }
        try await client.shutdown()
    }

    deinit {
        // The safety net for an owner that never called shutdown(): AsyncHTTPClient traps in
        // debug builds when a running client is released. The callback keeps the client alive
        // until it has shut down.
        if ownsClient, !isShutDown.withLock({ $0 }) {
            client.shutdown(queue: .global()) { _ in }
        }
    }

    /// The body as sent: compressed when configured.
    func encodedBody(_ bytes: [UInt8], method: String, url: String) throws(PushError) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: bytes)
        switch configuration.compression {
        case .none:
            return buffer
        case .gzip:
            do {
                return try buffer.compress(with: .gzip())
            } catch {
                throw PushError(.encoding, method: method, url: url, underlying: error)
            }
        }
    }

    /// Sends `method url` with `body` (rendered in the configured format; `nil` for a delete)
    /// and returns the status of a 2xx answer. Throws ``PushError`` for anything else.
    @discardableResult
    func send(_ method: HTTPMethod, url: String, body: [UInt8]?) async throws(PushError) -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = configuration.headers
        request.headers.replaceOrAdd(name: "User-Agent", value: "abacus-push")
        if let authorization = configuration.authorization {
            do {
                request.headers.replaceOrAdd(name: "Authorization", value: try authorization.currentHeader())
            } catch {
                throw PushError(.credentials, method: method.rawValue, url: url, underlying: error)
            }
        }
        if let body {
            let encoded = try encodedBody(body, method: method.rawValue, url: url)
            request.headers.replaceOrAdd(name: "Content-Type", value: configuration.format.contentType)
            if configuration.compression == .gzip {
                request.headers.replaceOrAdd(name: "Content-Encoding", value: "gzip")
            }
            request.body = .bytes(encoded)
        }
        let timeout = configuration.timeout
        let started = ContinuousClock.now
        do {
            let response = try await client.execute(request, timeout: Self.timeAmount(timeout), logger: logger)
            let answer = try await Self.collect(response.body, until: started + timeout)
            let status = Int(response.status.code)
            logger.debug(
                "push answered",
                metadata: ["method": "\(method.rawValue)", "url": "\(url)", "status": "\(status)"])
            guard (200..<300).contains(status) else {
                throw PushError(
                    .httpStatus, method: method.rawValue, url: url, status: status,
                    body: String(decoding: answer, as: UTF8.self))
            }
            return status
        } catch let error as PushError {
            throw error
        } catch {
            throw Self.classify(error, method: method.rawValue, url: url)
        }
    }

    /// The first ``maxAnswerBytes`` of the answer; the rest is read and dropped. Throws a
    /// timeout error at `deadline`.
    static func collect(_ body: HTTPClientResponse.Body, until deadline: ContinuousClock.Instant) async throws
        -> [UInt8]
    {
        try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var out: [UInt8] = []
                for try await chunk in body where out.count < maxAnswerBytes {
                    out.append(contentsOf: chunk.readableBytesView.prefix(maxAnswerBytes - out.count))
                }
                return out
            }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return answer
        }
    }

    static func classify(_ error: any Error, method: String, url: String) -> PushError {
        if error is CancellationError {
            return PushError(.cancelled, method: method, url: url, underlying: error)
        }
        if let http = error as? HTTPClientError {
            switch http {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return PushError(.timeout, method: method, url: url, underlying: error)
            case .invalidURL, .emptyHost, .emptyScheme, .missingSocketPath:
                return PushError(.invalidURL, method: method, url: url, underlying: error)
            case .cancelled:
                return PushError(.cancelled, method: method, url: url, underlying: error)
            default:
                if "\(http)".contains("unsupportedScheme") {
                    return PushError(.invalidURL, method: method, url: url, underlying: error)
                }
            }
        }
        return PushError(.transport, method: method, url: url, underlying: error)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else { return .nanoseconds(.max) }
        return .nanoseconds(max(0, nanoseconds.partialValue + attoseconds / 1_000_000_000))
    }
}
