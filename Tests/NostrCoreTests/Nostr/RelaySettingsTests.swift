import Foundation
import Testing

@testable import NostrCore

/// Relay URLs, the config file, reconnect backoff and certificate facts.
@Suite struct RelayURLTests {
    static let npub = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"

    @Test func plainURLsGetDefaultPortsAndPath() throws {
        let a = try RelayURL(parsing: "ws://127.0.0.1:6969")
        #expect(a.scheme == .ws && a.host == "127.0.0.1" && a.port == 6969 && a.path == "/")
        let b = try RelayURL(parsing: "wss://Relay.Example.COM")
        #expect(b.scheme == .wss && b.host == "relay.example.com" && b.port == 443 && b.hostHeader == "relay.example.com")
        let c = try RelayURL(parsing: "WS://relay.example/nostr?x=1")
        #expect(c.port == 80 && c.path == "/nostr?x=1")
        let d = try RelayURL(parsing: "ws://relay.example?x=1")
        #expect(d.path == "/?x=1")
    }

    @Test func ipv6InBrackets() throws {
        let a = try RelayURL(parsing: "ws://[::1]:7777")
        #expect(a.host == "::1" && a.port == 7777 && a.hostHeader == "[::1]:7777" && a.hostIsAddress)
        let b = try RelayURL(parsing: "wss://[2001:db8::1]")
        #expect(b.hostHeader == "[2001:db8::1]")
    }

    @Test func wsnCarriesTheRelayKey() throws {
        let a = try RelayURL(parsing: "wsn://" + Self.npub + "@relay.example:7000")
        #expect(a.scheme == .wsn && a.relayKey != nil && a.host == "relay.example" && a.port == 7000)
        let b = try RelayURL(parsing: "wsn://" + Self.npub)
        #expect(b.relayKey == a.relayKey && b.host == "" && b.port == 0)
    }

    @Test func sameRelayWrittenTwoWaysIsEqual() throws {
        #expect(try RelayURL(parsing: "wss://relay.example") == RelayURL(parsing: "WSS://RELAY.example:443/"))
        #expect(try RelayURL(parsing: "ws://relay.example") != RelayURL(parsing: "wss://relay.example"))
    }

    @Test(arguments: [
        "", "relay.example", "http://relay.example", "ws:/relay.example", "ws://", "ws://:80", "ws://host:",
        "ws://host:0", "ws://host:65536", "ws://host:123456", "ws://host:12a", "ws://[::1", "ws://[::1]x",
        "ws://[zz::1]", "ws://ho st", "ws://host/pa th", "ws://host#frag", "ws://user@host", "ws://-host",
        "ws://a..b", "wsn://host:7000", "wsn://npub1bad@host:1", "ws://host/\u{7f}",
        "ws://" + String(repeating: "a", count: 64) + ".example",
    ])
    func refusesMalformedURL(_ text: String) {
        #expect(throws: NostrError.self) { try RelayURL(parsing: text) }
    }
}

@Suite struct ConfigFileTests {
    static func parse(_ text: String) throws(NostrError) -> ConfigFile { try ConfigFile(parsing: Array(text.utf8)) }

    @Test func readsSettingsCommentsAndBlankLines() throws {
        let c = try Self.parse(
            "# relays\n\nrelay = wss://a.example\r\n  relay=ws://127.0.0.1:6969  \nca-file = /etc/ssl/x.pem\n\tkey = /k\n")
        #expect(c.values("relay") == ["wss://a.example", "ws://127.0.0.1:6969"])
        #expect(c.value("ca-file") == "/etc/ssl/x.pem")
        #expect(c.value("key") == "/k")
        #expect(c.value("missing") == nil)
        #expect(c.settings.map(\.line) == [3, 4, 5, 6])
    }

    @Test func valueMayContainEqualsSign() throws {
        #expect(try Self.parse("relay = ws://h/?a=b\n").value("relay") == "ws://h/?a=b")
    }

    @Test(arguments: [
        ("relay wss://a\n", 1), ("# ok\nrelays = x\n", 2), ("relay =\n", 1), (" = x\n", 1),
        ("relay = a\u{1}b\n", 1), ("\n\nunknown = 1\n", 3),
    ])
    func refusesBadLineNamingIt(_ text: String, _ line: Int) {
        #expect(throws: NostrError(.config, at: line)) { try Self.parse(text) }
    }

    @Test func refusesOversizedFile() {
        let big = [UInt8](repeating: 0x23, count: ConfigFile.maxBytes + 1)
        #expect(throws: NostrError.self) { try ConfigFile(parsing: big) }
    }
}

@Suite struct BackoffTests {
    @Test func delaysGrowThenCapWithJitterInRange() {
        let b = Backoff(baseMilliseconds: 500, maxMilliseconds: 60_000)
        for attempt in 0..<30 {
            let cap = min(60_000, UInt64(500) << UInt64(min(attempt, 20)))
            for random: UInt32 in [0, 1, 12345, .max] {
                let d = b.delay(attempt: attempt, random: random)
                #expect(d >= cap / 2 && d <= cap)
            }
        }
        #expect(b.delay(attempt: 0, random: 0) == 250)
        #expect(b.delay(attempt: 40, random: 0) == 30_000)
    }
}

@Suite struct CertificateInfoTests {
    @Test func spkiHashAndNotAfterMatchOpenSSL() throws {
        let pem = try VectorFiles.data("certificate-p256.pem")
        let info = try CertificateInfo(pem: Array(pem))
        #expect(info.spkiSHA256.hex == "66b96eb728e19a572b1621cbcba4cb6a74e86bbb2905d75ce3a3eebfb648347c")
        #expect(info.notAfter == 2_110_602_253)
    }

    @Test func civilDatesToUnixTime() {
        #expect(CertificateInfo.unixTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0) == 0)
        #expect(CertificateInfo.unixTime(year: 2000, month: 2, day: 29, hour: 12, minute: 0, second: 0) == 951_825_600)
        #expect(CertificateInfo.unixTime(year: 2038, month: 1, day: 19, hour: 3, minute: 14, second: 8) == 2_147_483_648)
    }

    @Test(arguments: ["", "hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
    func refusesNonCertificate(_ text: String) {
        #expect(throws: NostrError(.certificate)) { try CertificateInfo(pem: Array(text.utf8)) }
    }

    @Test func refusesTruncatedCertificate() throws {
        let pem = Array(try VectorFiles.data("certificate-p256.pem"))
        #expect(throws: NostrError(.certificate)) { try CertificateInfo(pem: Array(pem[0..<(pem.count / 2)])) }
    }
}
