import AbacusTesting
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for what no Pushgateway shows: the requests exactly as
/// they arrived (method, path, headers, body bytes) and answers a test chooses (a status and a
/// text, or none at all). Blocking sockets on threads of its own, never on the cooperative pool;
/// each connection answers one request and closes.
final class RecordingServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        /// Header names in lower case.
        var headers: [String: String]
        var body: [UInt8]
    }

    /// What the server answers.
    enum Reply: Sendable {
        case status(Int, String)
        /// Read the request, then say nothing until the server stops.
        case hang
    }

    private struct State {
        var requests: [Request] = []
        var replies: [Reply] = []
        var fallback: Reply = .status(200, "")
        var stopped = false
    }

    let port: Int
    private let listener: Int32
    private let state = Mutex(State())
    private let acceptLoopDone = Mutex(false)

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts listening; `replies` are used in order, then `fallback` for every further request.
    init(replies: [Reply] = [], fallback: Reply = .status(200, "")) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("socket: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = try RawSockets.inet(host: "127.0.0.1", port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw PeerError("bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        state.withLock {
            $0.replies = replies
            $0.fallback = fallback
        }
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// The requests received so far, in order.
    var requests: [Request] { state.withLock { $0.requests } }

    /// Stops accepting, releases hanging connections and closes the listener.
    func stop() async {
        state.withLock { $0.stopped = true }
        _ = try? await RawSockets.offThread { [self] in
            while !acceptLoopDone.withLock({ $0 }) { usleep(5_000) }
        }
    }

    /// Polls until at least `count` requests arrived (at most `seconds`).
    func waitForRequests(_ count: Int, upTo seconds: Double = Patience.seconds) async throws -> [Request] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let seen = requests
            if seen.count >= count || Date() > deadline { return seen }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        defer {
            close(listener)
            acceptLoopDone.withLock { $0 = true }
        }
        while !isStopped {
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            Thread.detachNewThread { [self] in serve(connection) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        guard let request = readRequest(fd) else { return }
        let reply = state.withLock { state -> Reply in
            state.requests.append(request)
            return state.replies.isEmpty ? state.fallback : state.replies.removeFirst()
        }
        switch reply {
        case .hang:
            while !isStopped { usleep(10_000) }
        case .status(let status, let text):
            let body = Array(text.utf8)
            let head =
                "HTTP/1.1 \(status) Status\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            try? RawSockets.writeAll(fd, Array(head.utf8) + body)
        }
    }

    /// Reads one request: the head up to the blank line, then `Content-Length` bytes of body
    /// (or a chunked body). `nil` when the peer goes away or stays silent for 10 s.
    private func readRequest(_ fd: Int32) -> Request? {
        var buffer: [UInt8] = []
        func fill() -> Bool {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 10_000) > 0 else { return false }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let found = Self.find(separator, in: buffer) {
                headEnd = found
            } else if !fill() {
                return nil
            }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        var body = Array(buffer[(headEnd! + 4)...])
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            while body.count < length {
                let before = buffer.count
                guard fill() else { return nil }
                body.append(contentsOf: buffer[before...])
            }
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while Self.find([48, 13, 10, 13, 10], in: body) == nil {
                let before = buffer.count
                guard fill() else { return nil }
                body.append(contentsOf: buffer[before...])
            }
            body = Self.dechunk(body)
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while let lineEnd = find([13, 10], in: Array(bytes[index...])).map({ $0 + index }) {
            let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            let start = lineEnd + 2
            out.append(contentsOf: bytes[start..<min(bytes.count, start + size)])
            index = start + size + 2
            if index >= bytes.count { break }
        }
        return out
    }
}
