import AbacusTesting
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP/1.1 exchange over a plain socket, with exactly the headers the test gives (no
/// client adding or decoding `Accept-Encoding` behind its back) and the body as sent. Blocking:
/// always called through ``RawSockets/offThread(_:)``.
enum RawHTTP {
    struct Response: Sendable {
        var status: Int
        /// Header names lowercased; the last value of a repeated header.
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func request(
        _ method: String, port: Int, path: String, headers: [(String, String)] = []
    ) async throws -> Response {
        let headers = headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        let request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(headers)Connection: close\r\n\r\n"
        let raw = try await RawSockets.offThread {
            let fd = try RawSockets.connectTCP(port: port)
            defer { close(fd) }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            try RawSockets.writeAll(fd, Array(request.utf8))
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EINTR { continue }
                if count < 0 { throw PeerError("recv: \(String(cString: strerror(errno)))") }
                if count == 0 { break }
                received.append(contentsOf: chunk[..<count])
            }
            return received
        }
        return try parse(raw, head: method == "HEAD")
    }

    /// Splits a response read to the end of the connection into status, headers and body
    /// (Content-Length or chunked).
    static func parse(_ raw: [UInt8], head: Bool) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = raw.indices.first(where: { raw[$0...].starts(with: separator) }) else {
            throw PeerError("no end of headers in \(String(decoding: raw, as: UTF8.self))")
        }
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw PeerError("bad status line") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"] == "chunked" { body = try dechunk(body) }
        if !head, let length = headers["content-length"].flatMap(Int.init), body.count != length {
            throw PeerError("Content-Length \(length) but \(body.count) bytes")
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstIndex(of: 0x0D) else { throw PeerError("bad chunk") }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
                throw PeerError("bad chunk size")
            }
            index = lineEnd + 2
            if size == 0 { return out }
            out.append(contentsOf: bytes[index..<(index + size)])
            index += size + 2
        }
    }
}

/// gzip and gunzip with `/bin/gzip` (an implementation of its own, not the one under test).
enum Gzip {
    static let executable = URL(fileURLWithPath: "/bin/gzip")

    static func decompress(_ bytes: [UInt8]) async throws -> [UInt8] {
        let output = try await ProcessRunner.run(executable, ["-d", "-c"], stdin: bytes)
        guard output.status == 0 else { throw PeerError("gunzip failed: \(output.stderrText)") }
        return output.stdout
    }
}
