import AbacusGateway
import AbacusGatewayTesting
import AbacusTesting
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An HTTP/1.1 client over a plain socket, for the API tests: it sends exactly the bytes the
/// test asks for (no `Accept-Encoding` added, no transparent gunzip, no path normalisation,
/// bodies with `Content-Length` or chunked) and returns the response as received
/// (`Connection: close`, read to the end).
struct RawHTTP {
    struct Response: CustomStringConvertible {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        var description: String { "\(status) \(text)" }
    }

    enum Framing {
        /// `Content-Length` (omitted when there is no body).
        case length
        /// `Transfer-Encoding: chunked`, in chunks of this size; no `Content-Length`.
        case chunked(Int)
    }

    /// `http://127.0.0.1:PORT`
    let baseURL: String

    func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        framing: Framing = .length
    ) async throws -> Response {
        let hostPort = baseURL.replacingOccurrences(of: "http://", with: "")
        guard let colon = hostPort.lastIndex(of: ":"), let port = UInt16(hostPort[hostPort.index(after: colon)...])
        else { throw PeerError("bad base URL \(baseURL)") }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(hostPort)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        var bytes: [UInt8] = []
        switch framing {
        case .length:
            if let body {
                head += "Content-Length: \(body.count)\r\n\r\n"
                bytes = Array(head.utf8) + body
            } else {
                head += "\r\n"
                bytes = Array(head.utf8)
            }
        case .chunked(let size):
            head += "Transfer-Encoding: chunked\r\n\r\n"
            bytes = Array(head.utf8)
            var start = 0
            let body = body ?? []
            while start < body.count {
                let end = min(body.count, start + size)
                bytes += Array("\(String(end - start, radix: 16))\r\n".utf8) + body[start..<end] + Array("\r\n".utf8)
                start = end
            }
            bytes += Array("0\r\n\r\n".utf8)
        }
        let raw = try await Self.exchange(port: port, bytes)
        return try Self.parse(raw, head: method == "HEAD")
    }

    /// Connects, writes, reads to EOF, on a thread of its own (blocking calls).
    static func exchange(port: UInt16, _ bytes: [UInt8]) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try exchangeSync(port: port, bytes) })
            }
        }
    }

    static func exchangeSync(port: UInt16, _ bytes: [UInt8]) throws -> [UInt8] {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw PeerError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw PeerError("connect() failed: errno \(errno)") }
        // A server may answer (413) before reading the whole body and close: stop writing then,
        // and read the answer.
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }
            sent += count
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if received.isEmpty { throw PeerError("recv() failed: errno \(errno)") }
                break
            }
            if count == 0 { break }
            received += chunk[..<count]
        }
        return received
    }

    static func parse(_ raw: [UInt8], head: Bool = false) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = raw.firstRange(of: separator) else {
            throw PeerError("no complete response head in \(raw.count) bytes: \(String(decoding: raw, as: UTF8.self))")
        }
        let lines = String(decoding: raw[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw PeerError("bad status line \(lines[0])")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(raw[headEnd.upperBound...])
        let isChunked = headers.contains {
            $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked")
        }
        if head {
            body = []
        } else if isChunked {
            body = try dechunk(body)
        } else if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({
            Int($0.value)
        }) {
            guard body.count >= length else { throw PeerError("body shorter than Content-Length \(length)") }
            body = Array(body[..<length])
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        let crlf: [UInt8] = [0x0D, 0x0A]
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: crlf) else { throw PeerError("bad chunked body") }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
                throw PeerError("bad chunk size \(sizeText)")
            }
            index = lineEnd.upperBound
            if size == 0 { return out }
            guard index + size <= bytes.count else { throw PeerError("truncated chunk") }
            out += bytes[index..<(index + size)]
            index += size + 2
        }
    }
}

/// The calls the API tests make, on one gateway.
struct GatewayAPI {
    let http: RawHTTP
    /// The gateway itself, to look at its store without HTTP traffic.
    let server: GatewayServer

    init(_ baseURL: String, _ server: GatewayServer) {
        http = RawHTTP(baseURL: baseURL)
        self.server = server
    }

    static let protobufType =
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
    static let openMetricsType = "application/openmetrics-text; version=1.0.0"
    static let textType = "text/plain; version=0.0.4"
    /// What `curl --data-binary` sends.
    static let curlType = "application/x-www-form-urlencoded"

    func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        framing: RawHTTP.Framing = .length
    ) async throws -> RawHTTP.Response {
        try await http.request(method, path, headers: headers, body: body, framing: framing)
    }

    /// A push of a text body (curl's content type unless `headers` name one).
    func push(
        _ method: String, _ path: String, _ body: String, headers: [(String, String)] = []
    ) async throws -> RawHTTP.Response {
        var all = headers
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            all.append(("Content-Type", Self.curlType))
        }
        return try await request(method, path, headers: all, body: Array(body.utf8))
    }

    func put(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> RawHTTP.Response {
        try await push("PUT", path, body, headers: headers)
    }

    func post(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> RawHTTP.Response {
        try await push("POST", path, body, headers: headers)
    }

    func delete(_ path: String) async throws -> RawHTTP.Response {
        try await request("DELETE", path)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> RawHTTP.Response {
        try await request("GET", path, headers: headers)
    }

    /// `GET /metrics` in text (no `Accept`), parsed into ``ScrapeText``.
    func scrape(_ path: String = "/metrics") async throws -> ScrapeText {
        let response = try await get(path)
        guard response.status == 200 else { throw PeerError("scrape answered \(response)") }
        return ScrapeText(response.text)
    }

    /// Polls `condition` on scrapes every 50 ms until it holds or `seconds` pass; the last scrape.
    func waitScrape(upTo seconds: Double, until condition: (ScrapeText) -> Bool) async throws -> ScrapeText {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let scrape = try await scrape()
            if condition(scrape) || Date() > deadline { return scrape }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// A change to the test gateway's configuration (port 0 and in-memory storage are set first).
struct Configure: Sendable {
    let change: @Sendable (inout GatewayConfiguration) -> Void

    init(_ change: @escaping @Sendable (inout GatewayConfiguration) -> Void) { self.change = change }

    static let defaults = Configure { _ in }
}

/// Runs `body` against a new in-process gateway with `configure` applied.
func withGateway<T: Sendable>(
    _ configure: Configure = .defaults, body: (GatewayAPI) async throws -> T
) async throws -> T {
    try await TestGateway.with(configure.change) { baseURL, server in try await body(GatewayAPI(baseURL, server)) }
}

/// gzip and gunzip with `/bin/gzip`.
enum Gzip {
    static let executable = URL(fileURLWithPath: "/bin/gzip")

    static func compress(_ bytes: [UInt8]) async throws -> [UInt8] {
        let output = try await ProcessRunner.run(executable, ["-c", "-n"], stdin: bytes)
        guard output.status == 0 else { throw PeerError("gzip failed: \(output.stderrText)") }
        return output.stdout
    }

    static func decompress(_ bytes: [UInt8]) async throws -> [UInt8] {
        let output = try await ProcessRunner.run(executable, ["-d", "-c"], stdin: bytes)
        guard output.status == 0 else { throw PeerError("gunzip failed: \(output.stderrText)") }
        return output.stdout
    }
}
