import Testing

@testable import NostrCore

/// Issue 16 item 5, sans-IO: who may use the upstream (`ForwardPolicy`,
/// `AddressPrefix`), RD required (`NostrZoneResponder`), answers cut to
/// header and question (`DNSTruncation`), and the response rate limit
/// (`ResponseRateLimit`) that keeps the zone from being an amplifier.
@Suite struct ForwarderAbuseTests {
    static func ip(_ t: String) -> IPAddress { try! IPAddress(parsing: t) }

    // MARK: AddressPrefix

    @Test func prefixesParseClearHostBitsAndContainTheirAddresses() throws {
        let p = try AddressPrefix(parsing: "192.168.1.77/24")
        #expect(p.text == "192.168.1.0/24")
        #expect(p.contains(Self.ip("192.168.1.0")) && p.contains(Self.ip("192.168.1.255")))
        #expect(!p.contains(Self.ip("192.168.2.0")) && !p.contains(Self.ip("192.168.0.255")))
        #expect(!p.contains(Self.ip("::ffff:192.168.1.1")))  // another family
        let six = try AddressPrefix(parsing: "fd00:1:2:3::/56")
        #expect(six.contains(Self.ip("fd00:1:2:ff::1")) && !six.contains(Self.ip("fd00:1:2:100::1")))
        #expect(try AddressPrefix(parsing: "10.0.0.1").text == "10.0.0.1/32")
        #expect(try AddressPrefix(parsing: "0.0.0.0/0").contains(Self.ip("8.8.8.8")))
        #expect(try AddressPrefix(parsing: "::/0").contains(Self.ip("2001:db8::1")))
        #expect(try AddressPrefix(parsing: "2001:db8::/128").contains(Self.ip("2001:db8::")))
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "nonsense", "10.0.0.0/0008"] {
            #expect(throws: NostrError.self, "\(bad)") { try AddressPrefix(parsing: bad) }
        }
    }

    // MARK: ForwardPolicy

    @Test func anOpenResolverProbeFromAnotherNetworkIsNotForwarded() throws {
        let policy = ForwardPolicy(allowed: [try AddressPrefix(parsing: "192.168.1.0/24")])
        #expect(!policy.allows(Self.ip("203.0.113.9")))
        #expect(!policy.allows(Self.ip("192.168.2.1")))
        #expect(!policy.allows(Self.ip("2001:db8::1")))
        #expect(policy.allows(Self.ip("192.168.1.20")))
        #expect(policy.allows(Self.ip("::ffff:192.168.1.20")))  // a dual-stack socket's IPv4 client
        // Loopback always, in every form.
        #expect(ForwardPolicy().allows(Self.ip("127.0.0.1")) && ForwardPolicy().allows(Self.ip("::1")))
        #expect(ForwardPolicy().allows(Self.ip("::ffff:127.0.0.1")))
        #expect(!ForwardPolicy().allows(Self.ip("10.0.0.1")))
    }

    // MARK: RD

    struct NoLookup: NostrZoneLookup {
        mutating func records(_ key: ResolverKey, now: Int64) -> NostrZoneRecords { .pending }
    }

    static func query(_ name: String, rd: Bool) -> [UInt8] {
        var q: [UInt8] = [0x12, 0x34, rd ? 0x01 : 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            q.append(UInt8(label.utf8.count))
            q += Array(label.utf8)
        }
        q += [0, 0, 1, 0, 1]
        return q
    }

    @Test func aQueryWithoutRecursionDesiredIsRefusedNotForwarded() {
        var zone = NostrZoneResponder(soa: .init(), forwardsOtherNames: true)
        var lookup = NoLookup()
        var out = [UInt8](repeating: 0, count: 512)
        let withRD = Self.query("example.com", rd: true)
        let o1 = withRD.withUnsafeBytes { q in
            out.withUnsafeMutableBytes { zone.respond(to: q, overTCP: false, into: $0, now: 0, lookup: &lookup) }
        }
        #expect(o1 == .forward)
        let noRD = Self.query("example.com", rd: false)
        let o2 = noRD.withUnsafeBytes { q in
            out.withUnsafeMutableBytes { zone.respond(to: q, overTCP: false, into: $0, now: 0, lookup: &lookup) }
        }
        guard case .reply(let n) = o2 else { Issue.record("not answered: \(o2)"); return }
        #expect(n == noRD.count && out[3] & 0x0F == UInt8(DNSRCode.refused) && out[2] & 0x80 == 0x80)
    }

    // MARK: DNSTruncation

    @Test func aLargeAnswerIsCutToItsQuestionWithTC() {
        // A response: the question, then 100 TXT-ish bytes of answers.
        var m = Self.query("big.example", rd: true)
        m[2] |= 0x80
        m[7] = 3  // ANCOUNT
        m[11] = 1  // ARCOUNT
        let questionEnd = m.count
        m += [UInt8](repeating: 0xAB, count: 3000)
        let n = m.withUnsafeMutableBytes { DNSTruncation.questionOnly($0, length: $0.count) }
        #expect(n == questionEnd)
        #expect(m[2] & 0x02 == 0x02 && m[2] & 0x80 == 0x80)  // TC, still a response
        #expect(Array(m[4..<12]) == [0, 1, 0, 0, 0, 0, 0, 0])
        // Garbage is not worth sending.
        var junk: [UInt8] = [0, 0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 1, 2]
        #expect(junk.withUnsafeMutableBytes { DNSTruncation.questionOnly($0, length: $0.count) } == 0)
        var noQuestion: [UInt8] = [0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(noQuestion.withUnsafeMutableBytes { DNSTruncation.questionOnly($0, length: $0.count) } == 0)
    }

    // MARK: ResponseRateLimit

    @Test func aReflectionBurstAtOneVictimIsBoundedWithEverySecondExcessAnswerSlipped() {
        var rrl = ResponseRateLimit(responsesPerSecond: 20)
        let victim = Self.ip("198.51.100.7")
        var sent = 0, slipped = 0, dropped = 0
        for _ in 0..<1000 {
            switch rrl.admit(victim, now: 5_000) {
            case .send: sent += 1
            case .slip: slipped += 1
            case .drop: dropped += 1
            }
        }
        #expect(sent == 20 && slipped == 490 && dropped == 490)
        // Its /24 neighbours share the budget (one spoofer, many sources).
        #expect(rrl.admit(Self.ip("198.51.100.200"), now: 5_000) != .send)
        // Another network is still answered.
        #expect(rrl.admit(Self.ip("203.0.113.7"), now: 5_000) == .send)
        // The budget comes back with time: 20 per second.
        #expect(rrl.admit(victim, now: 5_050) == .send)
        #expect(rrl.admit(victim, now: 5_050) != .send)
        var later = 0
        for _ in 0..<100 where rrl.admit(victim, now: 6_100) == .send { later += 1 }
        #expect(later == 20)
    }

    @Test func ipv6ClientsAreCountedPerSlash56AndLoopbackIsNeverLimited() {
        var rrl = ResponseRateLimit(responsesPerSecond: 5)
        for _ in 0..<5 { #expect(rrl.admit(Self.ip("2001:db8:0:100::1"), now: 0) == .send) }
        #expect(rrl.admit(Self.ip("2001:db8:0:1ff::2"), now: 0) != .send)  // same /56
        #expect(rrl.admit(Self.ip("2001:db8:0:200::1"), now: 0) == .send)  // next /56
        for _ in 0..<1000 {
            #expect(rrl.admit(Self.ip("127.0.0.1"), now: 0) == .send)
            #expect(rrl.admit(Self.ip("::1"), now: 0) == .send)
        }
        var off = ResponseRateLimit(responsesPerSecond: 0)
        for _ in 0..<100 { #expect(off.admit(Self.ip("203.0.113.1"), now: 0) == .send) }
    }

    @Test func aFloodOfSpoofedNetworksKeepsTheTableBounded() {
        var rrl = ResponseRateLimit(responsesPerSecond: 10, capacity: 64)
        for i in 0..<100_000 {
            _ = rrl.admit(.v4(UInt32(0x0B00_0000 + i << 8)), now: Int64(i))
        }
        #expect(rrl.slots.count == 64)
        // A network seen now still gets its answers.
        #expect(rrl.admit(Self.ip("203.0.113.7"), now: 200_000) == .send)
    }
}
