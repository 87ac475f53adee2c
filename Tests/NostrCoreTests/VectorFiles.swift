import Foundation

/// Test vector files, found next to the tests through `#filePath` (they are
/// excluded from the SwiftPM target, so they are not resources).
enum VectorFiles {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(relativePath))
    }
}
