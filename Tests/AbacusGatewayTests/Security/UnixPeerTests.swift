import AbacusGateway
import AbacusGatewayTesting
import AbacusTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--ops.unix-socket-allow-uids` / `-gids`: the kernel says who connected (`SO_PEERCRED`); a
/// process not on the list is closed at once, its messages never applied, and counted.
@Suite("Security: Unix socket peer allow-list")
struct UnixPeerTests {
    static func withPeerGateway(
        uids: Set<UInt32>?, gids: Set<UInt32>?, _ body: (GatewayAPI, String) async throws -> Void
    ) async throws {
        let directory = try Peers.temporaryDirectory("peercred")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ops.sock").path
        try await AbacusGatewayTests.withGateway(
            Configure { configuration in
                configuration.ops.unixSocket = path
                configuration.ops.unixSocketAllowedUIDs = uids
                configuration.ops.unixSocketAllowedGIDs = gids
            }
        ) { api in
            try await body(api, path)
        }
    }

    static func send(_ path: String, _ text: String) async throws {
        try await opsOffThread {
            let client = try OpsStreamClient.unix(path)
            defer { client.close() }
            // The gateway may have closed a refused connection already: a failed write is fine.
            try? client.send(text)
        }
    }

    static func wait(_ api: GatewayAPI, until condition: (ScrapeText) -> Bool) async throws -> ScrapeText {
        let deadline = Date().addingTimeInterval(Patience.seconds)
        while true {
            let scrape = try await api.scrape()
            if condition(scrape) || Date() > deadline { return scrape }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("a listed uid or gid sends; anyone else is closed, not applied, counted")
    func allowList() async throws {
        let me = getuid()
        let myGroup = getgid()
        let message = #"{"name":"peer_jobs_total","op":"inc","value":1}"# + "\n"
        // Listed by uid, then by gid: applied.
        for (uids, gids) in [([me], nil), (nil, [myGroup])] as [(Set<UInt32>?, Set<UInt32>?)] {
            try await Self.withPeerGateway(uids: uids, gids: gids) { api, path in
                try await Self.send(path, message)
                let scrape = try await Self.wait(api) { $0.value("peer_jobs_total") == 1 }
                #expect(scrape.value("peer_jobs_total") == 1, "\(scrape.raw)")
                #expect(scrape.value(#"abacus_ingest_connections_refused_total{transport="unix"}"#) == nil)
            }
        }
        // Neither our uid nor our gid listed: refused.
        try await Self.withPeerGateway(uids: [me &+ 4242], gids: [myGroup &+ 4242]) { api, path in
            try await Self.send(path, message)
            let refusedSeries = #"abacus_ingest_connections_refused_total{transport="unix"}"#
            let scrape = try await Self.wait(api) { $0.value(refusedSeries) == 1 }
            #expect(scrape.value(refusedSeries) == 1, "\(scrape.raw)")
            #expect(scrape.value("peer_jobs_total") == nil)
            // HTTP ops are not concerned by the Unix socket's list.
            let response = try await api.request(
                "POST", "/api/v1/ops", headers: [("Content-Type", "application/json")], body: Array(message.utf8))
            #expect(response.status == 200)
        }
    }
}
