// swift-tools-version:6.0
import PackageDescription

// The same sources build three ways (the Design article, "Architecture"): this SwiftPM package,
// a static release build (`-Xswiftc -static-executable`), and the Embedded
// Swift build for aarch64 in `cross/`, which compiles the targets below
// in the same order with swiftc directly.
let package = Package(
    name: "nostr-dns",
    products: [
        .library(name: "NostrDNS", targets: ["NostrDNS"]),
        // The sans-IO core alone, for the fuzz targets (Tests/fuzz).
        .library(name: "NostrCore", targets: ["NostrCore"]),
        .executable(name: "nostr-dns", targets: ["nostr-dns"]),
    ],
    targets: [
        .systemLibrary(name: "CSecp256k1", path: "CSupport/CSecp256k1"),
        .systemLibrary(name: "CMbedTLS", path: "CSupport/CMbedTLS"),
        .systemLibrary(name: "CPlatform", path: "CSupport/CPlatform"),
        // Sans-IO protocol core: JSON, bech32/NIP-19, NIP-01 events and messages, keys.
        .target(name: "NostrCore", dependencies: ["CSecp256k1", "CMbedTLS"]),
        // The only code that touches the OS: files, entropy, clocks, output.
        .target(name: "NostrPlatform", dependencies: ["NostrCore", "CPlatform"]),
        // The small idiomatic Swift API for programs that embed nostr-dns.
        .target(name: "NostrDNS", dependencies: ["NostrCore", "NostrPlatform"]),
        // The command-line frontend.
        .executableTarget(name: "nostr-dns", dependencies: ["NostrCore", "NostrPlatform", "CSecp256k1"]),
        .testTarget(name: "NostrCoreTests", dependencies: ["NostrCore"], exclude: ["Vectors"]),
        .testTarget(name: "NostrPlatformTests", dependencies: ["NostrPlatform", "NostrCore"]),
        .testTarget(name: "NostrDNSTests", dependencies: ["NostrDNS"]),
    ]
)
