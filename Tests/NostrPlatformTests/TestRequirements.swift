import Foundation
import Testing

/// What some tests need beyond `swift build`, which Tests/setup.sh installs.
/// A test that needs a missing piece is skipped with a message naming the
/// step (Swift Testing `.enabled(if:_:)`), so that a plain `swift test` on a
/// fresh clone passes or says what to set up, test by test.
enum TestRequirements {
    /// `openssl` on PATH (the tests run it through /usr/bin/env): the test CA,
    /// `openssl s_server` and the certificate checks.
    static let hasOpenSSL = onPath("openssl")
    static let openSSLMissing: Comment = "needs openssl on PATH: run Tests/setup.sh (apt-get install openssl)"

    /// Root: only root reads a key file of mode 0200 (the CI and
    /// Tests/run-all.sh run as root).
    static let isRoot = geteuid() == 0
    static let rootMissing: Comment = "needs root for a write-only (0200) key file: run swift test as root (sudo)"

    static func onPath(_ tool: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: $0 + "/" + tool) }
    }
}
