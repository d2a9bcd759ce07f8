public import Foundation

/// Golden files: expected bytes kept beside the tests, rewritten in place instead of compared
/// when `ABACUS_UPDATE_GOLDEN=1` is set.
public enum GoldenFiles {
    /// The bytes of the golden file at `url`, or `actual` after writing it there when
    /// `ABACUS_UPDATE_GOLDEN=1`.
    public static func expected(at url: URL, actual: [UInt8]) throws -> [UInt8] {
        if ProcessInfo.processInfo.environment["ABACUS_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual).write(to: url)
            return actual
        }
        return Array(try Data(contentsOf: url))
    }
}
