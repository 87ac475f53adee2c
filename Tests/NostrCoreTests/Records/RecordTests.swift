import Foundation
import Testing

@testable import NostrCore

/// A self-signed certificate's PEM text as `openssl req -x509` writes it
/// (the body is not parsed by the record formats, only its boundaries).
let samplePEM = """
    -----BEGIN CERTIFICATE-----
    MIIBfzCCASWgAwIBAgIUSGVsbG8gbm9zdHItZG5zIHRlc3QwCgYIKoZIzj0EAwIw
    FTETMBEGA1UEAwwKbnB1YjF0ZXN0MB4XDTI0MDEwMTAwMDAwMFoXDTI0MDEwMjAw
    -----END CERTIFICATE-----

    """

/// Signs a record event with the fixture key 3 (or `secret`).
func signedRecord(
    kind: Int, tags: [[String]], content: String = "", createdAt: Int64 = EventFixtures.createdAt,
    secret: SecretKey = EventFixtures.secret3
) -> Event {
    EventFixtures.sign(tags: tags, content: content, secret: secret, createdAt: createdAt, kind: kind)
}

func signed(_ template: EventTemplate, secret: SecretKey = EventFixtures.secret3) -> Event {
    try! Event.sign(template, secret: secret, context: EventFixtures.context, auxRand: EventFixtures.auxRand)
}

/// A tag list and why it must be refused as a record.
struct BadRecord: CustomTestStringConvertible, Sendable {
    let name: String
    let kind: Int
    let tags: [[String]]
    let content: String
    var testDescription: String { name }
}

@Suite struct AddressRecordTests {
    @Test func templateHasTheDesignedTagsInOrder() throws {
        let r = AddressRecord(
            label: "www",
            addresses: [try IPAddress(parsing: "2001:DB8::1"), .v4(0xC000_0201), .v4(0xC633_6407)],
            ttl: 300, expiration: 1_800_000_000)
        let t = r.template(createdAt: 1_700_000_000)
        #expect(t.kind == 30053)
        #expect(t.createdAt == 1_700_000_000)
        #expect(t.content == "")
        #expect(
            t.tags == [
                ["d", "www"], ["ip4", "192.0.2.1"], ["ip4", "198.51.100.7"], ["ip6", "2001:db8::1"],
                ["ttl", "300"], ["alt", "DNS records"], ["expiration", "1800000000"],
            ])
        let minimal = AddressRecord(label: "", addresses: [.v4(0x0102_0304)]).template(createdAt: 5)
        #expect(minimal.tags == [["d", ""], ["ip4", "1.2.3.4"], ["alt", "DNS records"]])
    }

    @Test func signedRecordReadsBack() throws {
        let r = AddressRecord(
            label: "", addresses: [.v4(0xC000_0201), try IPAddress(parsing: "2001:db8::53")],
            ttl: 120, expiration: 1_900_000_000)
        let e = signed(r.template(createdAt: EventFixtures.createdAt))
        try e.verify(context: EventFixtures.context)
        #expect(try AddressRecord(event: e) == r)
        // And through the relay's JSON.
        #expect(try AddressRecord(event: try Event(json: e.json)) == r)
    }

    @Test func addressesAreIPv4ThenIPv6InEventOrder() throws {
        let e = signedRecord(
            kind: 30053,
            tags: [
                ["d", ""], ["ip6", "::2"], ["ip4", "10.0.0.2"], ["ip6", "::1"], ["ip4", "10.0.0.1"],
            ])
        let r = try AddressRecord(event: e)
        #expect(r.addresses == [.v4(0x0A00_0002), .v4(0x0A00_0001), .v6(0, 2), .v6(0, 1)])
    }

    @Test func badAddressTagsAreSkippedNotFatal() throws {
        let e = signedRecord(
            kind: 30053,
            tags: [
                ["d", "x"],
                ["ip4", "2001:db8::1"],  // IPv6 in an ip4 tag
                ["ip4", "not an address"],
                ["ip4", "01.2.3.4"],
                ["ip4"],  // no value
                ["ip6", "192.0.2.1"],  // IPv4 in an ip6 tag
                ["ip6", "fe80::1%eth0"],
                ["ip4", "192.0.2.1", "extra"],
                ["ip6", "2001:db8::1"],
            ])
        let r = try AddressRecord(event: e)
        #expect(r.label == "x")
        #expect(r.addresses == [.v4(0xC000_0201), .v6(0x2001_0DB8_0000_0000, 1)])
    }

    @Test(
        arguments: [
            ("300", 300), ("0", 0), ("86401", 86401), ("030", 30),
            ("-5", nil), ("+5", nil), ("abc", nil), ("1e3", nil), (" 30", nil), ("30 ", nil), ("", nil), ("3.5", nil),
            ("99999999999999999999999", nil),
        ] as [(String, Int?)])
    func ttlIsReadRawOrIgnored(_ text: String, _ expected: Int?) throws {
        let e = signedRecord(kind: 30053, tags: [["d", ""], ["ttl", text]])
        #expect(try AddressRecord(event: e).ttl == expected)
    }

    @Test(
        arguments: [
            (nil, 60), (0, 30), (29, 30), (30, 30), (31, 31), (300, 300), (86400, 86400), (86401, 86400), (Int.max, 86400),
            (-1, 30),
        ] as [(Int?, Int)])
    func effectiveTTLIsClamped(_ ttl: Int?, _ expected: Int) {
        #expect(AddressRecord(label: "", addresses: [], ttl: ttl).effectiveTTL == expected)
    }

    @Test func firstDTagCounts() throws {
        let e = signedRecord(kind: 30053, tags: [["d"], ["d", "first"], ["d", "second"]])
        #expect(try AddressRecord(event: e).label == "first")
    }

    static let malformed: [BadRecord] = [
        BadRecord(name: "another kind", kind: 30054, tags: [["d", ""]], content: ""),
        BadRecord(name: "no d tag", kind: 30053, tags: [["ip4", "1.2.3.4"]], content: ""),
        BadRecord(name: "d tag without a value", kind: 30053, tags: [["d"], ["ip4", "1.2.3.4"]], content: ""),
        BadRecord(name: "no tags at all", kind: 30053, tags: [], content: ""),
        BadRecord(name: "expiration not a number", kind: 30053, tags: [["d", ""], ["expiration", "soon"]], content: ""),
        BadRecord(name: "negative expiration", kind: 30053, tags: [["d", ""], ["expiration", "-1"]], content: ""),
        BadRecord(
            name: "expiration overflow", kind: 30053,
            tags: [["d", ""], ["expiration", "9999999999999999999999"]], content: ""),
    ]

    @Test(arguments: malformed)
    func malformedRecordsAreRefused(_ m: BadRecord) {
        let e = signedRecord(kind: m.kind, tags: m.tags, content: m.content)
        #expect(errorCode { _ = try AddressRecord(event: e) } == .recordShape)
    }
}

@Suite struct TLSKeyRecordTests {
    static let key = try! Hex.decode32("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")

    @Test func templateAndReadBack() throws {
        let r = TLSKeyRecord(
            url: "https://npub1x.nostr:4443", spkiSHA256: Self.key, expires: 1_800_000_000,
            certificatePEM: samplePEM)
        #expect(r.service == "https")
        let t = r.template(createdAt: 7)
        #expect(t.kind == 30059)
        #expect(t.content == samplePEM)
        #expect(
            t.tags == [
                ["d", "https"], ["u", "https://npub1x.nostr:4443"],
                ["k", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
                ["exp", "1800000000"],
            ])
        let e = signed(t)
        #expect(try TLSKeyRecord(event: e) == r)
        #expect(try TLSKeyRecord(event: try Event(json: e.json)) == r)
    }

    @Test func optionalTagsMayBeMissing() throws {
        let r = TLSKeyRecord(service: "imaps", url: nil, spkiSHA256: Self.key, expires: nil, certificatePEM: "")
        #expect(r.template(createdAt: 1).tags == [["d", "imaps"], ["k", Self.key.hex]])
        #expect(try TLSKeyRecord(event: signed(r.template(createdAt: 1))) == r)
    }

    static let malformed: [BadRecord] = {
        let k = ["k", key.hex]
        return [
            BadRecord(name: "another kind", kind: 30058, tags: [["d", "https"], k], content: ""),
            BadRecord(name: "no d", kind: 30059, tags: [k], content: ""),
            BadRecord(name: "no k", kind: 30059, tags: [["d", "https"]], content: ""),
            BadRecord(name: "k uppercase", kind: 30059, tags: [["d", "https"], ["k", key.hex.uppercased()]], content: ""),
            BadRecord(name: "k too short", kind: 30059, tags: [["d", "https"], ["k", String(key.hex.dropLast())]], content: ""),
            BadRecord(name: "k too long", kind: 30059, tags: [["d", "https"], ["k", key.hex + "0"]], content: ""),
            BadRecord(name: "k odd bytes", kind: 30059, tags: [["d", "https"], ["k", key.hex + "00"]], content: ""),
            BadRecord(
                name: "k not hex", kind: 30059,
                tags: [["d", "https"], ["k", String(repeating: "g", count: 64)]], content: ""),
            BadRecord(
                name: "k base64", kind: 30059,
                tags: [["d", "https"], ["k", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="]], content: ""),
            BadRecord(name: "k empty", kind: 30059, tags: [["d", "https"], ["k", ""]], content: ""),
            BadRecord(name: "exp not a number", kind: 30059, tags: [["d", "https"], k, ["exp", "never"]], content: ""),
            BadRecord(name: "exp negative", kind: 30059, tags: [["d", "https"], k, ["exp", "-1"]], content: ""),
        ]
    }()

    @Test(arguments: malformed)
    func malformedRecordsAreRefused(_ m: BadRecord) {
        let e = signedRecord(kind: m.kind, tags: m.tags, content: m.content)
        #expect(errorCode { _ = try TLSKeyRecord(event: e) } == .recordShape)
    }
}

@Suite struct LegacyRecordTests {
    /// The proof of concept wrote `json.dumps({"ip": ip})`, with a space.
    @Test func seedAddressEventIsRead() throws {
        let e = signedRecord(kind: 30000, tags: [], content: "{\"ip\": \"216.128.178.176\"}")
        #expect(try LegacyRecord(event: e) == .address(.v4(0xD880_B2B0)))
        let v6 = signedRecord(kind: 30000, tags: [], content: "{\"ip\": \"2001:db8::1\"}")
        #expect(try LegacyRecord(event: v6) == .address(.v6(0x2001_0DB8_0000_0000, 1)))
        // The same JSON written differently is the same record.
        let spaced = signedRecord(kind: 30000, tags: [], content: " {\n \"\\u0069p\" : \"1.2.3.4\" } ")
        #expect(try LegacyRecord(event: spaced) == .address(.v4(0x0102_0304)))
    }

    @Test func templatesAreTheSeedsShape() throws {
        let a = LegacyRecord.address(.v4(0x0102_0304)).template(createdAt: 9)
        #expect(a.kind == 30000 && a.tags.isEmpty && a.createdAt == 9)
        #expect(a.content == "{\"ip\":\"1.2.3.4\"}")
        let a6 = LegacyRecord.address(try IPAddress(parsing: "2001:0db8::0001")).template(createdAt: 9)
        #expect(a6.content == "{\"ip\":\"2001:db8::1\"}")
        let c = LegacyRecord.certificate(samplePEM).template(createdAt: 9)
        #expect(c.kind == 30001 && c.tags.isEmpty && c.content == samplePEM)
        for t in [a, a6, c] {
            #expect(try LegacyRecord(event: signed(t)).template(createdAt: 9) == t)
        }
    }

    @Test func seedCertificateEventIsRead() throws {
        let e = signedRecord(kind: 30001, tags: [], content: samplePEM)
        #expect(try LegacyRecord(event: e) == .certificate(samplePEM))
        let crlf = "\r\n" + samplePEM.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try LegacyRecord(event: signedRecord(kind: 30001, tags: [], content: crlf)) == .certificate(crlf))
    }

    static let pubkey7 = try! EventFixtures.context.publicKey(of: EventFixtures.secret7).hex

    static let notSeedShaped: [BadRecord] = [
        BadRecord(name: "NIP-51 follow set", kind: 30000, tags: [["d", "friends"], ["p", pubkey7]], content: ""),
        BadRecord(name: "NIP-51 follow set with d \"\"", kind: 30000, tags: [["d", ""], ["p", pubkey7]], content: ""),
        BadRecord(
            name: "NIP-51 set with encrypted content", kind: 30000, tags: [["d", "x"]],
            content: "AjhUEuDmvcOP0S2GjNwMT1F8bqkY5JTlrzUg9yhY+e8=?iv=1pB0V0lTn1AtT8QOX6aW4g=="),
        BadRecord(name: "seed content but a d tag", kind: 30000, tags: [["d", ""]], content: "{\"ip\": \"1.2.3.4\"}"),
        BadRecord(
            name: "seed content but an expiration tag", kind: 30000, tags: [["expiration", "99999999999"]],
            content: "{\"ip\": \"1.2.3.4\"}"),
        BadRecord(name: "empty content", kind: 30000, tags: [], content: ""),
        BadRecord(name: "extra member", kind: 30000, tags: [], content: "{\"ip\": \"1.2.3.4\", \"port\": 80}"),
        BadRecord(name: "duplicate ip member", kind: 30000, tags: [], content: "{\"ip\": \"1.2.3.4\", \"ip\": \"5.6.7.8\"}"),
        BadRecord(name: "ip is a number", kind: 30000, tags: [], content: "{\"ip\": 16909060}"),
        BadRecord(name: "ip is null", kind: 30000, tags: [], content: "{\"ip\": null}"),
        BadRecord(name: "ip is an array", kind: 30000, tags: [], content: "{\"ip\": [\"1.2.3.4\"]}"),
        BadRecord(name: "ip is an object", kind: 30000, tags: [], content: "{\"ip\": {\"v4\": \"1.2.3.4\"}}"),
        BadRecord(name: "IP in capitals", kind: 30000, tags: [], content: "{\"IP\": \"1.2.3.4\"}"),
        BadRecord(name: "address with leading zero", kind: 30000, tags: [], content: "{\"ip\": \"01.2.3.4\"}"),
        BadRecord(name: "address with spaces", kind: 30000, tags: [], content: "{\"ip\": \" 1.2.3.4\"}"),
        BadRecord(name: "address with a port", kind: 30000, tags: [], content: "{\"ip\": \"1.2.3.4:80\"}"),
        BadRecord(name: "host name", kind: 30000, tags: [], content: "{\"ip\": \"example.com\"}"),
        BadRecord(name: "escaped NUL in address", kind: 30000, tags: [], content: "{\"ip\": \"1.2.3.4\\u0000\"}"),
        BadRecord(name: "array", kind: 30000, tags: [], content: "[\"ip\", \"1.2.3.4\"]"),
        BadRecord(name: "bare string", kind: 30000, tags: [], content: "\"1.2.3.4\""),
        BadRecord(name: "bare address", kind: 30000, tags: [], content: "1.2.3.4"),
        BadRecord(name: "trailing bytes", kind: 30000, tags: [], content: "{\"ip\": \"1.2.3.4\"} x"),
        BadRecord(name: "two objects", kind: 30000, tags: [], content: "{\"ip\": \"1.2.3.4\"}{\"ip\": \"1.2.3.4\"}"),
        BadRecord(name: "unterminated", kind: 30000, tags: [], content: "{\"ip\": \"1.2.3.4\""),
        BadRecord(
            name: "huge content", kind: 30000, tags: [],
            content: "{\"ip\": \"1.2.3.4\"" + String(repeating: " ", count: 100_000) + "}"),
        BadRecord(name: "certificate with tags", kind: 30001, tags: [["d", "https"]], content: samplePEM),
        BadRecord(
            name: "NIP-51 bookmark list", kind: 30001, tags: [["d", "bookmark"], ["e", String(repeating: "ab", count: 32)]],
            content: ""),
        BadRecord(name: "certificate empty", kind: 30001, tags: [], content: ""),
        BadRecord(name: "certificate without END", kind: 30001, tags: [], content: "-----BEGIN CERTIFICATE-----\nMIIB\n"),
        BadRecord(name: "certificate without BEGIN", kind: 30001, tags: [], content: "MIIB\n-----END CERTIFICATE-----\n"),
        BadRecord(name: "boundaries only, overlapping", kind: 30001, tags: [], content: "-----BEGIN CERTIFICATE-----"),
        BadRecord(
            name: "private key", kind: 30001, tags: [],
            content: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"),
        BadRecord(name: "text before the certificate", kind: 30001, tags: [], content: "here:\n" + samplePEM),
        BadRecord(name: "address content in kind 30001", kind: 30001, tags: [], content: "{\"ip\": \"1.2.3.4\"}"),
        BadRecord(name: "certificate in kind 30000", kind: 30000, tags: [], content: samplePEM),
        BadRecord(name: "another kind", kind: 30002, tags: [], content: "{\"ip\": \"1.2.3.4\"}"),
        BadRecord(name: "kind 1", kind: 1, tags: [], content: "{\"ip\": \"1.2.3.4\"}"),
    ]

    @Test(arguments: notSeedShaped)
    func otherEventsOfTheseKindsAreNotRecords(_ m: BadRecord) {
        let e = signedRecord(kind: m.kind, tags: m.tags, content: m.content)
        #expect(errorCode { _ = try LegacyRecord(event: e) } == .recordShape)
    }
}
