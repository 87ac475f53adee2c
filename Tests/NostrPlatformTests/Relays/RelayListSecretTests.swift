import Foundation
import Testing

@testable import NostrCore
@testable import NostrPlatform

/// Secrets never leave: a relay list that holds an nsec (the Swift API's
/// list, `$NOSTR_DNS_RELAYS`, a config's `relay` line) is refused by
/// `RelayPoolBuilder` before any pool, lookup or connection exists, and the
/// error never shows it.
@Suite struct RelayListSecretTests {
    static let nsec = NIP19.nsec(SecretKey(bytes: try! Bytes32([UInt8](repeating: 0x42, count: 32))))

    static func refusal(_ body: () throws(PlatformError) -> RelayPoolBuilder) -> PlatformError? {
        do throws(PlatformError) {
            _ = try body()
            return nil
        } catch { return error }
    }

    static func shows(_ message: String) -> Bool {
        message.lowercased().contains(String(nsec.dropFirst(5)))
    }

    @Test func attackNsecAsAnExplicitRelayIsRefusedByPosition() {
        let error = Self.refusal { () throws(PlatformError) in
            try RelayPoolBuilder(relays: ["ws://127.0.0.1:1", "wss://" + Self.nsec.uppercased() + "/"])
        }
        #expect(error?.code == .relayURL && error?.keyError == .secretKey)
        #expect(error?.message.hasPrefix("relay URL number 2 holds an nsec (a secret key!)") == true)
        #expect(error.map { Self.shows($0.message) } == false)
    }

    @Test func attackNsecInTheEnvironmentIsRefusedEvenWhenExplicitRelaysWin() {
        let error = Self.refusal { () throws(PlatformError) in
            try RelayPoolBuilder(
                explicit: ["ws://127.0.0.1:1"], environment: "ws://127.0.0.1:2,wsn://" + Self.nsec + "@relay.example",
                config: nil, caFile: nil)
        }
        #expect(error?.keyError == .secretKey)
        #expect(error?.message.hasPrefix("relay URL in $NOSTR_DNS_RELAYS holds") == true)
        #expect(error.map { Self.shows($0.message) } == false)
    }

    @Test func attackNsecInAConfigRelayLineIsRefusedByLineWhenTheFileIsRead() throws {
        let path = NSTemporaryDirectory() + "nostr-dns-secret-config-" + UUID().uuidString
        try ("relay = ws://127.0.0.1:1\nrelay = wss://" + Self.nsec + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var caught: PlatformError?
        do throws(PlatformError) { _ = try ConfigLocation.load(explicit: path) } catch { caught = error }
        #expect(caught?.code == .configSyntax && caught?.keyError == .secretKey)
        #expect(caught?.message.hasSuffix("(line 2)") == true)
        #expect(caught.map { Self.shows($0.message) } == false)
    }
}
