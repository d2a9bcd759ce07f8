import ArgumentParser

/// The `abacus` command line.
@main
struct AbacusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abacus",
        abstract: "Prometheus metrics for Swift: the gateway, and a linter and converter for expositions.",
        subcommands: [GatewayCommand.self, CheckCommand.self]
    )
}
