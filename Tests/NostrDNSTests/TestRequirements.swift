import Foundation
import Testing

/// What some tests need beyond `swift build`, which Tests/setup.sh installs.
/// A test that needs a missing piece is skipped with a message naming the
/// step (Swift Testing `.enabled(if:_:)`), so that a plain `swift test` on a
/// fresh clone passes or says what to set up, test by test.
enum TestRequirements {
    /// The repository's checkout (three folders above this file).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// nostr-relay 1.14 in the test venv, the relay of `TestRelay`.
    static let nostrRelay = repository.appendingPathComponent(".venv/bin/nostr-relay")
    static let hasNostrRelay = FileManager.default.isExecutableFile(atPath: nostrRelay.path)
    static let nostrRelayMissing: Comment = "needs .venv/bin/nostr-relay: run Tests/setup.sh"
}
