import Testing

@testable import NostrCore

/// The `nostr.` zone's rules, as the DNS server, its fuzz target and these
/// tests drive them: `NostrZoneResponder` with a table for a cache
/// (RFC 1035, RFC 2308, RFC 6698, RFC 8020, RFC 8482).
@Suite struct NostrZoneResponderTests {
    static let key = NostrZoneTests.key
    static let npub = NostrZoneTests.npub
    static let name = npub + ".nostr"
    static let addressKey = ResolverKey.addresses(key, label: "")

    func harness(_ table: [ResolverKey: NostrZoneRecords] = [:]) -> ZoneHarness {
        var h = ZoneHarness()
        h.lookup.table = table
        return h
    }

    @Test func knownNameIsAnsweredFromTheLookupWithItsTTL() throws {
        var h = harness([Self.addressKey: .found(addresses: [.v4(0xC000_0201), .v6(0x2001_0DB8_0000_0000, 1)], tlsKeys: [], ttl: 300)])
        let a = try must(h.answer(DNSFixtures.query(Self.name)))
        #expect(a.header.rcode == 0 && a.header.isAuthoritative && a.header.answerCount == 1)
        #expect(a.items[1].2 == DNSType.a && a.items[1].4 == [192, 0, 2, 1])
        let any = try must(h.answer(DNSFixtures.query(Self.name, type: DNSType.any)))
        #expect(any.header.answerCount == 2)
        #expect(h.lookup.asked == [Self.addressKey, Self.addressKey])
    }

    @Test func unknownNameWaitsForItsLookup() {
        var h = harness()
        #expect(h.outcome(DNSFixtures.query("WWW." + Self.name)).0 == .wait(.addresses(Self.key, label: "www")))
        #expect(h.outcome(DNSFixtures.query("_443._tcp." + Self.name, type: DNSType.tlsa)).0 == .wait(.tlsKeys(Self.key)))
    }

    @Test func npubWithoutRecordIsNODATAButNamesBelowItAreNXDOMAIN() throws {
        // RFC 8020: NXDOMAIN for <npub>.nostr would deny www.<npub>.nostr too.
        var h = harness([Self.addressKey: .notFound(ttl: 30), .addresses(Self.key, label: "www"): .notFound(ttl: 3600)])
        let bare = try must(h.answer(DNSFixtures.query(Self.name)))
        #expect(bare.header.rcode == 0 && bare.header.answerCount == 0 && bare.header.authorityCount == 1)
        // RFC 2308 §5: the negative TTL is the smaller of the zone's and the lookup's.
        #expect(bare.items[1].2 == DNSType.soa && Array(bare.items[1].4.suffix(4)) == [0, 0, 0, 30])
        let below = try must(h.answer(DNSFixtures.query("www." + Self.name)))
        #expect(below.header.rcode == DNSRCode.nxDomainValue && Array(below.items[1].4.suffix(4)) == [0, 0, 0, 60])
    }

    @Test func otherTypesOfAKnownNameAreNODATA() throws {
        var h = harness([Self.addressKey: .found(addresses: [.v4(1)], tlsKeys: [], ttl: 60)])
        let txt = try must(h.answer(DNSFixtures.query(Self.name, type: DNSType.txt)))
        #expect(txt.header.rcode == 0 && txt.header.answerCount == 0 && txt.items[1].0 == .authority)
    }

    @Test func tlsaIsAnsweredOnlyForAPortWithAKey() throws {
        let spki = try Hex.decode32(String(repeating: "ab", count: 32))
        let keys = [CachedTLSKey(service: "https", port: 443, spkiSHA256: spki)]
        var h = harness([.tlsKeys(Self.key): .found(addresses: [], tlsKeys: keys, ttl: 60)])
        let ok = try must(h.answer(DNSFixtures.query("_443._tcp." + Self.name, type: DNSType.tlsa)))
        #expect(ok.header.answerCount == 1 && ok.items[1].4 == [3, 1, 1] + spki.bytes)
        let other = try must(h.answer(DNSFixtures.query("_8443._tcp." + Self.name, type: DNSType.tlsa)))
        #expect(other.header.rcode == DNSRCode.nxDomainValue)
    }

    @Test func apexIsTheSOAAndNeedsNoLookup() throws {
        var h = harness()
        let soa = try must(h.answer(DNSFixtures.query("nostr", type: DNSType.soa)))
        #expect(soa.header.answerCount == 1 && soa.items[1].2 == DNSType.soa)
        #expect(h.lookup.asked.isEmpty)
    }

    @Test func badNpubIsNXDOMAINWithoutALookup() throws {
        var h = harness()
        let a = try must(h.answer(DNSFixtures.query("npub1abc.nostr")))
        #expect(a.header.rcode == DNSRCode.nxDomainValue && h.lookup.asked.isEmpty)
    }

    @Test func namesOutsideTheZoneAreRefusedWithoutAnUpstreamAndForwardedWithOne() throws {
        var h = harness()
        let refused = try must(h.answer(DNSFixtures.query("example.com")))
        #expect(refused.header.rcode == UInt8(DNSRCode.refused))
        h.responder.forwardsOtherNames = true
        #expect(h.outcome(DNSFixtures.query("example.com")).0 == .forward)
        #expect(h.lookup.asked.isEmpty)
    }

    @Test func classesOtherThanINOrANYAreRefused() throws {
        var h = harness()
        let chaos = try must(h.answer(DNSFixtures.query(Self.name, rawClass: 3)))
        #expect(chaos.header.rcode == UInt8(DNSRCode.refused) && h.lookup.asked.isEmpty)
    }

    @Test func zoneTransfersAreRefused() throws {
        var h = harness()
        for type in [DNSType.axfr, DNSType.ixfr] {
            let a = try must(h.answer(DNSFixtures.query("nostr", type: type), tcp: true))
            #expect(a.header.rcode == UInt8(DNSRCode.refused))
        }
    }

    @Test func theLastNameMemoTellsNamesOfOneLengthApart() throws {
        // Two npubs of the same length, asked in turn: each gets its own records.
        let other = try Bytes32([UInt8](repeating: 0x42, count: 32))
        var h = harness([
            Self.addressKey: .found(addresses: [.v4(1)], tlsKeys: [], ttl: 60),
            .addresses(other, label: ""): .found(addresses: [.v4(2)], tlsKeys: [], ttl: 60),
        ])
        for _ in 0..<3 {
            let a = try must(h.answer(DNSFixtures.query(Self.name)))
            let b = try must(h.answer(DNSFixtures.query(NIP19.npub(other) + ".nostr")))
            #expect(a.items[1].4 == [0, 0, 0, 1] && b.items[1].4 == [0, 0, 0, 2])
        }
    }

    @Test func udpAnswersFitWhatTheClientTakesAndTCPAnswersDoNot() throws {
        let many = (0..<60).map { IPAddress.v6(0x2001_0DB8_0000_0000, UInt64($0)) }
        var h = harness([Self.addressKey: .found(addresses: many, tlsKeys: [], ttl: 60)])
        let udp = try must(h.answer(DNSFixtures.query(Self.name, type: DNSType.aaaa)))
        #expect(udp.header.isTruncated && udp.header.answerCount == 0)
        let tcp = try must(h.answer(DNSFixtures.query(Self.name, type: DNSType.aaaa), tcp: true))
        #expect(!tcp.header.isTruncated && tcp.header.answerCount == 60)
    }

    @Test func failureIsTheRcodeAloneWithTheQuestion() throws {
        let h = harness()
        var out = [UInt8](repeating: 0, count: 4096)
        let query = DNSFixtures.query(Self.name)
        let n = query.withUnsafeBytes { q in out.withUnsafeMutableBytes { h.responder.failure(to: q, rcode: DNSRCode.servFail, into: $0) } }
        let (header, items, _) = try DNSFixtures.readAll(Array(out[0..<n]))
        #expect(header.rcode == UInt8(DNSRCode.servFail) && header.id == 0x1234 && items.count == 1)
    }
}

extension DNSRCode {
    static var nxDomainValue: UInt8 { UInt8(nxDomain) }
}
