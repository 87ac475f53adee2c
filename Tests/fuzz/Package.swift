// swift-tools-version:6.0
import PackageDescription

// The libFuzzer targets (issue 9): one executable, built only with
// `-sanitize=fuzzer,address -parse-as-library` by Tests/fuzz/run.sh, which
// picks the target with NOSTR_DNS_FUZZ_TARGET. Kept out of the main package
// so that a plain `swift build` never links an executable without a main.
let package = Package(
    name: "nostr-dns-fuzz",
    dependencies: [.package(name: "nostr-dns", path: "../..")],
    targets: [
        .executableTarget(name: "nostr-dns-fuzz", dependencies: [.product(name: "NostrCore", package: "nostr-dns")])
    ],
    // Single-threaded by libFuzzer's design: Swift 5 mode spares the
    // global target table and stderr the Sendable checks.
    swiftLanguageModes: [.v5]
)
