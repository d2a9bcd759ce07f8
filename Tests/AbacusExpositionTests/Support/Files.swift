import AbacusTesting
import Foundation

/// Paths of files kept beside the tests (golden files, fixtures), found from this source file
/// so they can be read and, with `ABACUS_UPDATE_GOLDEN=1`, rewritten in place.
enum TestFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(relative)))
    }

    static func string(_ relative: String) throws -> String {
        String(decoding: try bytes(relative), as: UTF8.self)
    }

    /// Compares `actual` with the golden file; rewrites the file instead when
    /// `ABACUS_UPDATE_GOLDEN=1` is set. Returns the golden bytes.
    static func golden(_ relative: String, _ actual: [UInt8]) throws -> [UInt8] {
        try GoldenFiles.expected(at: url("Golden/" + relative), actual: actual)
    }
}
