import ArgumentParser

/// `abacus check`: lints an exposition (filled in below).
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Lint an exposition.")
    func run() async throws {}
}
