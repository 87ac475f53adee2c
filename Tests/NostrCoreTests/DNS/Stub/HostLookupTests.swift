import Testing

@testable import NostrCore

/// Answers built byte by byte for `HostLookup`'s queries.
enum LookupFixtures {
    typealias F = DNSFixtures

    struct RR {
        var name: [UInt8]
        var type: UInt16
        var ttl: UInt32
        var rdata: [UInt8]
        init(_ name: String, _ type: UInt16, ttl: UInt32 = 300, _ rdata: [UInt8]) {
            self.name = F.flat(name)
            self.type = type
            self.ttl = ttl
            self.rdata = rdata
        }
        var bytes: [UInt8] {
            name + F.be16(type) + F.be16(DNSClass.in) + F.be16(UInt16(ttl >> 16)) + F.be16(UInt16(ttl & 0xFFFF))
                + F.be16(UInt16(rdata.count)) + rdata
        }
    }

    static func a(_ name: String, _ b: [UInt8], ttl: UInt32 = 300) -> RR { RR(name, DNSType.a, ttl: ttl, b) }
    static func aaaa(_ name: String, _ last: UInt8, ttl: UInt32 = 300) -> RR {
        RR(name, DNSType.aaaa, ttl: ttl, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [last])
    }
    static func cname(_ name: String, _ target: String, ttl: UInt32 = 300) -> RR { RR(name, DNSType.cname, ttl: ttl, F.flat(target)) }

    /// A response to `query` (its ID and question) with `rcode` and `answers`.
    static func answer(
        _ query: [UInt8], rcode: UInt16 = 0, tc: Bool = false, id: UInt16? = nil,
        _ answers: [RR] = []
    ) -> [UInt8] {
        let qid = id ?? (UInt16(query[0]) << 8 | UInt16(query[1]))
        let flags: UInt16 = 0x8180 | (tc ? 0x0200 : 0) | rcode
        return F.header(id: qid, flags: flags, qd: 1, an: UInt16(answers.count)) + Array(query[12...])
            + answers.flatMap { $0.bytes }
    }

    static func config(_ servers: [String], timeout: Int = 5, attempts: Int = 2) -> ResolvConf {
        var c = ResolvConf()
        c.servers = servers.map { ResolvConf.Server(address: try! IPAddress(parsing: $0)) }
        c.timeoutSeconds = timeout
        c.attempts = attempts
        return c
    }

    static func started(
        _ host: String = "relay.example.com", servers: [String] = ["192.0.2.53"],
        timeout: Int = 5, attempts: Int = 2
    ) -> HostLookup {
        var l = try! HostLookup(host: host, config: config(servers, timeout: timeout, attempts: attempts))
        #expect(l.next(now: 0, random: 0xBEEF_1234) == .send(server: 0))
        return l
    }

    @discardableResult
    static func feed(_ l: inout HostLookup, _ message: [UInt8]) -> HostLookupReceipt {
        message.withUnsafeBytes { l.receive($0) }
    }

    static func ip(_ text: String) -> IPAddress { try! IPAddress(parsing: text) }
}

@Suite struct HostLookupTests {
    typealias L = LookupFixtures
    typealias F = DNSFixtures

    @Test func queriesAskForAAndAAAAWithRecursionDesiredAndTheCallersRandomIDs() throws {
        let l = L.started()
        #expect(l.queries.count == 2)
        let (h0, items0, edns0) = try F.readAll(l.queries[0])
        let (h1, items1, _) = try F.readAll(l.queries[1])
        #expect(h0.id == 0x1234 && h1.id == 0xBEEF)
        #expect(h0.recursionDesired && !h0.isResponse && h0.opcode == 0 && h0.questionCount == 1)
        #expect(items0.count == 1 && items0[0].1 == "relay.example.com." && items0[0].2 == DNSType.a && items0[0].3 == DNSClass.in)
        #expect(items1.count == 1 && items1[0].2 == DNSType.aaaa)
        #expect(edns0 == nil)
    }

    @Test func equalRandomHalvesStillGiveTwoDifferentIDs() {
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.53"]))
        _ = l.next(now: 0, random: 0x4242_4242)
        #expect(l.queries[0][0...1] != l.queries[1][0...1])
    }

    @Test func answersForBothTypesGiveIPv4FirstAndTheSmallestTTL() {
        var l = L.started()
        #expect(L.feed(&l, L.answer(l.queries[1], [L.aaaa("relay.example.com", 1, ttl: 60)])) == .accepted)
        #expect(l.next(now: 10, random: 0) == .wait(until: 5000))
        #expect(
            L.feed(
                &l,
                L.answer(
                    l.queries[0],
                    [
                        L.a("relay.example.com", [192, 0, 2, 7], ttl: 300),
                        L.a("relay.example.com", [192, 0, 2, 8], ttl: 30),
                    ])) == .accepted)
        #expect(l.next(now: 20, random: 0) == .done(.addresses([L.ip("192.0.2.7"), L.ip("192.0.2.8"), L.ip("2001:db8::1")], ttl: 30)))
    }

    @Test func cnameChainInsideTheAnswerIsFollowed() {
        var l = L.started()
        L.feed(
            &l,
            L.answer(
                l.queries[0],
                [
                    L.cname("relay.example.com", "edge.cdn.test", ttl: 20),
                    L.cname("edge.cdn.test", "node7.cdn.test"),
                    L.a("node7.cdn.test", [198, 51, 100, 7]),
                ]))
        L.feed(&l, L.answer(l.queries[1], [L.cname("relay.example.com", "edge.cdn.test")]))
        #expect(l.next(now: 1, random: 0) == .done(.addresses([L.ip("198.51.100.7")], ttl: 20)))
    }

    @Test func namesCompareWithoutRegardToCase() {
        var l = L.started("Relay.Example.COM")
        var q = l.queries[0]
        q[13] = UInt8(ascii: "r")  // the server echoes another case
        L.feed(&l, L.answer(q, [L.a("RELAY.example.com", [192, 0, 2, 9])]))
        L.feed(&l, L.answer(l.queries[1]))
        #expect(l.next(now: 1, random: 0) == .done(.addresses([L.ip("192.0.2.9")], ttl: 300)))
    }

    @Test func nxdomainForBothTypesIsNoAddress() {
        var l = L.started()
        L.feed(&l, L.answer(l.queries[0], rcode: DNSRCode.nxDomain))
        #expect(l.next(now: 1, random: 0) == .wait(until: 5000))
        L.feed(&l, L.answer(l.queries[1], rcode: DNSRCode.nxDomain))
        guard case .done(.noAddress(let why)) = l.next(now: 2, random: 0) else {
            Issue.record("expected no address")
            return
        }
        #expect(why.contains("NXDOMAIN"))
    }

    @Test func nodataForBothTypesIsNoAddress() {
        var l = L.started()
        L.feed(&l, L.answer(l.queries[0]))
        L.feed(&l, L.answer(l.queries[1]))
        #expect(l.next(now: 1, random: 0) == .done(.noAddress("no A or AAAA record")))
    }

    @Test func servfailRefusedFormerrAndTruncationMoveOnToTheNextServer() {
        for (rcode, tc, text) in [
            (DNSRCode.servFail, false, "SERVFAIL"), (DNSRCode.refused, false, "REFUSED"),
            (DNSRCode.formErr, false, "FORMERR"), (DNSRCode.noError, true, "truncated"),
        ] {
            var l = L.started(servers: ["192.0.2.1", "192.0.2.2"], attempts: 1)
            #expect(L.feed(&l, L.answer(l.queries[0], rcode: rcode, tc: tc)) == .accepted)
            #expect(l.next(now: 100, random: 7) == .send(server: 1))
            #expect(l.next(now: 101, random: 7) == .wait(until: 5100))
            L.feed(&l, L.answer(l.queries[0], rcode: rcode, tc: tc))
            guard case .done(.failed(let why)) = l.next(now: 200, random: 7) else {
                Issue.record("expected failure after the last server")
                continue
            }
            #expect(why.contains(text) && why.contains("192.0.2.2"))
        }
    }

    @Test func silentServersAreRetriedWithGlibcTimeouts() {
        // res_send: round 0 gives each server `timeout`, round 1 `timeout << 1 / nscount`.
        var l = L.started(servers: ["192.0.2.1", "192.0.2.2", "192.0.2.3"], timeout: 5, attempts: 2)
        var now: Int64 = 0
        var asked: [Int] = [0]
        var waits: [Int64] = []
        while true {
            switch l.next(now: now, random: UInt32(now)) {
            case .wait(let until):
                waits.append(until - now)
                now = until
            case .send(let s):
                asked.append(s)
            case .done(let r):
                #expect(r == .failed("no answer from 192.0.2.3"))
                #expect(asked == [0, 1, 2, 0, 1, 2])
                #expect(waits == [5000, 5000, 5000, 3000, 3000, 3000])
                #expect(now == 24_000)
                return
            }
        }
    }

    @Test func oneTypeAnsweredBeforeTheTimeoutIsTaken() {
        var l = L.started()
        L.feed(&l, L.answer(l.queries[0], [L.a("relay.example.com", [192, 0, 2, 5])]))
        #expect(l.next(now: 4999, random: 0) == .wait(until: 5000))
        #expect(l.next(now: 5000, random: 0) == .done(.addresses([L.ip("192.0.2.5")], ttl: 300)))
    }

    @Test func unreachableServerMovesOnAndItsReasonIsKept() {
        var l = L.started(servers: ["192.0.2.1"], attempts: 1)
        l.serverFailed("192.0.2.1:53: port unreachable")
        #expect(l.next(now: 1, random: 0) == .done(.failed("192.0.2.1:53: port unreachable")))
    }

    @Test func rotateStartsAtAnotherServer() {
        var c = L.config(["192.0.2.1", "192.0.2.2", "192.0.2.3"])
        c.rotate = true
        var l = try! HostLookup(host: "relay.example.com", config: c, rotateStart: 4)
        #expect(l.next(now: 0, random: 1) == .send(server: 1))
    }

    @Test func namesThatCannotBeDNSNamesAreRefused() {
        for bad in ["", ".", "a..b", String(repeating: "x", count: 64) + ".com"] {
            #expect(throws: NostrError.self) { _ = try HostLookup(host: bad, config: ResolvConf()) }
        }
    }
}

/// Forged and broken answers: each must be dropped without ending the
/// lookup or giving it an address.
@Suite struct HostLookupAttackTests {
    typealias L = LookupFixtures
    typealias F = DNSFixtures

    func stillWaiting(_ l: inout HostLookup) -> Bool { l.next(now: 1, random: 0) == .wait(until: 5000) }

    @Test func wrongIDIsIgnored() {
        var l = L.started()
        #expect(L.feed(&l, L.answer(l.queries[0], id: 0x1235, [L.a("relay.example.com", [6, 6, 6, 6])])) == .ignored("wrong ID"))
        #expect(stillWaiting(&l))
    }

    @Test func idOfTheOtherQueryWithThisQuestionIsIgnored() {
        var l = L.started()
        // The AAAA query's ID on the A question.
        #expect(L.feed(&l, L.answer(l.queries[0], id: 0xBEEF, [L.a("relay.example.com", [6, 6, 6, 6])])) == .ignored("wrong question"))
        #expect(stillWaiting(&l))
    }

    @Test func wrongQuestionIsIgnored() {
        var l = L.started()
        let other = F.query("evil.example.com", id: 0x1234)
        #expect(L.feed(&l, L.answer(other, [L.a("evil.example.com", [6, 6, 6, 6])])) == .ignored("wrong question"))
        #expect(stillWaiting(&l))
    }

    @Test func queryEchoedWithoutQRIsIgnored() {
        var l = L.started()
        #expect(L.feed(&l, l.queries[0]) == .ignored("not a response"))
        #expect(stillWaiting(&l))
    }

    @Test func twoQuestionsAreIgnored() {
        var l = L.started()
        var m = L.answer(l.queries[0])
        m[5] = 2
        m += Array(l.queries[0][12...])
        #expect(L.feed(&l, m) == .ignored("not one question"))
        #expect(stillWaiting(&l))
    }

    @Test func answerForAnotherNameNotReachedByTheCNAMEChainIsIgnored() {
        var l = L.started()
        L.feed(
            &l,
            L.answer(
                l.queries[0],
                [
                    L.cname("relay.example.com", "edge.cdn.test"),
                    L.a("bank.example.net", [6, 6, 6, 6]),
                    L.a("edge.cdn.test", [192, 0, 2, 44]),
                ]))
        L.feed(&l, L.answer(l.queries[1], [L.aaaa("victim.example.org", 6)]))
        #expect(l.next(now: 1, random: 0) == .done(.addresses([L.ip("192.0.2.44")], ttl: 300)))
    }

    @Test func cnameLoopEndsWithoutAddresses() {
        var l = L.started()
        L.feed(
            &l,
            L.answer(
                l.queries[0],
                [
                    L.cname("relay.example.com", "a.loop.test"),
                    L.cname("a.loop.test", "b.loop.test"),
                    L.cname("b.loop.test", "relay.example.com"),
                ]))
        L.feed(&l, L.answer(l.queries[1], [L.cname("relay.example.com", "relay.example.com")]))
        #expect(l.next(now: 1, random: 0) == .done(.noAddress("no A or AAAA record")))
    }

    @Test func longCNAMEChainStopsAtItsLimit() {
        var l = L.started()
        var records = [L.cname("relay.example.com", "c1.test")]
        for k in 1..<20 { records.append(L.cname("c\(k).test", "c\(k + 1).test")) }
        records.append(L.a("c20.test", [6, 6, 6, 6]))
        L.feed(&l, L.answer(l.queries[0], records))
        L.feed(&l, L.answer(l.queries[1]))
        #expect(l.next(now: 1, random: 0) == .done(.noAddress("no A or AAAA record")))
    }

    @Test func truncatedMessageIsIgnored() {
        var l = L.started()
        let full = L.answer(l.queries[0], [L.a("relay.example.com", [192, 0, 2, 1])])
        for n in [0, 5, 11, full.count - 1, full.count - 5] {
            guard case .ignored = L.feed(&l, Array(full[0..<n])) else {
                Issue.record("a message cut at \(n) was taken")
                continue
            }
        }
        #expect(stillWaiting(&l))
    }

    @Test func pointerLoopInAnswerIsIgnored() {
        var l = L.started()
        var m = L.answer(l.queries[0], [L.a("relay.example.com", [192, 0, 2, 1])])
        // The answer's owner name (right after the question) becomes a pointer to itself.
        let owner = l.queries[0].count
        m.replaceSubrange(owner..<(owner + F.flat("relay.example.com").count), with: [0xC0 | UInt8(owner >> 8), UInt8(owner & 0xFF)])
        #expect(L.feed(&l, m) == .ignored(NostrError(.dnsPointer, at: owner).reason))
        #expect(stillWaiting(&l))
    }

    @Test func addressOfTheWrongLengthIsSkipped() {
        var l = L.started()
        L.feed(
            &l,
            L.answer(
                l.queries[0],
                [
                    L.RR("relay.example.com", DNSType.a, [192, 0, 2, 1, 9]),
                    L.a("relay.example.com", [192, 0, 2, 2]),
                ]))
        L.feed(&l, L.answer(l.queries[1], [L.RR("relay.example.com", DNSType.aaaa, [1, 2, 3, 4])]))
        #expect(l.next(now: 1, random: 0) == .done(.addresses([L.ip("192.0.2.2")], ttl: 300)))
    }

    @Test func secondAnswerToTheSameQueryIsIgnored() {
        var l = L.started()
        #expect(L.feed(&l, L.answer(l.queries[0])) == .accepted)
        #expect(L.feed(&l, L.answer(l.queries[0], [L.a("relay.example.com", [6, 6, 6, 6])])) == .ignored("already answered"))
        L.feed(&l, L.answer(l.queries[1]))
        #expect(l.next(now: 1, random: 0) == .done(.noAddress("no A or AAAA record")))
    }

    @Test func answerToAnEarlierServersQueryIsIgnored() {
        var l = L.started(servers: ["192.0.2.1", "192.0.2.2"])
        let old = l.queries[0]
        #expect(l.next(now: 5000, random: 0x0101_0202) == .send(server: 1))
        #expect(L.feed(&l, L.answer(old, [L.a("relay.example.com", [6, 6, 6, 6])])) == .ignored("wrong ID"))
    }
}

@Suite struct ResolvConfTests {
    func conf(_ text: String) -> ResolvConf { ResolvConf(parsing: Array(text.utf8)) }
    func ip(_ t: String) -> IPAddress { try! IPAddress(parsing: t) }

    @Test func atMostThreeNameserversAreTakenAsGlibcDoes() {
        let c = conf("nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver\t2001:db8::53\nnameserver 192.0.2.4\n")
        #expect(c.servers.map { $0.address } == [ip("192.0.2.1"), ip("192.0.2.2"), ip("2001:db8::53")])
        #expect(c.timeoutSeconds == 5 && c.attempts == 2 && !c.rotate)
    }

    @Test func ipv6ZoneIsKept() {
        let c = conf("nameserver fe80::1%eth0\n")
        #expect(c.servers == [ResolvConf.Server(address: ip("fe80::1"), zone: "eth0")])
    }

    @Test func noNameserverMeansTheLocalOne() {
        #expect(conf("").servers.map { $0.address } == [ip("127.0.0.1")])
        #expect(conf("search example.com\nnameserver not-an-address\n").servers.map { $0.address } == [ip("127.0.0.1")])
    }

    @Test func optionsAreReadAndCappedAsGlibcCapsThem() {
        let c = conf("options ndots:2 timeout:1 attempts:3 rotate\n")
        #expect(c.timeoutSeconds == 1 && c.attempts == 3 && c.rotate)
        let big = conf("options timeout:99 attempts:99999999999999\n")
        #expect(big.timeoutSeconds == 30 && big.attempts == 5)
    }

    @Test func commentsSearchDomainAndCarriageReturnsAreIgnored() {
        let c = conf(
            "# generated\n; old style\nsearch lan\ndomain lan\r\nnameserver 192.0.2.9 # isp\r\n#nameserver 192.0.2.10\nnameservers 192.0.2.11\n"
        )
        #expect(c.servers.map { $0.address } == [ip("192.0.2.9")])
    }
}

@Suite struct HostsFileTests {
    let file = Array(
        """
        127.0.0.1\tlocalhost
        ::1     localhost ip6-localhost ip6-loopback
        # 192.0.2.66 relay.home
        192.0.2.7   Relay.Home   nostr   # the relay on the NAS
        fe80::1%eth0 relay.home
        not-an-address relay.home
        192.0.2.8 relay.home
        """.utf8)

    @Test func namesAndAliasesMatchWithoutRegardToCase() {
        #expect(HostsFile.addresses(of: "LOCALHOST", in: file) == [.v4(0x7F00_0001), .v6(0, 1)])
        #expect(HostsFile.addresses(of: "relay.home.", in: file) == [.v4(0xC000_0207), .v4(0xC000_0208)])
        #expect(HostsFile.addresses(of: "nostr", in: file) == [.v4(0xC000_0207)])
    }

    @Test func commentedLinesAndUnknownNamesGiveNothing() {
        #expect(HostsFile.addresses(of: "the", in: file).isEmpty)
        #expect(HostsFile.addresses(of: "relay", in: file).isEmpty)
        #expect(HostsFile.addresses(of: "", in: file).isEmpty)
    }
}
