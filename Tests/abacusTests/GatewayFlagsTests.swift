import AbacusGateway
import ArgumentParser
import Testing

@testable import abacus

/// `abacus gateway` flags read into its configuration: the security flags.
@Suite("abacus gateway: security flags")
struct GatewayFlagsTests {
    func configuration(_ arguments: [String]) throws -> GatewayConfiguration {
        try GatewayCommand.parse(arguments).configuration()
    }

    @Test("--ops.unix-socket-allow-uids and -gids take names and ids, and need a Unix socket")
    func peerAllowList() throws {
        let ops = try configuration([
            "--ops.unix-socket=/tmp/x.sock", "--ops.unix-socket-allow-uids=root,1000", "--ops.unix-socket-allow-gids=0",
        ]).ops
        #expect(ops.unixSocketAllowedUIDs == [0, 1000])
        #expect(ops.unixSocketAllowedGIDs == [0])
        #expect(ops.checksUnixPeers)
        #expect(try configuration(["--ops.unix-socket=/tmp/x.sock"]).ops.checksUnixPeers == false)
        #expect(throws: (any Error).self) {
            _ = try configuration(["--ops.unix-socket=/tmp/x.sock", "--ops.unix-socket-allow-uids=no-such-user-here"])
        }
        #expect(throws: (any Error).self) { _ = try configuration(["--ops.unix-socket-allow-uids=0"]) }
        #expect(throws: (any Error).self) {
            _ = try configuration(["--ops.unix-socket=/tmp/x.sock", "--ops.unix-socket-allow-gids=,"])
        }
    }

    @Test("--web.config.file and --web.auth.file are passed as paths, and shown in the flags")
    func securityFiles() throws {
        let configuration = try configuration(["--web.config.file=/etc/w.yml", "--web.auth.file=/etc/a.yml"])
        #expect(configuration.webConfigFile == "/etc/w.yml")
        #expect(configuration.authFile == "/etc/a.yml")
        #expect(configuration.flags["web.config.file"] == "/etc/w.yml")
        #expect(try self.configuration([]).webConfigFile == nil)
    }
}
