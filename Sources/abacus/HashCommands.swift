import AbacusGateway
import ArgumentParser
import Foundation

/// `abacus hash-password`: the bcrypt hash of a password for `basic_auth_users` or
/// `password_hash`, read from standard input (so it stays out of the shell's history).
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract:
            "Print the bcrypt hash of the password read from standard input (for --web.config.file, --web.auth.file).")

    @Option(help: "bcrypt cost, 4 to 31: each step doubles the time a check takes.")
    var cost = 10

    func validate() throws {
        guard (4...31).contains(cost) else { throw ValidationError("--cost must be 4…31") }
    }

    func run() throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        print(SecretHashing.bcrypt(line, cost: cost))
    }
}

/// `abacus hash-token`: the SHA-256 of a bearer token for `token_sha256`, read from standard
/// input.
struct HashTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-token",
        abstract: "Print the SHA-256 (hex) of the bearer token read from standard input (for --web.auth.file).")

    func run() throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no token on standard input")
        }
        print(SecretHashing.sha256Hex(line))
    }
}
