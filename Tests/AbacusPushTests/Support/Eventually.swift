import AbacusTesting
import Foundation
import Testing

/// Polls `condition` every 10 ms until it holds or `seconds` pass; whether it held.
@discardableResult
func eventually(upTo seconds: Double = Patience.seconds, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try await condition() { return true }
        if Date() > deadline { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Runs `body`, which must fail with an `E`: the error, or `nil` after recording an issue
/// (when it succeeds or fails otherwise).
func failure<E: Error>(
    _ type: E.Type, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> E? {
    do {
        try await body()
        Issue.record("\(what): succeeded", sourceLocation: sourceLocation)
    } catch let error as E {
        return error
    } catch {
        Issue.record("\(what): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
