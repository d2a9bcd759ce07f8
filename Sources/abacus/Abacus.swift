import ArgumentParser

/// The `abacus` command line.
@main
struct AbacusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abacus",
        abstract: "Prometheus metrics for Swift: the gateway, and a linter and converter for expositions.",
        subcommands: [
            GatewayCommand.self, MetricsServerCommand.self, CheckCommand.self, HashPasswordCommand.self,
            HashTokenCommand.self,
        ]
    )

    /// `abacus metrics-server …` takes the original's Go-style flags (`-socket`, `-uds-pool`,
    /// `-shutdown-delay`), which ArgumentParser would read as bundles of short options: they go
    /// to ``MetricsServerCommand/run(_:)`` as they are. Everything else, `--help` included, is
    /// ArgumentParser's.
    ///
    /// Run as `metrics-server` (a symlink or copy of the binary under the original's name), it is
    /// `abacus metrics-server`: a unit that runs the original needs no other change.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let invokedAs = CommandLine.arguments.first?.split(separator: "/").last.map(String.init)
        if invokedAs == "metrics-server" { arguments.insert("metrics-server", at: 0) }
        if arguments.first == "metrics-server", !arguments.dropFirst().contains(where: { $0 == "--help" }) {
            do {
                try await MetricsServerCommand.run(Array(arguments.dropFirst()))
            } catch {
                MetricsServerCommand.exit(withError: error)
            }
            return
        }
        await main(arguments)
    }
}
