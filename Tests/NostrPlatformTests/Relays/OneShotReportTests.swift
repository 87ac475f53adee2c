import Glibc
import Testing

@testable import NostrCore
@testable import NostrPlatform

/// Offline is fast and honest (issue 16, item 10): what a one-shot lookup
/// reports when relays fail, and how its pool looks names up. The whole
/// command against a silent name server is Tests/interop/test_offline.py.
@Suite struct OneShotReportTests {
    /// A loopback TCP port nobody listens on (bound, then closed).
    static func closedPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                _ = bind(fd, p, len)
                return getsockname(fd, p, &len)
            }
        }
        return UInt16(bigEndian: sa.sin_port)
    }

    /// Relays refused at once all fail in the same turn of the run: each
    /// failure must reach the report, not only the one that ended the run
    /// (before, `resolve` named the first relay and dropped the others).
    @Test func everyRelayThatFailsInTheSameTurnIsReported() throws {
        let urls = (0..<3).map { _ in "ws://127.0.0.1:" + String(Self.closedPort()) }
        let relays = try RelayPoolBuilder(relays: urls)
        let context = try Secp256k1Context(randomSeed: Entropy.bytes32())
        let key = try Bytes32([UInt8](repeating: 0x11, count: 32))
        let lookup = try RecordLookup.run(
            [.addresses(of: key, label: "")], relays: relays, context: context, timeoutMilliseconds: 3000)
        #expect(!lookup.anyAnswered)
        #expect(lookup.failures.count == 3)
        for (r, failure) in lookup.failures.enumerated() {
            #expect(failure?.contains("refused") == true, "relay \(r): \(failure ?? "no failure reported")")
        }
    }

    @Test func builtInRelaysAreFlaggedOnlyWhenNoRelayWasChosen() throws {
        let none = try RelayPoolBuilder(explicit: [], environment: nil, config: nil, caFile: nil)
        #expect(none.usesBuiltInRelays && none.urls.count == RelayPoolBuilder.defaultRelays.count)
        let explicit = try RelayPoolBuilder(explicit: ["ws://127.0.0.1:1"], environment: nil, config: nil, caFile: nil)
        #expect(!explicit.usesBuiltInRelays)
        let environment = try RelayPoolBuilder(explicit: [], environment: "ws://127.0.0.1:1", config: nil, caFile: nil)
        #expect(!environment.usesBuiltInRelays)
        let config = try ConfigFile(parsing: Array("relay = ws://127.0.0.1:1\n".utf8))
        let configured = try RelayPoolBuilder(explicit: [], environment: nil, config: config, caFile: nil)
        #expect(!configured.usesBuiltInRelays)
        let listed = try RelayPoolBuilder(relays: RelayPoolBuilder.defaultRelays)
        #expect(!listed.usesBuiltInRelays, "chosen explicitly, even if they are the same relays")
    }

    /// getaddrinfo looked the relays up one after another before the loop
    /// ran (40 s for four silent names); one-shot pools now look them up in
    /// the loop, each lookup bounded by the command's timeout.
    @Test func oneShotPoolsLookNamesUpInTheLoopWithinTheTimeout() throws {
        let builder = try RelayPoolBuilder(relays: ["ws://relay.example:7777"])
        let oneShot = try builder.pool(reconnect: false, timeoutMilliseconds: 3000)
        #expect(oneShot.options.nonBlockingLookup && oneShot.options.lookupTimeoutMilliseconds == 3000)
        let daemon = try builder.pool(reconnect: true, timeoutMilliseconds: 3000)
        #expect(daemon.options.nonBlockingLookup && daemon.options.lookupTimeoutMilliseconds == nil)
    }
}
