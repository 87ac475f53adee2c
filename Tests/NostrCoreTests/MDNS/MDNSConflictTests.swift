import Testing

@testable import NostrCore

/// Attacks on the own name through RFC 6762 §9 conflicts, §6.6 stale
/// copies and §8 probes, with injected time: whatever a host on the link
/// sends, `<own npub>.local` keeps being answered with this host's
/// addresses, the defence it costs (announcements) and the log lines it
/// earns stay bounded, and nothing changes what is answered for another npub.
@Suite struct MDNSConflictTests {
    typealias T = MDNSResponderTests
    static let own = T.ownKey
    /// The host's address (`T.eth`): 192.168.1.2.
    static let ours: [UInt8] = [192, 168, 1, 2]
    static let spoofer = IPAddress.v4(0xC0A8_0166)  // 192.168.1.102, on the link

    /// A response, as a spoofer sends it, with one record of `key`'s name:
    /// an A record with `rdata` (cache-flush unless `flush` is false), or an
    /// NSEC (cache-flush) listing `nsecTypes`.
    static func spoofed(
        _ key: Bytes32 = own, a rdata: [UInt8] = [10, 0, 0, 9], ttl: UInt32 = 120, flush: Bool = true,
        nsecTypes: [UInt16]? = nil
    ) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { b -> Int in
            var w = DNSMessageWriter(buffer: b, limit: 512)
            w.header.isResponse = true
            w.header.isAuthoritative = true
            let owner = DNSFixtures.flat(T.name(key))
            let rawClass = flush ? DNSClass.in | DNSClass.topBit : DNSClass.in
            owner.withUnsafeBytes { f in
                if let nsecTypes {
                    try! w.appendNSEC(.answer, name: f, rawClass: rawClass, ttl: ttl, types: DNSTypeBitmap(nsecTypes))
                } else {
                    rdata.withUnsafeBytes {
                        try! w.appendRecord(.answer, name: f, type: DNSType.a, rawClass: rawClass, ttl: ttl, rdata: $0)
                    }
                }
            }
            return w.finish()
        }
        return Array(buffer[0..<n])
    }

    /// The A addresses for the own name in a packet's Answer Section.
    static func ownAddresses(_ bytes: [UInt8], key: Bytes32 = own) throws -> [[UInt8]] {
        let (_, items) = try T.records(bytes)
        return items.filter { $0.0 == .answer && $0.2 == DNSType.a && $0.1.lowercased() == T.name(key) + "." }.map { $0.4 }
    }

    /// A legacy unicast query for the own name at `now`: the addresses answered.
    static func ask(_ r: inout MDNSResponder, now: Int64, key: Bytes32 = own) throws -> [[UInt8]] {
        let (_, sent) = T.handle(&r, T.query(key, id: 7), port: 40000, now: now, lookup: T.cached)
        return try sent.flatMap { try ownAddresses($0.bytes, key: key) }
    }

    static func isAnnouncement(_ s: T.Sent) -> Bool {
        (try? T.records(s.bytes).0.isResponse) == true && s.destination.address == .v4(0xE000_00FB)
    }

    // MARK: the attack

    @Test func attackSpoofedConflictEvery4_5SecondsNeverSilencesTheOwnNpub() throws {
        var (r, _) = T.claimed()
        var announcements = 0, logged = 0, conflicts = 0
        var t: Int64 = 10_000
        // Ten minutes of one spoofed answer every 4.5 s, the responder's
        // timers running every 50 ms, a querier asking every 0.5 s.
        let end: Int64 = t + 600_000
        var nextSpoof = t, nextQuery = t + 100
        while t < end {
            if t >= nextSpoof {
                let (o, sent) = T.handle(&r, Self.spoofed(), from: Self.spoofer, now: t)
                #expect(o.conflict && sent.isEmpty)
                conflicts += 1
                if o.logConflict != nil { logged += 1 }
                nextSpoof += 4500
            }
            if t >= nextQuery {
                #expect(try Self.ask(&r, now: t) == [Self.ours], "unanswered at t = \(t)")
                nextQuery += 500
            }
            announcements += T.tick(&r, now: t).filter(Self.isAnnouncement).count
            t += 50
        }
        #expect(r.claims[0].mayAnswer)
        #expect(conflicts == 134)
        // Each conflict is defended once: the records announced again, each
        // carrying only this host's address.
        #expect(announcements == conflicts)
        // One log line per source per minute.
        #expect(logged == 10)
    }

    @Test func attackThousandsOfSpoofedConflictsCostBoundedAnnouncementsAndLogLines() throws {
        var (r, _) = T.claimed()
        var announcements = 0, logged = 0, defended = 0
        var t: Int64 = 10_000
        // 20,000 spoofed answers in 100 s (one every 5 ms), from 200
        // different on-link addresses in turn.
        for k in 0..<20_000 {
            let from = IPAddress.v4(0xC0A8_0100 | UInt32(k % 200 + 20))  // 200 addresses of 192.168.1.0/24
            let (o, sent) = T.handle(&r, Self.spoofed(a: [10, 0, UInt8(k % 256), 9]), from: from, now: t)
            #expect(o.conflict && sent.isEmpty)
            if o.logConflict != nil { logged += 1 }
            if o.defended { defended += 1 }
            if k % 10 == 0 {
                announcements += T.tick(&r, now: t).filter(Self.isAnnouncement).count
                if k % 1000 == 0 { #expect(try Self.ask(&r, now: t) == [Self.ours], "unanswered at t = \(t)") }
            }
            t += 5
        }
        announcements += T.tick(&r, now: t + 10_000).filter(Self.isAnnouncement).count
        #expect(r.claims[0].conflicts == 20_000)
        // §8.1's rate limit: past 15 conflicts in 10 s, one defence per 5 s:
        // the first at once, then 20 in 100 s (a spoofer cannot make us flood).
        #expect(defended == announcements)
        #expect(announcements >= 19 && announcements <= 22, "announcements: \(announcements)")
        // At most 16 lines a minute, whatever the number of sources: 100 s
        // span two periods.
        #expect(logged <= 2 * MDNSConflictLog.capacity, "log lines: \(logged)")
        #expect(logged >= MDNSConflictLog.capacity)
        #expect(try Self.ask(&r, now: t + 20_000) == [Self.ours])
    }

    @Test func attackSpoofedConflictEverySecondIsDefendedAtMostOnceASecond() {
        var (r, _) = T.claimed()
        var announcements: [Int64] = []
        var t: Int64 = 10_000
        while t < 40_000 {
            if t % 1000 == 0 { _ = T.handle(&r, Self.spoofed(), from: Self.spoofer, now: t) }
            if !T.tick(&r, now: t).filter(Self.isAnnouncement).isEmpty { announcements.append(t) }
            t += 10
        }
        // 30 conflicts in 30 s: fewer than 15 in any 10 s, so one defence each.
        #expect(announcements.count == 30)
        #expect(zip(announcements, announcements.dropFirst()).allSatisfy { $1 - $0 >= 1000 })
    }

    @Test func attackConflictsDuringAnsweringDoNotPostponeTheDefence() {
        var (r, _) = T.claimed()
        _ = T.handle(&r, Self.spoofed(), from: Self.spoofer, now: 10_000)
        let due = r.claims[0].nextAt
        #expect(due == 10_000)
        // More conflicts before it is sent: neither postponed nor repeated.
        for _ in 1...50 { _ = T.handle(&r, Self.spoofed(), from: Self.spoofer, now: 10_000) }
        #expect(r.claims[0].nextAt == due)
        #expect(T.tick(&r, now: 10_000).filter(Self.isAnnouncement).count == 1)
        #expect(T.tick(&r, now: 10_001).isEmpty)
    }

    // MARK: other records a spoofer can send

    @Test func attackSpoofedNSECDenyingTheOwnAddressIsAConflictAndDefended() {
        var (r, _) = T.claimed()
        // "only AAAA exists" (this host has only A): a conflict.
        let (o, _) = T.handle(&r, Self.spoofed(nsecTypes: [DNSType.aaaa]), from: Self.spoofer, now: 10_000)
        #expect(o.conflict && o.defended && o.logConflict == 0)
        #expect(T.tick(&r, now: 10_000).filter(Self.isAnnouncement).count == 1)
        // The true NSEC (only A) is not.
        var (r2, _) = T.claimed()
        let (o2, _) = T.handle(&r2, Self.spoofed(nsecTypes: [DNSType.a]), from: Self.spoofer, now: 10_000)
        #expect(!o2.conflict && !o2.defended && o2.ignored == .notAQuery)
    }

    @Test func attackSpoofedGoodbyeForTheOwnAddressIsAnsweredByAnAnnouncement() throws {
        var (r, _) = T.claimed()
        // §6.6: the own record with TTL 0 would make caches drop it in 1 s.
        let (o, _) = T.handle(&r, Self.spoofed(a: Self.ours, ttl: 0), from: Self.spoofer, now: 10_000)
        #expect(!o.conflict && o.staleOwnRecord && o.defended && o.logConflict == 0)
        let sent = T.tick(&r, now: 10_000).filter(Self.isAnnouncement)
        #expect(sent.count == 1)
        #expect(try Self.ownAddresses(sent[0].bytes) == [Self.ours])
        // A TTL below half of ours (cache-flush) too; half or more is fine.
        var (r2, _) = T.claimed()
        #expect(T.handle(&r2, Self.spoofed(a: Self.ours, ttl: 59), from: Self.spoofer, now: 10_000).0.defended)
        var (r3, _) = T.claimed()
        let (o3, _) = T.handle(&r3, Self.spoofed(a: Self.ours, ttl: 60), from: Self.spoofer, now: 10_000)
        #expect(!o3.defended && !o3.staleOwnRecord && o3.ignored == .notAQuery)
        // A shared copy with a short TTL (another nostr-dns relaying this
        // npub's published address from its cache) is left alone.
        var (r4, _) = T.claimed()
        #expect(!T.handle(&r4, Self.spoofed(a: Self.ours, ttl: 30, flush: false), from: Self.spoofer, now: 10_000).0.defended)
    }

    @Test func attackSpoofedAnswersForAnotherNpubChangeNothingAnsweredForIt() throws {
        var (r, _) = T.claimed()
        // Unique (cache-flush) and shared records with other addresses for a
        // relayed npub: no conflict, nothing logged, nothing defended...
        for flush in [true, false] {
            let (o, sent) = T.handle(&r, Self.spoofed(T.otherKey, a: [10, 6, 6, 6], flush: flush), from: Self.spoofer, now: 10_000)
            #expect(!o.conflict && !o.defended && o.logConflict == nil && sent.isEmpty && o.ignored == .notAQuery)
        }
        // ... and its answer still comes from the relays (the cache).
        #expect(try Self.ask(&r, now: 10_100, key: T.otherKey) == [[203, 0, 113, 7]])
        #expect(try Self.ask(&r, now: 10_200) == [Self.ours])
        #expect(r.claims[0].conflicts == 0)
    }

    @Test func attackSpoofedConflictFromAPortOtherThan5353IsIgnored() {
        var (r, _) = T.claimed()
        // §6: responses from another port are not Multicast DNS responses.
        let (o, sent) = T.handle(&r, Self.spoofed(), from: Self.spoofer, port: 40000, now: 10_000)
        #expect(o.ignored == .responseNotFromPort5353 && !o.conflict && !o.defended && o.logConflict == nil)
        #expect(sent.isEmpty && r.claims[0].conflicts == 0)
    }

    @Test func attackSpoofedConflictWhileProbingDoesNotRestartProbing() {
        var r = MDNSResponder(ownKey: Self.own, interfaces: [T.eth], now: 0, seed: 42)
        var sent: [T.Sent] = []
        for t in stride(from: Int64(0), through: 3000, by: 10) {
            if t % 100 == 0 { _ = T.handle(&r, Self.spoofed(), from: Self.spoofer, now: t) }
            sent += T.tick(&r, now: t)
        }
        // Three probes and two announcements, as with no conflict: the
        // announcements are the defence.
        #expect(sent.count == 5)
        #expect(r.claims[0].mayAnswer)
    }

    // MARK: probes

    /// A probe for the own name proposing `rdata`.
    static func probe(_ rdata: IPAddress, qu: Bool = false) -> [UInt8] {
        T.query(own, type: DNSType.any, qu: qu, authority: [rdata])
    }

    @Test func attackSpoofedProbesCannotKeepTheOwnNameInProbing() throws {
        var r = MDNSResponder(ownKey: Self.own, interfaces: [T.eth], now: 0, seed: 42)
        // 255.255.255.255 beats 192.168.1.2 in every §8.2 tiebreak; one probe
        // every 200 ms would have kept the name unanswered for ever.
        var claimedAt: Int64? = nil
        for t in stride(from: Int64(0), through: 20_000, by: 10) {
            if t % 200 == 0 { _ = T.handle(&r, Self.probe(.v4(0xFFFF_FFFF)), from: Self.spoofer, now: t) }
            _ = T.tick(&r, now: t)
            if claimedAt == nil && r.claims[0].mayAnswer { claimedAt = t }
        }
        #expect(r.claims[0].tieBreakDeferrals == MDNSHostClaim.maxTieBreakDeferrals)
        let at = try #require(claimedAt)
        #expect(at <= 5000, "claimed at \(at)")
        #expect(try Self.ask(&r, now: 20_010) == [Self.ours])
    }

    @Test func attackProbeFloodGetsAtMostFourMulticastDefencesASecond() {
        var (r, _) = T.claimed()
        var multicast = 0
        // 1,000 QM probes in one second (one per millisecond), from the link.
        for t in Int64(10_000)..<11_000 {
            let (_, sent) = T.handle(&r, Self.probe(.v4(0xC0A8_0109)), from: Self.spoofer, now: t)
            multicast += sent.filter(Self.isAnnouncement).count
            multicast += T.tick(&r, now: t).filter(Self.isAnnouncement).count
        }
        // §6: 250 ms apart at least (10,000, 10,250, 10,500, 10,750).
        #expect(multicast == 4)
    }
}
