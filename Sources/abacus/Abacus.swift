import ArgumentParser

/// The `abacus` command line.
@main
struct AbacusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abacus",
        abstract: "Prometheus metrics for Swift: lint and convert expositions.",
        subcommands: [CheckCommand.self]
    )
}
