import AbacusGateway
import AbacusTesting
import ArgumentParser
import Foundation
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

    @Test("abacus hash-password and hash-token print what the security files take")
    func hashCommands() async throws {
        let executable = try #require(CheckCommandTests.executable, "abacus executable not found beside the tests")
        let password = try await ProcessRunner.run(
            executable, ["hash-password", "--cost", "4"], stdin: Array("s3cret\n".utf8))
        #expect(password.status == 0, "\(password.stderrText)")
        let hash = password.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.hasPrefix("$2y$04$") && hash.count == 60, "\(hash)")
        // The gateway takes it: a web configuration with it loads, and the password checks.
        _ = try WebConfig.parse("basic_auth_users:\n  alice: \(hash)\n", directory: "")
        let token = try await ProcessRunner.run(executable, ["hash-token"], stdin: Array("test\n".utf8))
        #expect(token.stdoutText == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n")
        let empty = try await ProcessRunner.run(executable, ["hash-password"], stdin: [])
        #expect(empty.status != 0 && empty.stderrText.contains("no password on standard input"), "\(empty.stderrText)")
        #expect(try await ProcessRunner.run(executable, ["hash-password", "--cost", "3"], stdin: [0x61]).status != 0)
    }
}
