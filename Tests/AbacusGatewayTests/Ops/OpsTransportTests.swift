import AbacusTesting
import Foundation
import Testing

/// JSON-lines ops over every transport (docs/ops.md): the same series fed through Unix
/// sockets (main and pool), UDP, TCP and HTTP; framing over streams and datagrams; connection
/// patterns of real clients (a PHP loop opening one connection per message, a long-lived
/// connection, many connections at once). Every count is checked exactly on `/metrics`.
@Suite("Ops: transports and framing")
struct OpsTransportTests {
    static func inc(_ name: String, _ value: Double = 1, labels: String = "", help: String? = nil) -> String {
        let helpField = help.map { #""help":"\#($0)","# } ?? ""
        let labelField = labels.isEmpty ? "" : #""labels":{\#(labels)},"#
        let number = value == value.rounded() ? String(Int(value)) : "\(value)"
        return #"{"name":"\#(name)",\#(helpField)\#(labelField)"op":"inc","value":\#(number)}"#
    }

    static func mixedLine(_ value: Int) -> String {
        inc("mixed_total", Double(value), labels: #""src":"all""#, help: "Mixed traffic.") + "\n"
    }

    /// Sends `count` mixed lines of `value` over one connection to the Unix socket at `path`.
    static func stream(_ path: String, _ count: Int, _ value: Int) async throws {
        let client = try OpsStreamClient.unix(path)
        try await opsOffThread {
            defer { client.close() }
            for _ in 0..<count { try client.send(mixedLine(value)) }
        }
    }

    @Test("one series fed through every transport at once sums exactly")
    func mixedTransports() async throws {
        try await withOpsGateway(pool: 2) { ops async throws in
            // A distinct increment per transport: a missing or doubled message shows in the digits.
            let line = Self.mixedLine
            #expect(ops.unixPaths.count == 3)
            let stream = Self.stream
            let http = try await withThrowingTaskGroup(of: (status: Int, answer: OpsAnswer)?.self) { group in
                group.addTask {
                    for _ in 0..<3 { try await ops.send(line(1), via: .unix) }
                    return nil
                }
                group.addTask {
                    try await stream(ops.unixPaths[1], 4, 10)
                    return nil
                }
                group.addTask {
                    try await stream(ops.unixPaths[2], 5, 10)
                    return nil
                }
                group.addTask {
                    for _ in 0..<6 { try await ops.send(line(100), via: .udp) }
                    return nil
                }
                group.addTask {
                    let client = try ops.connect(.tcp)
                    try await opsOffThread {
                        defer { client.close() }
                        for _ in 0..<7 { try client.send(line(1000)) }
                    }
                    return nil
                }
                group.addTask { try await ops.postOps(String(repeating: line(10000), count: 8)) }
                var http: (status: Int, answer: OpsAnswer)?
                for try await result in group { if let result { http = result } }
                return http
            }
            #expect(http?.status == 200)
            #expect(http?.answer == OpsAnswer(applied: 8, rejected: 0, errors: nil))

            let expected: Double = 3 * 1 + 9 * 10 + 6 * 100 + 7 * 1000 + 8 * 10000
            let scrape = try await ops.wait(upTo: 5) { (scrape: ScrapeText) -> Bool in
                let total: Double? = scrape.value(#"mixed_total{src="all"}"#)
                let unix: Double? = scrape.ingested("inc", "unix")
                let udp: Double? = scrape.ingested("inc", "udp")
                let tcp: Double? = scrape.ingested("inc", "tcp")
                return total == expected && unix == 12 && udp == 6 && tcp == 7
            }
            #expect(
                scrape.pushed == """
                    # HELP mixed_total Mixed traffic.
                    # TYPE mixed_total counter
                    mixed_total{src="all"} 87693

                    """)
            #expect(scrape.ingested("inc", "unix") == 12)
            #expect(scrape.ingested("inc", "udp") == 6)
            #expect(scrape.ingested("inc", "tcp") == 7)
            #expect(scrape.ingested("inc", "http") == 8)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
            #expect(scrape.value("abacus_aggregated_series") == 1)
        }
    }

    @Test(
        "a message split across two writes with a pause is applied once, whole",
        arguments: [OpsTransport.unix, .unixPool, .tcp])
    func splitAcrossWrites(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            let message = Self.inc("split_total", 12, labels: #""k":"v w""#) + "\n"
            let bytes = Array(message.utf8)
            // Cut inside the value's digits ("1" | "2"), inside a string, after "{", before "}".
            let cuts = [
                bytes.firstRange(of: Array("12".utf8))!.lowerBound + 1,
                bytes.firstRange(of: Array("v w".utf8))!.lowerBound + 1,
                1,
                bytes.count - 2,
            ]
            let client = try ops.connect(transport)
            defer { client.close() }
            for cut in cuts {
                try client.send(Array(bytes[..<cut]))
                try await Task.sleep(for: .milliseconds(150))
                // Nothing applied nor rejected for half a message.
                let half = try await ops.scrape()
                #expect(half.samples(of: "abacus_ingest_rejected_total").isEmpty, "cut at \(cut)")
                try client.send(Array(bytes[cut...]))
            }
            let scrape = try await ops.wait {
                $0.value(#"split_total{k="v w"}"#) == 48 && $0.ingested("inc", transport.label) == 4
            }
            #expect(scrape.value(#"split_total{k="v w"}"#) == 48)
            #expect(scrape.ingested("inc", transport.label) == 4)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    static let pretty = """
        {
          "name": "pretty_total",
          "help": "Pretty-printed.",
          "labels": {
            "a": "1",
            "b": "2"
          },
          "op": "inc",
          "value": 2
        }
        {
        \t"name" : "pretty_gauge" ,
        \t"op" : "set" ,\r
        \t"value" : -3.5
        }

        """

    @Test("pretty-printed objects over many lines", arguments: OpsTransport.allCases)
    func prettyPrinted(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            let response = try await ops.send(Self.pretty, via: transport)
            if let response { #expect(response.status == 200, "\(response)") }
            // (The counters are bumped just after the store: wait for them too.)
            let scrape = try await ops.wait {
                $0.value("pretty_gauge") == -3.5 && $0.value(#"pretty_total{a="1",b="2"}"#) == 2
                    && $0.ingested("inc", transport.label) == 1 && $0.ingested("set", transport.label) == 1
            }
            #expect(
                scrape.pushed == """
                    # TYPE pretty_gauge gauge
                    pretty_gauge -3.5
                    # HELP pretty_total Pretty-printed.
                    # TYPE pretty_total counter
                    pretty_total{a="1",b="2"} 2

                    """)
            #expect(scrape.ingested("inc", transport.label) == 1)
            #expect(scrape.ingested("set", transport.label) == 1)
        }
    }

    @Test("objects concatenated without separators ('}{')", arguments: OpsTransport.allCases)
    func concatenated(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            let body =
                Self.inc("glued_total") + Self.inc("glued_total", 2) + #"{"name":"glued_gauge","op":"set","value":5}"#
                + Self.inc("glued_total", 4)
            try await ops.send(body, via: transport)
            let scrape = try await ops.wait {
                $0.value("glued_total") == 7 && $0.value("glued_gauge") == 5 && $0.ingested("inc", transport.label) == 3
            }
            #expect(scrape.value("glued_total") == 7)
            #expect(scrape.value("glued_gauge") == 5)
            #expect(scrape.ingested("inc", transport.label) == 3)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    @Test(
        "braces, brackets and escaped quotes inside strings are ordinary characters", arguments: OpsTransport.allCases)
    func bracesInStrings(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            // Label value: }{ "x":"{" ] \ [  — help: { } [ ] "quoted"
            let message =
                #"{"name":"brace_total","help":"{ } [ ] \"quoted\"","labels":{"v":"}{ \"x\":\"{\" ] \\ ["},"op":"inc","value":1}"#
            try await ops.send(message + "\n" + message, via: transport)
            let series = #"brace_total{v="}{ \"x\":\"{\" ] \\ ["}"#
            let scrape = try await ops.wait(for: series, toBe: 2)
            #expect(
                scrape.pushed == """
                    # HELP brace_total { } [ ] "quoted"
                    # TYPE brace_total counter
                    \(series) 2

                    """)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    @Test("several messages in one datagram, separated or not")
    func severalPerDatagram() async throws {
        try await withOpsGateway { ops async throws in
            let datagrams = [
                Self.inc("dgram_total") + "\n" + Self.inc("dgram_total") + "\n" + Self.inc("dgram_total") + "\n",
                Self.inc("dgram_total") + Self.inc("dgram_total") + "  \r\n\t" + Self.inc("dgram_total"),
                Self.pretty,
            ].map { Array($0.utf8) }
            let port = ops.udpPort
            try await opsOffThread { try OpsDatagram.send(datagrams, port: port) }
            let scrape = try await ops.wait {
                $0.value("dgram_total") == 6 && $0.value("pretty_gauge") == -3.5 && $0.ingested("inc", "udp") == 7
                    && $0.ingested("set", "udp") == 1
            }
            #expect(scrape.value("dgram_total") == 6)
            #expect(scrape.value(#"pretty_total{a="1",b="2"}"#) == 2)
            #expect(scrape.ingested("inc", "udp") == 7)
            #expect(scrape.ingested("set", "udp") == 1)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    /// `--ops.max-message-size` limits a message, not a datagram (docs/ops.md: `message_too_large`
    /// is "longer than --ops.max-message-size (or a datagram longer than 64 KiB)"): a datagram of
    /// many small messages is applied even when it is longer than the limit, and an oversized
    /// message inside a datagram costs only itself.
    @Test("the message size limit applies to messages, not to the datagram carrying them")
    func datagramLongerThanTheMessageLimit() async throws {
        try await withOpsGateway(Configure { $0.ops.maxMessageBytes = 1024 }) { ops async throws in
            let pad = String(repeating: "p", count: 60)
            let small = #"{"name":"small_total","labels":{"pad":"\#(pad)"},"op":"inc","value":1}"# + "\n"
            // 20 messages of 124 bytes: 2,480 bytes in one datagram.
            try await ops.send(String(repeating: small, count: 20), via: .udp)
            let scrape = try await ops.wait(upTo: 3) {
                $0.value(#"small_total{pad="\#(pad)"}"#) == 20 && $0.ingested("inc", "udp") == 20
            }
            #expect(scrape.value(#"small_total{pad="\#(pad)"}"#) == 20)
            #expect(scrape.ingested("inc", "udp") == 20)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
            // One message over the limit between small ones: only it is rejected.
            let big =
                #"{"name":"small_total","labels":{"pad":"\#(pad)"},"op":"inc","value":1,"x":"\#(String(repeating: "x", count: 1100))"}"#
            try await ops.send(small + big + "\n" + small, via: .udp)
            let after = try await ops.wait(upTo: 3) {
                $0.rejected("message_too_large", "udp") == 1 && $0.ingested("inc", "udp") == 22
            }
            #expect(after.rejected("message_too_large", "udp") == 1)
            #expect(after.value(#"small_total{pad="\#(pad)"}"#) == 22)
        }
    }

    @Test("a PHP-style loop: 200 connections, each one message then close", arguments: [OpsTransport.unix, .tcp])
    func connectionPerMessage(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            // One connection at a time, as a PHP loop does (and as few descriptors open as that
            // needs: Foundation's Process.run, which other tests call meanwhile, crashes when the
            // process has more than about a thousand open).
            try await opsOffThread {
                for index in 0..<200 {
                    let client = try ops.connect(transport)
                    // Half with a trailing newline, half without (json_encode + fwrite + fclose).
                    try client.send(
                        Self.inc("php_total", labels: #""page":"p\#(index % 2)""#) + (index % 2 == 0 ? "\n" : ""))
                    client.close()
                }
            }
            let scrape = try await ops.wait {
                $0.value(#"php_total{page="p0"}"#) == 100 && $0.value(#"php_total{page="p1"}"#) == 100
                    && $0.ingested("inc", transport.label) == 200
            }
            #expect(scrape.value(#"php_total{page="p0"}"#) == 100)
            #expect(scrape.value(#"php_total{page="p1"}"#) == 100)
            #expect(scrape.ingested("inc", transport.label) == 200)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    static func gauge(_ i: Int) -> [UInt8] { Array(#"{"name":"long_last","op":"set","value":\#(i)}"#.utf8) }

    @Test("one long-lived connection sending 20,000 messages", arguments: [OpsTransport.unix, .tcp])
    func longLivedConnection(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            let client = try ops.connect(transport)
            defer { client.close() }
            let counter = Array((Self.inc("long_total", labels: #""conn":"one""#) + "\n").utf8)
            try await opsOffThread {
                for i in 1...20_000 {
                    // One write per message; every 1,000th also sets a gauge, glued to the counter.
                    try client.send(i % 1000 == 0 ? counter + Self.gauge(i) : counter)
                }
            }
            let scrape = try await ops.wait(upTo: 10) {
                $0.value(#"long_total{conn="one"}"#) == 20_000 && $0.value("long_last") == 20_000
                    && $0.ingested("inc", transport.label) == 20_000 && $0.ingested("set", transport.label) == 20
            }
            #expect(scrape.value(#"long_total{conn="one"}"#) == 20_000)
            #expect(scrape.value("long_last") == 20_000)
            #expect(scrape.ingested("inc", transport.label) == 20_000)
            #expect(scrape.ingested("set", transport.label) == 20)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }

    @Test("20 concurrent connections × 500 messages", arguments: [OpsTransport.unix, .tcp])
    func concurrentConnections(transport: OpsTransport) async throws {
        try await withOpsGateway { ops async throws in
            let clients = try (0..<20).map { _ in try ops.connect(transport) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, client) in clients.enumerated() {
                    group.addTask {
                        try await opsOffThread {
                            defer { client.close() }
                            for i in 0..<500 {
                                // Even: the series every connection shares; odd: the connection's own.
                                let message =
                                    i % 2 == 0
                                    ? Self.inc("conc_total", labels: #""conn":"all""#)
                                    : Self.inc("conc_total", 2, labels: #""conn":"c\#(index)""#)
                                try client.send(message + "\n")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let scrape = try await ops.wait(upTo: 10) { $0.ingested("inc", transport.label) == 10_000 }
            let samples = scrape.samples(of: "conc_total")
            #expect(samples.count == 21)
            #expect(samples[#"conc_total{conn="all"}"#] == 5000)
            for index in 0..<20 { #expect(samples[#"conc_total{conn="c\#(index)"}"#] == 500, "connection \(index)") }
            #expect(scrape.ingested("inc", transport.label) == 10_000)
            #expect(scrape.samples(of: "abacus_ingest_rejected_total").isEmpty)
        }
    }
}
