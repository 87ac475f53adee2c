import Testing

@testable import NostrCore

/// The sans-IO responder, fed packets built with the DNS codec and read
/// back with it. Each test is named after the RFC 6762 rule it proves.
@Suite struct MDNSResponderTests {
    static let ownKey = try! Bytes32(Array(repeating: 0x11, count: 32))
    static let otherKey = try! Bytes32(Array(repeating: 0x22, count: 32))
    static let eth = MDNSInterface(
        index: 2, name: "eth0",
        prefixes: [
            MDNSPrefix(address: .v4(0xC0A8_0102), prefixLength: 24)
        ])
    static let peer = IPAddress.v4(0xC0A8_0109)

    struct Sent {
        var destination: MDNSDestination
        var ipv6: Bool
        var bytes: [UInt8]
    }

    /// A responder whose own name is claimed (probing and announcing done by t = 3000).
    static func claimed() -> (MDNSResponder, [Sent]) {
        var r = MDNSResponder(ownKey: ownKey, interfaces: [eth], now: 0, seed: 42)
        var sent: [Sent] = []
        var buffer = [UInt8](repeating: 0, count: 1500)
        for t in stride(from: Int64(0), through: 3000, by: 10) {
            buffer.withUnsafeMutableBytes { b in
                r.tick(now: t, families: (true, false), buffer: b) { d, v6, bytes in
                    sent.append(Sent(destination: d, ipv6: v6, bytes: Array(bytes)))
                }
            }
        }
        return (r, sent)
    }

    static func name(_ key: Bytes32) -> String { NIP19.npub(key) + ".local" }

    static func query(
        _ key: Bytes32, type: UInt16 = DNSType.a, qu: Bool = false, id: UInt16 = 0,
        known: [(IPAddress, UInt32)] = [], authority: [IPAddress] = [], rawName: [UInt8]? = nil
    ) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1500)
        let flat = rawName ?? DNSFixtures.flat(name(key))
        let n = buffer.withUnsafeMutableBytes { b -> Int in
            var w = DNSMessageWriter(buffer: b, limit: 1500)
            w.header.id = id
            flat.withUnsafeBytes { f in
                try! w.appendQuestion(f, type: type, rawClass: DNSClass.in | (qu ? DNSClass.topBit : 0))
                for (a, ttl) in known {
                    a.withBytes {
                        try! w.appendRecord(
                            .answer, name: f, type: a.isIPv4 ? DNSType.a : DNSType.aaaa, rawClass: DNSClass.in, ttl: ttl, rdata: $0)
                    }
                }
                for a in authority {
                    a.withBytes { try! w.appendRecord(.authority, name: f, type: DNSType.a, rawClass: DNSClass.in, ttl: 120, rdata: $0) }
                }
            }
            return w.finish()
        }
        return Array(buffer[0..<n])
    }

    static func handle(
        _ r: inout MDNSResponder, _ packet: [UInt8], from source: IPAddress = peer, port: UInt16 = 5353,
        multicast: Bool = true, now: Int64 = 10_000,
        lookup: (Bytes32) -> MDNSNameState = { _ in .pending }
    ) -> (MDNSOutcome, [Sent]) {
        var sent: [Sent] = []
        var buffer = [UInt8](repeating: 0, count: 1500)
        let info = MDNSPacketInfo(source: source, sourcePort: port, destinationIsMulticast: multicast, interfaceIndex: 2)
        let outcome = packet.withUnsafeBytes { p in
            buffer.withUnsafeMutableBytes { b in
                r.handle(p, info, now: now, buffer: b, lookup: lookup) { d, v6, bytes in
                    sent.append(Sent(destination: d, ipv6: v6, bytes: Array(bytes)))
                }
            }
        }
        return (outcome, sent)
    }

    static func tick(_ r: inout MDNSResponder, now: Int64) -> [Sent] {
        var sent: [Sent] = []
        var buffer = [UInt8](repeating: 0, count: 1500)
        buffer.withUnsafeMutableBytes { b in
            r.tick(now: now, families: (true, false), buffer: b) { d, v6, bytes in
                sent.append(Sent(destination: d, ipv6: v6, bytes: Array(bytes)))
            }
        }
        return sent
    }

    /// A query with several questions (each A, QM), optionally with the TC bit.
    static func multiQuery(_ keys: [Bytes32], truncated: Bool = false, known: [(Bytes32, IPAddress, UInt32)] = []) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1500)
        let n = buffer.withUnsafeMutableBytes { b -> Int in
            var w = DNSMessageWriter(buffer: b, limit: 1500)
            w.header.isTruncated = truncated
            for k in keys {
                DNSFixtures.flat(name(k)).withUnsafeBytes { f in try! w.appendQuestion(f, type: DNSType.a, rawClass: DNSClass.in) }
            }
            for (k, a, ttl) in known {
                DNSFixtures.flat(name(k)).withUnsafeBytes { f in
                    a.withBytes { try! w.appendRecord(.answer, name: f, type: DNSType.a, rawClass: DNSClass.in, ttl: ttl, rdata: $0) }
                }
            }
            return w.finish()
        }
        return Array(buffer[0..<n])
    }

    /// A response (as another responder on the link sends it) with one A record.
    static func response(_ key: Bytes32, _ a: IPAddress, ttl: UInt32, cacheFlush: Bool = false) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { b -> Int in
            var w = DNSMessageWriter(buffer: b, limit: 512)
            w.header.isResponse = true
            DNSFixtures.flat(name(key)).withUnsafeBytes { f in
                a.withBytes {
                    try! w.appendRecord(.answer, name: f, type: DNSType.a, rawClass: cacheFlush ? 0x8001 : 1, ttl: ttl, rdata: $0)
                }
            }
            return w.finish()
        }
        return Array(buffer[0..<n])
    }

    static let thirdKey = try! Bytes32(Array(repeating: 0x33, count: 32))
    static func cached(_ k: Bytes32) -> MDNSNameState {
        k == otherKey
            ? .addresses([.v4(0xCB00_7107)], ttl: 300)
            : k == thirdKey ? .addresses([.v4(0xCB00_7108), .v4(0xCB00_7109)], ttl: 300) : .absent
    }

    typealias Item = (DNSSection, String, UInt16, UInt16, [UInt8])
    static func records(_ bytes: [UInt8]) throws -> (DNSHeader, [Item]) {
        let (h, items, _) = try DNSFixtures.readAll(bytes)
        return (h, items)
    }

    // MARK: the tests

    @Test func probesThreeTimesThenAnnouncesTwiceWithCacheFlush() throws {
        let (_, sent) = Self.claimed()
        #expect(sent.count == 5)
        let (probe, probeItems) = try Self.records(sent[0].bytes)
        #expect(!probe.isResponse)
        #expect(probeItems[0].0 == .question && probeItems[0].2 == DNSType.any && probeItems[0].3 == 0x8001)  // QU on the first
        #expect(probeItems[1].0 == .authority && probeItems[1].4 == [192, 168, 1, 2])
        let (_, second) = try Self.records(sent[1].bytes)
        #expect(second[0].3 == 1)  // later probes are QM
        let (ann, annItems) = try Self.records(sent[3].bytes)
        #expect(ann.isResponse && ann.isAuthoritative && ann.id == 0)
        #expect(annItems.contains { $0.0 == .answer && $0.2 == DNSType.a && $0.3 == 0x8001 && $0.4 == [192, 168, 1, 2] })
        // No IPv6 address: an NSEC says there is only A (§6.1).
        #expect(annItems.contains { $0.0 == .additional && $0.2 == DNSType.nsec })
        #expect(
            sent.allSatisfy {
                $0.destination.address == .v4(0xE000_00FB) && $0.destination.port == 5353 && $0.destination.interfaceIndex == 2
            })
    }

    @Test func theOwnNameIsNotAnsweredWhileProbing() {
        var r = MDNSResponder(ownKey: Self.ownKey, interfaces: [Self.eth], now: 0, seed: 1)
        let (outcome, sent) = Self.handle(&r, Self.query(Self.ownKey), now: 10)
        #expect(sent.isEmpty)
        #expect(outcome.ignored == .probing)
    }

    @Test func legacyUnicastEchoesIDAndQuestionWithTTLAtMostTenAndNoCacheFlush() throws {
        var (r, _) = Self.claimed()
        let (outcome, sent) = Self.handle(&r, Self.query(Self.ownKey, id: 0xBEEF), port: 40000)
        #expect(outcome.route == .legacyUnicast)
        let reply = try #require(sent.first)
        #expect(reply.destination.address == Self.peer && reply.destination.port == 40000)
        let (h, items) = try Self.records(reply.bytes)
        #expect(h.id == 0xBEEF && h.isResponse)
        #expect(items[0].0 == .question && items[0].1.lowercased() == Self.name(Self.ownKey) + ".")
        let a = try #require(items.first { $0.0 == .answer })
        #expect(a.3 == 1)  // no cache-flush bit
        let (_, _, _) = try DNSFixtures.readAll(reply.bytes)
        try reply.bytes.withBytes { (p) throws(NostrError) in
            var reader = try DNSMessageReader(p)
            while let rec = try reader.nextRecord() { #expect(rec.ttl <= 10) }
        }
    }

    @Test func aMulticastQueryGetsAMulticastAnswerWithCacheFlushIDZeroAndNoQuestions() throws {
        var (r, _) = Self.claimed()
        let (outcome, sent) = Self.handle(&r, Self.query(Self.ownKey, id: 0))
        #expect(outcome.route == .multicast)
        let reply = try #require(sent.first)
        #expect(reply.destination.address == .v4(0xE000_00FB))
        let (h, items) = try Self.records(reply.bytes)
        #expect(h.id == 0 && h.questionCount == 0)
        #expect(items.contains { $0.0 == .answer && $0.2 == DNSType.a && $0.3 == 0x8001 && $0.4 == [192, 168, 1, 2] })
        // §6.2: the other family as an additional NSEC (this host has no IPv6).
        #expect(items.contains { $0.0 == .additional && $0.2 == DNSType.nsec })
    }

    @Test func aRecordIsMulticastAtMostOncePerSecondPerInterface() {
        var (r, _) = Self.claimed()
        let (_, first) = Self.handle(&r, Self.query(Self.ownKey), now: 10_000)
        let (outcome, second) = Self.handle(&r, Self.query(Self.ownKey), now: 10_500)
        let (_, third) = Self.handle(&r, Self.query(Self.ownKey), now: 11_000)
        #expect(first.count == 1)
        #expect(second.isEmpty)
        #expect(outcome.ignored == .rateLimited)
        #expect(third.count == 1)
    }

    @Test func theQUBitGetsAUnicastAnswerAfterARecentMulticast() throws {
        var (r, _) = Self.claimed()
        // Announced at t≈1850: within a quarter of 120 s.
        let (outcome, sent) = Self.handle(&r, Self.query(Self.ownKey, qu: true), now: 10_000)
        #expect(outcome.route == .unicast)
        #expect(sent.first?.destination.address == Self.peer && sent.first?.destination.port == 5353)
        // Long after: multicast instead, to refresh every cache (§5.4).
        let (late, _) = Self.handle(&r, Self.query(Self.ownKey, qu: true), now: 100_000)
        #expect(late.route == .multicast)
    }

    @Test func aUnicastQueryToPort5353IsAnsweredByUnicast() {
        var (r, _) = Self.claimed()
        let (outcome, sent) = Self.handle(&r, Self.query(Self.ownKey), multicast: false)
        #expect(outcome.route == .unicast)
        #expect(sent.first?.destination.address == Self.peer)
    }

    @Test func knownAnswersWithHalfTheTTLSuppressTheAnswer() {
        var (r, _) = Self.claimed()
        let (outcome, sent) = Self.handle(&r, Self.query(Self.ownKey, known: [(.v4(0xC0A8_0102), 60)]), now: 10_000)
        #expect(sent.isEmpty)
        #expect(outcome.ignored == .knownAnswers)
        let (stale, answered) = Self.handle(&r, Self.query(Self.ownKey, known: [(.v4(0xC0A8_0102), 59)]), now: 20_000)
        #expect(answered.count == 1)
        #expect(stale.ignored == nil)
    }

    @Test func anOffLinkSourceGetsNoAnswer() {
        var (r, _) = Self.claimed()
        let (outcome, sent) = Self.handle(&r, Self.query(Self.ownKey, id: 7), from: .v4(0x0A63_0002), port: 40000, multicast: false)
        #expect(sent.isEmpty)
        #expect(outcome.ignored == .offLink)
    }

    @Test func aQueryForAMissingTypeGetsAnNSECInTheAnswerSection() throws {
        var (r, _) = Self.claimed()
        let (_, sent) = Self.handle(&r, Self.query(Self.ownKey, type: DNSType.aaaa))
        let (_, items) = try Self.records(try #require(sent.first).bytes)
        let nsec = try #require(items.first { $0.0 == .answer && $0.2 == DNSType.nsec })
        #expect(nsec.3 == 0x8001)
        #expect(!items.contains { $0.2 == DNSType.aaaa })
        // Next name is the name itself (2-byte pointer), then window 0 with the A bit.
        #expect(Array(nsec.4.suffix(3)) == [0, 1, 0x40])
    }

    @Test func anotherNpubIsAnsweredFromTheCacheAndLookedUpWhenUnknown() throws {
        var (r, _) = Self.claimed()
        let (pending, none) = Self.handle(&r, Self.query(Self.otherKey), lookup: { _ in .pending })
        #expect(none.isEmpty)
        #expect(pending.ignored == .pendingLookup)
        #expect(pending.lookups == [Self.otherKey])
        let (absent, silent) = Self.handle(&r, Self.query(Self.otherKey), lookup: { _ in .absent })
        #expect(silent.isEmpty && absent.ignored == .noRecord && absent.lookups.isEmpty)
        let known: (Bytes32) -> MDNSNameState = { k in
            k == Self.otherKey ? .addresses([.v4(0xCB00_7107), .v6(0x2001_0DB8_0000_0000, 7)], ttl: 300) : .absent
        }
        let (ok, now) = Self.handle(&r, Self.query(Self.otherKey, type: DNSType.any), lookup: known)
        #expect(ok.route == .multicast)
        #expect(now.isEmpty)  // shared records wait 20–120 ms (§6)
        let sent = Self.tick(&r, now: 10_120)
        let (_, items) = try Self.records(try #require(sent.first).bytes)
        #expect(items.contains { $0.2 == DNSType.a && $0.4 == [203, 0, 113, 7] })
        #expect(items.contains { $0.2 == DNSType.aaaa && $0.4.count == 16 })
        #expect(items.allSatisfy { $0.1.lowercased() == Self.name(Self.otherKey) + "." })
        // Relayed records are shared: no cache-flush bit, so the npub's owner,
        // if it is on the link, sees no conflict with its own unique records.
        #expect(items.allSatisfy { $0.3 == 1 })
    }

    @Test func namesThatAreNotNpubsAreIgnored() {
        var (r, _) = Self.claimed()
        let (o1, s1) = Self.handle(&r, Self.query(Self.ownKey, rawName: DNSFixtures.flat("printer.local")))
        #expect(s1.isEmpty && o1.ignored == .notOurName)
        var badNpub = DNSFixtures.flat(Self.name(Self.ownKey))
        badNpub[10] = UInt8(ascii: "b") == badNpub[10] ? UInt8(ascii: "c") : UInt8(ascii: "b")  // breaks the checksum
        let (o2, s2) = Self.handle(&r, Self.query(Self.ownKey, rawName: badNpub))
        #expect(s2.isEmpty && o2.ignored == .notOurName)
    }

    @Test func theNameMatchesInAnyCase() {
        var (r, _) = Self.claimed()
        let upper = DNSFixtures.flat(Self.name(Self.ownKey).uppercased())
        let (_, sent) = Self.handle(&r, Self.query(Self.ownKey, rawName: upper))
        #expect(sent.count == 1)
    }

    @Test func truncatedAndGarbagePacketsAreDroppedAsMalformed() {
        var (r, _) = Self.claimed()
        let good = Self.query(Self.ownKey)
        for bad in [
            Array(good.prefix(11)), Array(good.prefix(20)), [UInt8](repeating: 0xFF, count: 40),
            DNSFixtures.header(qd: 1) + [0xC0, 0x0C, 0, 1, 0, 1],
        ] {
            let (o, s) = Self.handle(&r, bad)
            #expect(s.isEmpty)
            if case .malformed = o.ignored {} else { Issue.record("expected malformed, got \(String(describing: o.ignored))") }
        }
        let (_, s) = Self.handle(&r, good)
        #expect(s.count == 1)
    }

    @Test func aResponseClaimingTheOwnNameWithAnotherAddressIsAConflict() {
        var (r, _) = Self.claimed()
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { b -> Int in
            var w = DNSMessageWriter(buffer: b, limit: 512)
            w.header.isResponse = true
            // (A pointer into a temporary array dangles: AddressSanitizer caught it.)
            let rdata: [UInt8] = [10, 0, 0, 9]
            DNSFixtures.flat(Self.name(Self.ownKey)).withUnsafeBytes { f in
                rdata.withUnsafeBytes { r in
                    try! w.appendRecord(.answer, name: f, type: DNSType.a, rawClass: 0x8001, ttl: 120, rdata: r)
                }
            }
            return w.finish()
        }
        let (o, _) = Self.handle(&r, Array(buffer[0..<n]))
        #expect(o.conflict && o.defended)
        // The npub is this host's key: it goes on answering (MDNSConflictTests).
        #expect(r.claims[0].mayAnswer)
        // The same address in a shared record (no cache-flush: a host relaying
        // the npub's published addresses) is not a conflict.
        var (r3, _) = Self.claimed()
        var shared = [UInt8](repeating: 0, count: 512)
        let m = shared.withUnsafeMutableBytes { b -> Int in
            var w = DNSMessageWriter(buffer: b, limit: 512)
            w.header.isResponse = true
            // (A pointer into a temporary array dangles: AddressSanitizer caught it.)
            let rdata: [UInt8] = [10, 0, 0, 9]
            DNSFixtures.flat(Self.name(Self.ownKey)).withUnsafeBytes { f in
                rdata.withUnsafeBytes { r in
                    try! w.appendRecord(.answer, name: f, type: DNSType.a, rawClass: 1, ttl: 120, rdata: r)
                }
            }
            return w.finish()
        }
        let (o3, _) = Self.handle(&r3, Array(shared[0..<m]))
        #expect(!o3.conflict && r3.claims[0].mayAnswer)
        // Its own announcement looped back is not a conflict.
        var (r2, sent) = Self.claimed()
        let (o2, _) = Self.handle(&r2, sent[3].bytes)
        #expect(!o2.conflict && o2.ignored == .notAQuery)
    }

    @Test func aProbeForTheClaimedNameIsDefendedDespiteTheRateLimit() {
        var (r, _) = Self.claimed()
        _ = Self.handle(&r, Self.query(Self.ownKey), now: 10_000)
        // 300 ms after the last multicast: at once, within the one-second limit.
        let (o, sent) = Self.handle(&r, Self.query(Self.ownKey, type: DNSType.any, authority: [.v4(0xC0A8_0109)]), now: 10_300)
        #expect(sent.count == 1)
        #expect(o.ignored == nil)
        // 100 ms after it: 250 ms after the last multicast (§6), not a second.
        let (o2, sent2) = Self.handle(&r, Self.query(Self.ownKey, type: DNSType.any, authority: [.v4(0xC0A8_0109)]), now: 10_400)
        #expect(sent2.isEmpty && o2.delayedUntil == 10_550 && o2.ignored == nil)
        #expect(Self.tick(&r, now: 10_549).isEmpty)
        #expect(Self.tick(&r, now: 10_550).count == 1)
    }

    @Test func aProbeForAProxiedNameIsLeftToItsOwner() {
        var (r, _) = Self.claimed()
        let (o, sent) = Self.handle(
            &r, Self.query(Self.otherKey, type: DNSType.any, authority: [.v4(0xC0A8_0109)]),
            lookup: { _ in .addresses([.v4(1)], ttl: 60) })
        #expect(sent.isEmpty && o.ignored == .probeForProxiedName)
    }

    @Test func goodbyeSendsTheOwnRecordsWithTTLZero() throws {
        let (r, _) = Self.claimed()
        var sent: [Sent] = []
        var buffer = [UInt8](repeating: 0, count: 1500)
        buffer.withUnsafeMutableBytes { b in
            r.goodbye(families: (true, false), buffer: b) { d, v6, bytes in sent.append(Sent(destination: d, ipv6: v6, bytes: Array(bytes)))
            }
        }
        let bye = try #require(sent.first)
        try bye.bytes.withBytes { (p) throws(NostrError) in
            var reader = try DNSMessageReader(p)
            var count = 0
            while let rec = try reader.nextRecord() { #expect(rec.ttl == 0); count += 1 }
            #expect(count >= 1)
        }
    }
    // MARK: response timing (§6, §7.2, §7.4), with injected time

    @Test func aSharedRecordAnswerWaitsTwentyToOneHundredTwentyMilliseconds() throws {
        // Over many seeds: never sent before 20 ms, always sent by 120 ms.
        for seed in UInt64(1)...40 {
            var (r, _) = Self.claimed()
            r.random = seed | 1
            let (o, now) = Self.handle(&r, Self.query(Self.otherKey), now: 10_000, lookup: Self.cached)
            #expect(now.isEmpty)
            let due = try #require(o.delayedUntil)
            #expect(due >= 10_021 && due <= 10_120)  // +1: `now` is rounded down
            #expect(r.nextDeadline == due)
            #expect(Self.tick(&r, now: 10_019).isEmpty)
            var sent: [Sent] = []
            var t: Int64 = 10_020
            while sent.isEmpty && t <= 10_120 { sent = Self.tick(&r, now: t); if sent.isEmpty { t += 1 } }
            #expect(t == due)
            #expect(sent.count == 1)
            let (h, items) = try Self.records(try #require(sent.first).bytes)
            #expect(h.isResponse && h.id == 0 && h.questionCount == 0)
            #expect(items.contains { $0.0 == .answer && $0.2 == DNSType.a && $0.3 == 1 && $0.4 == [203, 0, 113, 7] })
            #expect(sent[0].destination.address == .v4(0xE000_00FB))
            #expect(Self.tick(&r, now: 10_500).isEmpty)  // sent once
            #expect(r.nextDeadline == nil)
        }
    }

    @Test func aUniqueRecordAnswerIsSentAtOnce() {
        var (r, _) = Self.claimed()
        let (o, sent) = Self.handle(&r, Self.query(Self.ownKey), now: 10_000)
        #expect(sent.count == 1)
        #expect(o.delayedUntil == nil && o.route == .multicast)
        #expect(r.nextDeadline == nil)
    }

    @Test func legacyUnicastAndQUAnswersForSharedRecordsAreSentAtOnce() {
        var (r, _) = Self.claimed()
        let (lo, legacy) = Self.handle(&r, Self.query(Self.otherKey, id: 9), port: 40000, lookup: Self.cached)
        #expect(legacy.count == 1 && lo.route == .legacyUnicast && lo.delayedUntil == nil)
        let (uo, unicast) = Self.handle(&r, Self.query(Self.otherKey), multicast: false, lookup: Self.cached)
        #expect(unicast.count == 1 && uo.route == .unicast && uo.delayedUntil == nil)
    }

    @Test func answersDueTogetherOnOneInterfaceGoInOnePacket() throws {
        var (r, _) = Self.claimed()
        // Two questions in one query, and a third name asked by another querier meanwhile.
        let (o1, s1) = Self.handle(&r, Self.multiQuery([Self.otherKey]), now: 10_000, lookup: Self.cached)
        let (o2, s2) = Self.handle(&r, Self.multiQuery([Self.thirdKey]), from: .v4(0xC0A8_0107), now: 10_010, lookup: Self.cached)
        #expect(s1.isEmpty && s2.isEmpty)
        let due = max(try #require(o1.delayedUntil), try #require(o2.delayedUntil))
        let sent = Self.tick(&r, now: due)
        #expect(sent.count == 1)
        let (h, items) = try Self.records(try #require(sent.first).bytes)
        #expect(h.answerCount == 3)
        #expect(
            items.contains { $0.4 == [203, 0, 113, 7] } && items.contains { $0.4 == [203, 0, 113, 8] }
                && items.contains { $0.4 == [203, 0, 113, 9] })
        // Both questions of one query are one pending answer each, and one packet.
        var (r2, _) = Self.claimed()
        let (o3, _) = Self.handle(&r2, Self.multiQuery([Self.otherKey, Self.thirdKey]), lookup: Self.cached)
        let both = Self.tick(&r2, now: try #require(o3.delayedUntil))
        #expect(both.count == 1)
        #expect(try Self.records(both[0].bytes).0.answerCount == 3)
        // A query for a name whose answer already waits joins it: still one packet.
        var (r3, _) = Self.claimed()
        let (o4, _) = Self.handle(&r3, Self.query(Self.otherKey), now: 10_000, lookup: Self.cached)
        let (o5, _) = Self.handle(&r3, Self.query(Self.otherKey), now: 10_005, lookup: Self.cached)
        // (It keeps the earlier of the two delays.)
        #expect(try #require(o5.delayedUntil) <= #require(o4.delayedUntil))
        #expect(Self.tick(&r3, now: 10_200).count == 1)
    }

    @Test func anotherRespondersSameAnswerSuppressesTheWaitingOne() {
        // §7.4: the same record with a TTL not less than ours: ours is not sent.
        var (r, _) = Self.claimed()
        _ = Self.handle(&r, Self.query(Self.otherKey), now: 10_000, lookup: Self.cached)
        let (seen, _) = Self.handle(&r, Self.response(Self.otherKey, .v4(0xCB00_7107), ttl: 300), now: 10_010)
        #expect(seen.ignored == .notAQuery && !seen.conflict)
        #expect(Self.tick(&r, now: 10_200).isEmpty)
        // A lower TTL, or another address, does not suppress it.
        var (r2, _) = Self.claimed()
        _ = Self.handle(&r2, Self.query(Self.otherKey), now: 10_000, lookup: Self.cached)
        _ = Self.handle(&r2, Self.response(Self.otherKey, .v4(0xCB00_7107), ttl: 299), now: 10_010)
        _ = Self.handle(&r2, Self.response(Self.otherKey, .v4(0xCB00_7199), ttl: 300), now: 10_011)
        #expect(Self.tick(&r2, now: 10_200).count == 1)
        // Of two addresses, only the one seen is dropped.
        var (r3, _) = Self.claimed()
        _ = Self.handle(&r3, Self.query(Self.thirdKey), now: 10_000, lookup: Self.cached)
        _ = Self.handle(&r3, Self.response(Self.thirdKey, .v4(0xCB00_7108), ttl: 300), now: 10_010)
        let sent = Self.tick(&r3, now: 10_200)
        let items = (try? Self.records(sent.first?.bytes ?? []).1) ?? []
        #expect(sent.count == 1)
        #expect(!items.contains { $0.4 == [203, 0, 113, 8] } && items.contains { $0.4 == [203, 0, 113, 9] })
    }

    /// A response with one NSEC record for `key`'s name (next name: `next`'s).
    static func nsecResponse(_ key: Bytes32, next: Bytes32? = nil, types: [UInt16], ttl: UInt32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { b -> Int in
            var w = DNSMessageWriter(buffer: b, limit: 512)
            w.header.isResponse = true
            let owner = DNSFixtures.flat(name(key)), nextName = DNSFixtures.flat(name(next ?? key))
            owner.withUnsafeBytes { f in
                try! w.beginRecord(.answer, name: f, type: DNSType.nsec, rawClass: DNSClass.in, ttl: ttl)
                nextName.withUnsafeBytes { try! w.appendName($0, compress: false) }
                let bitmap = DNSTypeBitmap(types)
                try! w.appendUInt8(0)
                try! w.appendUInt8(UInt8(bitmap.length))
                withUnsafeBytes(of: bitmap.bits) { try! w.appendBytes(UnsafeRawBufferPointer(rebasing: $0[0..<bitmap.length])) }
                w.endRecord()
            }
            return w.finish()
        }
        return Array(buffer[0..<n])
    }

    @Test func anotherRespondersSameNSECSuppressesTheWaitingOne() throws {
        // §7.4 for §6.1's NSEC: an AAAA question for a name with only A waits to send an NSEC.
        func waiting() throws -> MDNSResponder {
            var (r, _) = Self.claimed()
            let (o, now) = Self.handle(&r, Self.query(Self.otherKey, type: DNSType.aaaa), now: 10_000, lookup: Self.cached)
            #expect(now.isEmpty && o.delayedUntil != nil)
            return r
        }
        var r = try waiting()
        _ = Self.handle(&r, Self.nsecResponse(Self.otherKey, types: [DNSType.a], ttl: 300), now: 10_010)
        #expect(Self.tick(&r, now: 10_200).isEmpty)
        // A lower TTL, other types, another next name, or another owner: ours is sent.
        for packet in [
            Self.nsecResponse(Self.otherKey, types: [DNSType.a], ttl: 299),
            Self.nsecResponse(Self.otherKey, types: [DNSType.a, DNSType.aaaa], ttl: 300),
            Self.nsecResponse(Self.otherKey, next: Self.thirdKey, types: [DNSType.a], ttl: 300),
            Self.nsecResponse(Self.thirdKey, types: [DNSType.a], ttl: 300),
        ] {
            var r2 = try waiting()
            _ = Self.handle(&r2, packet, now: 10_010)
            let sent = Self.tick(&r2, now: 10_200)
            #expect(sent.count == 1)
            let items = try Self.records(try #require(sent.first).bytes).1
            #expect(items.contains { $0.0 == .answer && $0.2 == DNSType.nsec })
        }
    }

    @Test func aTruncatedQueryWaitsForItsKnownAnswers() throws {
        // §7.2: TC set: 400–500 ms, even for the own (unique) records.
        for seed in UInt64(1)...20 {
            var (r, _) = Self.claimed()
            r.random = seed | 1
            let (o, now) = Self.handle(
                &r, Self.multiQuery([Self.ownKey, Self.thirdKey], truncated: true),
                now: 10_000, lookup: Self.cached)
            #expect(now.isEmpty)
            let due = try #require(o.delayedUntil)
            #expect(due >= 10_401 && due <= 10_500)
            #expect(Self.tick(&r, now: 10_399).isEmpty)
            // The continuation packet (no questions) from the same querier: its
            // known answers drop one of the npub's addresses and the own one.
            let (c, none) = Self.handle(
                &r,
                Self.multiQuery(
                    [],
                    known: [
                        (Self.thirdKey, .v4(0xCB00_7108), 300),
                        (Self.ownKey, .v4(0xC0A8_0102), 120),
                    ]),
                now: 10_050, lookup: Self.cached)
            #expect(none.isEmpty && c.ignored == .knownAnswerContinuation)
            let sent = Self.tick(&r, now: 10_500)
            #expect(sent.count == 1)
            let items = try Self.records(try #require(sent.first).bytes).1
            #expect(items.filter { $0.0 == .answer }.map { $0.4 } == [[203, 0, 113, 9]])
        }
        // Known answers from another source do not count.
        var (r, _) = Self.claimed()
        _ = Self.handle(&r, Self.multiQuery([Self.otherKey], truncated: true), now: 10_000, lookup: Self.cached)
        let (other, _) = Self.handle(
            &r, Self.multiQuery([], known: [(Self.otherKey, .v4(0xCB00_7107), 300)]),
            from: .v4(0xC0A8_0107), now: 10_050, lookup: Self.cached)
        #expect(other.ignored == .notOurName)
        #expect(Self.tick(&r, now: 10_500).count == 1)
    }
}
