import Foundation
import Testing

@testable import NostrCore

/// Secrets never leave: every shape an nsec may hide in is found
/// (`SecretScan`), a config line holding one is refused without being
/// shown, and relay text is printed with its control characters escaped
/// (`RelayText`).
@Suite struct SecretScanTests {
    static let nsec = NIP19.nsec(SecretKey(bytes: try! Bytes32([UInt8](repeating: 0x42, count: 32))))
    static let npub = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
    /// The nsec without its `nsec1` prefix: the key and its checksum.
    static var data: String { String(nsec.dropFirst(5)) }

    @Test(arguments: [
        "{}",  // the nsec alone
        "{UPPER}",  // BIP-173 allows all uppercase
        "wss://{}",  // as a relay URL: its host would be looked up in DNS
        "wss://relay.example/{}",  // in a URL's path
        "wsn://{}@relay.example:7000",  // in a URL's user part
        "www.{}.nostr",  // a name's label
        "https://{}.nostr/",  // a URL's host
        "ws://127.0.0.1:1,wss://{}",  // inside a list ($NOSTR_DNS_RELAYS)
        "prefix{}suffix",  // glued into a longer string
        "x nsec1{CUT}",  // a key cut short still gives most of it away
        "wss://%6esec1{DATA}",  // the prefix disguised
        "wss://{DATA}.example",  // the bare data part, checksum verifying as an nsec
        "nsec1nsec1{DATA}",  // a second prefix inside the first one's run
    ])
    func attackHidingAnNsecIsFound(_ shape: String) {
        let text = Self.render(shape)
        #expect(SecretScan.containsSecretKey(text), "\(shape)")
        #expect(SecretScan.containsSecretKey(Array(text.utf8)), "\(shape)")
    }

    @Test(arguments: [
        "ws://127.0.0.1:6969", "wss://nsec1.example.org", "nsec1", "nsec1-abcdefgh", "www.{NPUB}.nostr",
        "wsn://{NPUB}@relay.example:7000", "the nsec format", "",
        "c5b0a6b2e3f43d2e9f5c3e5e0b3b3f8c4a2f4d6e7a8b9c0d1e2f3a4b5c6d7e8f",
    ])
    func ordinaryTextIsNotTakenForAnNsec(_ shape: String) {
        #expect(!SecretScan.containsSecretKey(Self.render(shape)), "\(shape)")
    }

    @Test func anNpubsDataDoesNotVerifyAsAnNsec() {
        #expect(!SecretScan.containsSecretKey(String(Self.npub.dropFirst(5))))
        #expect(SecretScan.containsSecretKey(Self.data))
    }

    @Test func attackConfigLineWithAnNsecIsRefusedByLineAndNotShown() {
        for text in [
            "relay = wss://" + Self.nsec + "\n", "relay = ws://127.0.0.1:1\nkey = " + Self.nsec.uppercased() + "\n",
            "relay = ws://127.0.0.1:1\n\n# my key: " + Self.nsec + "\n",
        ] {
            var caught: NostrError?
            do throws(NostrError) { _ = try ConfigFile(parsing: Array(text.utf8)) } catch { caught = error }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let line = lines.firstIndex(where: { $0.lowercased().contains("nsec1") })! + 1
            #expect(caught?.code == .secretKey && caught?.offset == line)
            #expect(caught?.reason.lowercased().contains("nsec1") == false)
        }
    }

    @Test func attackRelayTextWithEscapesAndNewlinesIsPrintedEscaped() {
        #expect(RelayText.printable("blocked: spam") == "blocked: spam")
        #expect(RelayText.printable("a\u{1b}[2J\u{1b}]0;owned\u{07}b") == "a\\x1b[2J\\x1b]0;owned\\x07b")
        #expect(RelayText.printable("ok\nnostr-dns: forged line\r") == "ok\\nnostr-dns: forged line\\r")
        #expect(RelayText.printable("c1 \u{9b}31m é") == "c1 \\u{9b}31m é")
        #expect(RelayText.printable("tab\there \\x1b") == "tab\\there \\\\x1b")
        #expect(RelayText.printable("\u{7f}\u{0}") == "\\x7f\\x00")
    }

    static func render(_ shape: String) -> String {
        shape.replacingOccurrences(of: "{UPPER}", with: nsec.uppercased())
            .replacingOccurrences(of: "{CUT}", with: String(data.prefix(12)))
            .replacingOccurrences(of: "{DATA}", with: data)
            .replacingOccurrences(of: "{NPUB}", with: npub)
            .replacingOccurrences(of: "{}", with: nsec)
    }
}
