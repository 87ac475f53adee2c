import Testing

@testable import NostrCore

/// What a hostile client may send the DNS server, through the zone's
/// responder: nothing crashes it, nothing it answers exceeds the limit
/// of the transport, and what is not worth an answer gets none.
@Suite struct NostrZoneResponderAttackTests {
    static let name = NostrZoneTests.npub + ".nostr"

    func outcome(_ bytes: [UInt8], tcp: Bool = false) -> NostrZoneResponder.Outcome {
        var h = ZoneHarness()
        return h.outcome(bytes, tcp: tcp).0
    }

    func rcode(_ bytes: [UInt8]) -> UInt8? {
        var h = ZoneHarness()
        let (outcome, answer) = h.outcome(bytes)
        guard case .reply = outcome, let (header, _, _) = try? DNSFixtures.readAll(answer) else { return nil }
        return header.rcode
    }

    @Test func messageShorterThanAHeaderGetsNoAnswer() {
        #expect(outcome([]) == .drop)
        #expect(outcome([0x12, 0x34, 0x01]) == .drop)
    }

    @Test func responseIsNeverAnswered() {
        // Answering a response invites two servers to answer each other forever.
        var response = DNSFixtures.query(Self.name)
        response[2] |= 0x80
        #expect(outcome(response) == .drop)
    }

    @Test func pointerLoopInTheQuestionIsFORMERR() {
        #expect(rcode(DNSFixtures.header() + [0xC0, 0x0C, 0, 1, 0, 1]) == UInt8(DNSRCode.formErr))
    }

    @Test func twoQuestionsAreFORMERR() {
        #expect(rcode(DNSFixtures.header(qd: 2) + [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]) == UInt8(DNSRCode.formErr))
    }

    @Test func questionCountWithoutAQuestionIsFORMERR() {
        #expect(rcode(DNSFixtures.header(qd: 1)) == UInt8(DNSRCode.formErr))
    }

    @Test func unknownOpcodeIsNOTIMP() {
        var update = DNSFixtures.query(Self.name)
        update[2] = 5 << 3  // opcode UPDATE
        #expect(rcode(update) == UInt8(DNSRCode.notImp))
    }

    @Test func ednsVersionOneIsBADVERSInTheExtendedRcode() throws {
        let opt: [UInt8] = [0x00, 0x00, 41, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]  // version 1
        var q = DNSFixtures.query(Self.name) + opt
        q[11] = 1
        var h = ZoneHarness()
        let (outcome, answer) = h.outcome(q)
        guard case .reply = outcome else { Issue.record("no answer"); return }
        let (_, _, edns) = try DNSFixtures.readAll(answer)
        #expect(edns?.extendedRCode == UInt8(DNSRCode.badVers >> 4))
    }

    @Test func recordCountLargerThanTheMessageIsFORMERR() {
        let q = DNSFixtures.header(ar: 1) + DNSFixtures.flat(Self.name) + DNSFixtures.be16(DNSType.a) + DNSFixtures.be16(DNSClass.in)
        #expect(rcode(q) == UInt8(DNSRCode.formErr))
    }

    @Test func randomMutationsNeverCrashAndAnswersStayWithinTheLimit() throws {
        var g = SystemRandomNumberGenerator()
        let seeds = [
            DNSFixtures.query(Self.name), DNSFixtures.query("_443._tcp." + Self.name, type: DNSType.tlsa),
            DNSFixtures.query("www." + Self.name, type: DNSType.any), DNSFixtures.query("nostr", type: DNSType.soa),
        ]
        var h = ZoneHarness()
        h.lookup.table[.addresses(NostrZoneTests.key, label: "")] = .found(addresses: [.v4(1)], tlsKeys: [], ttl: 60)
        for i in 0..<4000 {
            var m = seeds[i % seeds.count]
            for _ in 0..<(1 + i % 4) { m[Int.random(in: 0..<m.count, using: &g)] = UInt8.random(in: 0...255, using: &g) }
            if i % 7 == 0 { m = Array(m.prefix(Int.random(in: 0...m.count, using: &g))) }
            let tcp = i % 2 == 0
            let (outcome, answer) = h.outcome(m, tcp: tcp, buffer: tcp ? 65535 : 4096)
            guard case .reply(let n) = outcome else { continue }
            #expect(n >= DNSLimits.headerSize && n <= (tcp ? 65535 : 1232))
            #expect(throws: Never.self) { _ = try DNSFixtures.readAll(answer) }
        }
    }
}
