import Testing

@testable import NostrCore

/// Which record set a question under `nostr.` names, and the answers the
/// responder writes (RFC 1035, RFC 2308, RFC 6698, RFC 8482).
@Suite struct NostrZoneTests {
    static let key = try! Hex.decode32(EventFixtures.pubkey3Hex)
    static let npub = NIP19.npub(key)

    func classify(_ text: String) -> NostrZoneName {
        DNSFixtures.flat(text).withUnsafeBytes { NostrZone.classify($0) }
    }

    func label(_ text: String) -> String? {
        let flat = DNSFixtures.flat(text)
        guard case .addresses(_, let n) = flat.withUnsafeBytes({ NostrZone.classify($0) }) else { return nil }
        return flat.withUnsafeBytes { NostrZone.labelText($0, labelLength: n) }
    }

    @Test func namesOfTheZone() {
        #expect(classify("nostr.") == .apex)
        #expect(classify("NOSTR") == .apex)
        #expect(classify(Self.npub + ".nostr") == .addresses(author: Self.key, labelLength: 0))
        #expect(classify(Self.npub.uppercased() + ".NoStR") == .addresses(author: Self.key, labelLength: 0))
        #expect(label("WWW." + Self.npub + ".nostr") == "www")
        #expect(label("a.B-c." + Self.npub + ".nostr") == "a.b-c")
        #expect(label(Self.npub + ".nostr") == "")
        #expect(classify("_443._tcp." + Self.npub + ".nostr") == .tlsa(author: Self.key, port: 443))
        #expect(classify("_65535._TCP." + Self.npub + ".nostr") == .tlsa(author: Self.key, port: 65535))
    }

    @Test func namesOutsideTheZone() {
        #expect(classify("example.com") == .outside)
        #expect(classify("nostr.example") == .outside)
        #expect(classify("xnostr") == .outside)
        #expect(classify(".") == .outside)
        #expect(classify(Self.npub + ".local") == .outside)
    }

    @Test func badChecksumWrongPrefixAndOddLabelsDoNotExist() {
        let flipped = String(Self.npub.dropLast()) + (Self.npub.last == "q" ? "p" : "q")
        #expect(classify(flipped + ".nostr") == .nonexistent)
        #expect(classify("nsec1" + Self.npub.dropFirst(5) + ".nostr") == .nonexistent)
        #expect(classify("npub1abc.nostr") == .nonexistent)
        #expect(classify("b@d." + Self.npub + ".nostr") == .nonexistent)
        // A mixed-case npub is invalid bech32 (BIP-173) but DNS may change
        // case (0x20 randomization): accepted, as NostrName does.
        let mixed = String(Self.npub.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })
        #expect(classify(mixed + ".nostr") == .addresses(author: Self.key, labelLength: 0))
    }

    @Test func labelMemoGivesTheSameTextsAsLabelText() {
        var memo = NostrZone.LabelMemo()
        for _ in 0..<2 {
            for i in 0..<600 {  // more labels than slots: collisions replace entries
                let text = "Label-Number-" + String(i) + ".Sub"
                let flat = DNSFixtures.flat(text + "." + Self.npub + ".nostr")
                guard case .addresses(_, let n) = flat.withUnsafeBytes({ NostrZone.classify($0) }) else {
                    Issue.record("not an address name"); return
                }
                let got = flat.withUnsafeBytes { memo.text($0, labelLength: n) }
                #expect(got == text.lowercased())
            }
        }
    }

    @Test func servicePortsOutOfRangeAreNotTLSA() {
        #expect(classify("_0._tcp." + Self.npub + ".nostr") == .addresses(author: Self.key, labelLength: 8))
        #expect(classify("_65536._tcp." + Self.npub + ".nostr") != .tlsa(author: Self.key, port: 0))
        #expect(classify("_0443._tcp." + Self.npub + ".nostr") != .tlsa(author: Self.key, port: 443))
        #expect(classify("_443._udp." + Self.npub + ".nostr") != .tlsa(author: Self.key, port: 443))
    }

    @Test func npubDecodingAgreesWithNIP19ForManyKeys() throws {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var bytes = [UInt8](repeating: 0, count: 32)
            for i in 0..<32 { bytes[i] = UInt8.random(in: 0...255, using: &g) }
            let k = try Bytes32(bytes)
            #expect(classify(NIP19.npub(k) + ".nostr") == .addresses(author: k, labelLength: 0))
        }
    }

    // MARK: The responder

    func respond(
        _ query: [UInt8], _ content: DNSResponder.Content, limit: Int = 512
    ) throws -> (DNSHeader, [(DNSSection, String, UInt16, UInt16, [UInt8])]) {
        var out = [UInt8](repeating: 0, count: 65535)
        let n: Int = query.withUnsafeBytes { q in
            out.withUnsafeMutableBytes { o in
                guard case .query(let parsed) = DNSResponder.parse(q) else { return 0 }
                return DNSResponder.answer(parsed, message: q, content: content, soa: .init(), into: o, limit: limit)
            }
        }
        let (h, items, _) = try DNSFixtures.readAll(Array(out[0..<n]))
        return (h, items)
    }

    @Test func addressAnswerPicksTheTypeAndEchoesTheQuestion() throws {
        let q = DNSFixtures.query("WwW.Example.NOSTR", type: DNSType.aaaa)
        let (h, items) = try respond(q, .addresses([.v4(0xC000_0201), .v6(0x2001_0DB8_0000_0000, 1)], ttl: 300))
        #expect(h.isResponse && h.isAuthoritative && h.rcode == 0 && h.id == 0x1234 && h.recursionDesired)
        #expect(items.count == 2 && items[0].1 == "WwW.Example.NOSTR." && items[1].1 == "WwW.Example.NOSTR.")
        #expect(items[1].2 == DNSType.aaaa && items[1].4 == [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1])
    }

    @Test func noDataAndNameErrorCarryTheSOA() throws {
        for (content, rcode) in [
            (DNSResponder.Content.noData, UInt8(0)), (.nameError, UInt8(3)),
            (.addresses([.v4(1)], ttl: 60), UInt8(0)),
        ] {
            let (h, items) = try respond(DNSFixtures.query("x.nostr", type: DNSType.txt), content)
            #expect(h.rcode == rcode && h.answerCount == 0 && h.authorityCount == 1 && h.isAuthoritative)
            #expect(items[1].0 == .authority && items[1].1 == "nostr." && items[1].2 == DNSType.soa)
        }
    }

    @Test func tlsaRecordsForThePortAsked() throws {
        let k = try Hex.decode32(String(repeating: "ab", count: 32))
        let keys = [
            CachedTLSKey(service: "https", port: 443, spkiSHA256: k),
            CachedTLSKey(service: "other", port: 8443, spkiSHA256: .zero),
        ]
        let (_, items) = try respond(DNSFixtures.query("_443._tcp.n.nostr", type: DNSType.tlsa), .tlsa(keys, port: 443, ttl: 60))
        #expect(items.count == 2 && items[1].2 == DNSType.tlsa && items[1].4 == [3, 1, 1] + k.bytes)
    }

    @Test func answersThatDoNotFitSetTC() throws {
        let many = (0..<60).map { IPAddress.v6(0x2001_0DB8_0000_0000, UInt64($0)) }
        let (h, items) = try respond(DNSFixtures.query("n.nostr", type: DNSType.aaaa), .addresses(many, ttl: 60), limit: 512)
        #expect(h.isTruncated && h.answerCount == 0 && items.count == 1)
        let (full, all) = try respond(DNSFixtures.query("n.nostr", type: DNSType.aaaa), .addresses(many, ttl: 60), limit: 65535)
        #expect(!full.isTruncated && all.count == 61)
    }

    @Test func ednsQueriesGetAnOPTAndBadVersionsBADVERS() throws {
        let opt: [UInt8] = [0x00, 0x00, 41, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00]  // 4096, DO
        var q = DNSFixtures.query("n.nostr") + opt
        q[11] = 1
        var out = [UInt8](repeating: 0, count: 4096)
        let n: Int = q.withUnsafeBytes { qp in
            out.withUnsafeMutableBytes { o in
                guard case .query(let parsed) = DNSResponder.parse(qp) else { return 0 }
                #expect(parsed.udpLimit == 1232)
                return DNSResponder.answer(parsed, message: qp, content: .noData, soa: .init(), into: o, limit: parsed.udpLimit)
            }
        }
        let (_, _, edns) = try DNSFixtures.readAll(Array(out[0..<n]))
        #expect(edns == DNSEDNS(udpPayloadSize: 1232, extendedRCode: 0, version: 0, dnssecOK: true))
        var v1 = q
        v1[q.count - 11 + 6] = 1  // version 1
        guard case .error(_, let rcode, _, _) = v1.withUnsafeBytes({ DNSResponder.parse($0) }) else { Issue.record("not refused"); return }
        #expect(rcode == DNSRCode.badVers)
    }

    @Test func malformedQueriesAreFORMERRAndResponsesDropped() {
        func parse(_ m: [UInt8]) -> DNSResponder.Parsed { m.withUnsafeBytes { DNSResponder.parse($0) } }
        guard case .drop = parse([0x12, 0x34]) else { Issue.record("short message answered"); return }
        var response = DNSFixtures.query("n.nostr")
        response[2] |= 0x80
        guard case .drop = parse(response) else { Issue.record("a response was answered"); return }
        guard case .error(_, let r1, _, _) = parse(DNSFixtures.header(qd: 2) + [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]), r1 == DNSRCode.formErr
        else { Issue.record("two questions accepted"); return }
        guard case .error(_, let r2, _, _) = parse(DNSFixtures.header() + [0xC0, 0x0C, 0, 1, 0, 1]), r2 == DNSRCode.formErr
        else { Issue.record("pointer loop accepted"); return }
        var notify = DNSFixtures.query("n.nostr")
        notify[2] = 4 << 3  // opcode NOTIFY
        guard case .error(_, let r3, _, _) = parse(notify), r3 == DNSRCode.notImp else { Issue.record("opcode accepted"); return }
    }
}
