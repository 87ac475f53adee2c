// swift-tools-version:6.0
import PackageDescription

// A program that uses nostr-dns as a library: the NostrDNS product of the
// package two folders up, by path (as a program beside a checkout would).
// Built and run against a local relay by Tests/example.sh.
let package = Package(
    name: "NostrDNSExample",
    dependencies: [
        .package(name: "nostr-dns", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "resolve-name",
            dependencies: [.product(name: "NostrDNS", package: "nostr-dns")]
        )
    ]
)
