import NostrCore
import Testing

/// RFC 6762 rules, each test named after the rule it proves.
@Suite struct MDNSRulesTests {
    @Test func aQueryFromAPortOtherThan5353IsLegacyUnicastWhateverItsBits() {
        #expect(
            MDNSRules.route(sourcePort: 40000, destinationIsMulticast: true, unicastResponseBit: false, multicastRecently: false)
                == .legacyUnicast)
        #expect(
            MDNSRules.route(sourcePort: 53, destinationIsMulticast: false, unicastResponseBit: true, multicastRecently: true)
                == .legacyUnicast)
    }

    @Test func theQUBitGetsAUnicastAnswerOnlyWhenTheRecordWasMulticastRecently() {
        #expect(
            MDNSRules.route(sourcePort: 5353, destinationIsMulticast: true, unicastResponseBit: true, multicastRecently: true) == .unicast)
        #expect(
            MDNSRules.route(sourcePort: 5353, destinationIsMulticast: true, unicastResponseBit: true, multicastRecently: false)
                == .multicast)
    }

    @Test func aPlainMulticastQueryGetsAMulticastAnswer() {
        #expect(
            MDNSRules.route(sourcePort: 5353, destinationIsMulticast: true, unicastResponseBit: false, multicastRecently: true)
                == .multicast)
    }

    @Test func aUnicastQueryTo5353GetsAUnicastAnswer() {
        #expect(
            MDNSRules.route(sourcePort: 5353, destinationIsMulticast: false, unicastResponseBit: false, multicastRecently: false)
                == .unicast)
    }

    @Test func legacyUnicastTTLIsCappedAtTenSecondsAndOthersAreNot() {
        #expect(MDNSRules.ttl(120, for: .legacyUnicast) == 10)
        #expect(MDNSRules.ttl(5, for: .legacyUnicast) == 5)
        #expect(MDNSRules.ttl(120, for: .multicast) == 120)
        #expect(MDNSRules.ttl(120, for: .unicast) == 120)
    }

    @Test func cacheFlushBitOnUniqueRecordsExceptInLegacyUnicast() {
        #expect(MDNSRules.answerClass(unique: true, route: .multicast) == 0x8001)
        #expect(MDNSRules.answerClass(unique: true, route: .unicast) == 0x8001)
        #expect(MDNSRules.answerClass(unique: true, route: .legacyUnicast) == 1)
        #expect(MDNSRules.answerClass(unique: false, route: .multicast) == 1)
    }

    @Test func aKnownAnswerWithAtLeastHalfTheTTLSuppressesTheAnswer() {
        #expect(MDNSRules.suppressedByKnownAnswer(knownTTL: 60, trueTTL: 120))
        #expect(MDNSRules.suppressedByKnownAnswer(knownTTL: 120, trueTTL: 120))
        #expect(!MDNSRules.suppressedByKnownAnswer(knownTTL: 59, trueTTL: 120))
        #expect(!MDNSRules.suppressedByKnownAnswer(knownTTL: 0, trueTTL: 120))
        #expect(MDNSRules.suppressedByKnownAnswer(knownTTL: 1, trueTTL: 1))
    }
}

@Suite struct MDNSRateLimitTests {
    let key = MDNSRateLimit.Key(owner: .zero, type: 1, interfaceIndex: 2, ipv6: false)

    @Test func aRecordIsMulticastAtMostOncePerSecondPerInterface() {
        var limit = MDNSRateLimit()
        #expect(limit.allows(key, now: 10_000))
        limit.record(key, now: 10_000)
        #expect(!limit.allows(key, now: 10_000))
        #expect(!limit.allows(key, now: 10_999))
        #expect(limit.allows(key, now: 11_000))
        var other = key
        other.interfaceIndex = 3
        #expect(limit.allows(other, now: 10_001))
        var v6 = key
        v6.ipv6 = true
        #expect(limit.allows(v6, now: 10_001))
        var aaaa = key
        aaaa.type = 28
        #expect(limit.allows(aaaa, now: 10_001))
    }

    @Test func recentlyMeansWithinTheGivenWindow() {
        var limit = MDNSRateLimit()
        #expect(!limit.multicastWithin(key, milliseconds: 30_000, now: 0))
        limit.record(key, now: 1000)
        #expect(limit.multicastWithin(key, milliseconds: 30_000, now: 30_999))
        #expect(!limit.multicastWithin(key, milliseconds: 30_000, now: 31_000))
    }

    @Test func aFullTableForgetsTheOldestEntryAndNeverGrows() {
        var limit = MDNSRateLimit(capacity: 2)
        let k2 = MDNSRateLimit.Key(owner: .zero, type: 28, interfaceIndex: 2, ipv6: false)
        let k3 = MDNSRateLimit.Key(owner: .zero, type: 47, interfaceIndex: 2, ipv6: false)
        limit.record(key, now: 1)
        limit.record(k2, now: 2)
        limit.record(k3, now: 3)
        #expect(limit.lastMulticast(key) == nil)
        #expect(limit.lastMulticast(k2) == 2)
        #expect(limit.lastMulticast(k3) == 3)
    }
}

@Suite struct MDNSHostClaimTests {
    func step(_ c: inout MDNSHostClaim, _ now: Int64) -> MDNSHostClaim.Step? { c.step(now: now) }
    func probe(_ c: inout MDNSHostClaim, ours: [[UInt8]], theirs: [[UInt8]], now: Int64) -> Bool {
        c.simultaneousProbe(ours: ours, theirs: theirs, now: now)
    }

    @Test func threeProbes250msApartThenTwoAnnouncementsOneSecondApart() {
        var claim = MDNSHostClaim(now: 0, initialDelay: 100)
        #expect(step(&claim, 99) == nil)
        #expect(!claim.mayAnswer)
        #expect(step(&claim, 100) == .probe(first: true))
        #expect(step(&claim, 349) == nil)
        #expect(step(&claim, 350) == .probe(first: false))
        #expect(step(&claim, 600) == .probe(first: false))
        #expect(!claim.mayAnswer)
        #expect(step(&claim, 850) == .announce)
        #expect(claim.mayAnswer)
        #expect(step(&claim, 1849) == nil)
        #expect(step(&claim, 1850) == .announce)
        #expect(claim.phase == .claimed)
        #expect(claim.nextAt == nil)
        #expect(step(&claim, 100_000) == nil)
    }

    @Test func theInitialDelayIsAtMost250ms() {
        let claim = MDNSHostClaim(now: 1000, initialDelay: 9999)
        #expect(claim.nextAt == 1250)
    }

    /// A claim probed and announced by t = 1750.
    func claimed() -> MDNSHostClaim {
        var claim = MDNSHostClaim(now: 0, initialDelay: 0)
        for t in [0, 250, 500, 750, 1750] as [Int64] { _ = claim.step(now: t) }
        return claim
    }

    @Test func aConflictKeepsAnsweringAndSchedulesOneDefenceASecondAfterTheLastAnnouncement() {
        var claim = claimed()
        #expect(claim.phase == .claimed && claim.lastAnnouncedAt == 1750)
        let first = claim.conflict(now: 2000)
        #expect(first)
        #expect(claim.mayAnswer)
        #expect(claim.conflicts == 1)
        #expect(claim.nextAt == 2750)
        // A second conflict before it goes: the same defence, not another.
        let second = claim.conflict(now: 2100)
        #expect(!second)
        #expect(claim.nextAt == 2750 && claim.defences == 1)
        #expect(step(&claim, 2749) == nil)
        #expect(step(&claim, 2750) == .announce)
        #expect(claim.phase == .claimed && claim.nextAt == nil)
        // The next one: a second after that one, or at once when that is past.
        let third = claim.conflict(now: 3000)
        #expect(third)
        #expect(claim.nextAt == 3750)
        _ = step(&claim, 3750)
        let fourth = claim.conflict(now: 9000, lastMulticast: 8500)
        #expect(fourth)
        #expect(claim.nextAt == 9500)
    }

    @Test func fifteenConflictsInTenSecondsSpaceDefencesFiveSecondsApart() {
        var claim = claimed()
        for k in 0..<14 { claim.conflict(now: 10_000 + Int64(k) * 100) }
        #expect(claim.defenceInterval(now: 11_400) == MDNSHostClaim.defenceIntervalMilliseconds)
        claim.conflict(now: 11_400)
        #expect(claim.defenceInterval(now: 11_400) == MDNSHostClaim.floodIntervalMilliseconds)
        // Ten seconds after the first of the fifteen, back to one a second.
        #expect(claim.defenceInterval(now: 20_000) == MDNSHostClaim.defenceIntervalMilliseconds)
    }

    @Test func aDefenceScheduledBeforeTheFloodWaitsFiveSecondsWhenItFallsDue() {
        var claim = claimed()
        let first = claim.conflict(now: 10_000)
        #expect(first && step(&claim, 10_000) == .announce)
        // The next conflict schedules one a second later; 14 more follow.
        claim.conflict(now: 10_001)
        #expect(claim.nextAt == 11_000)
        for k in 0..<14 { claim.conflict(now: 10_002 + Int64(k)) }
        #expect(step(&claim, 11_000) == nil)
        #expect(claim.nextAt == 15_000)
        #expect(step(&claim, 15_000) == .announce)
    }

    @Test func aConflictWhileProbingOrAnnouncingSchedulesNothingExtra() {
        var claim = MDNSHostClaim(now: 0, initialDelay: 0)
        _ = step(&claim, 0)
        let probing = claim.conflict(now: 100)
        #expect(!probing)
        #expect(claim.phase == .probing(sent: 1) && claim.nextAt == 250)
        for t in [250, 500, 750] as [Int64] { _ = step(&claim, t) }
        #expect(claim.phase == .announcing(sent: 1))
        let announcing = claim.conflict(now: 800)
        #expect(!announcing)
        #expect(claim.nextAt == 1750)
    }

    @Test func simultaneousProbingIsWonByTheLexicographicallyLaterData() {
        var claim = MDNSHostClaim(now: 0, initialDelay: 0)
        _ = claim.step(now: 0)
        // Theirs is later: we lose and probe again after one second.
        #expect(probe(&claim, ours: [[192, 168, 1, 2]], theirs: [[192, 168, 1, 3]], now: 10))
        #expect(claim.nextAt == 1010)
        // Ours is later or the same: we carry on.
        var winner = MDNSHostClaim(now: 0, initialDelay: 0)
        _ = winner.step(now: 0)
        #expect(!probe(&winner, ours: [[192, 168, 1, 3]], theirs: [[192, 168, 1, 2]], now: 10))
        #expect(!probe(&winner, ours: [[192, 168, 1, 3]], theirs: [[192, 168, 1, 3]], now: 10))
        #expect(winner.nextAt == 250)
        // More records beat fewer when the common ones are equal.
        #expect(MDNSHostClaim.compare([[1]], [[1], [2]]) == -1)
    }

    @Test func lostTiebreaksDeferAClaimAtMostThreeTimes() {
        var claim = MDNSHostClaim(now: 0, initialDelay: 0)
        _ = claim.step(now: 0)
        for k in 0..<MDNSHostClaim.maxTieBreakDeferrals {
            #expect(probe(&claim, ours: [[1]], theirs: [[2]], now: Int64(k) * 10))
        }
        #expect(!probe(&claim, ours: [[1]], theirs: [[2]], now: 100))
        #expect(claim.tieBreakDeferrals == MDNSHostClaim.maxTieBreakDeferrals)
    }
}

@Suite struct MDNSConflictLogTests {
    let a = IPAddress.v4(0xC0A8_0109)
    let b = IPAddress.v4(0xC0A8_010A)

    @Test func aSourceIsLoggedOnceAMinuteWithTheCountOfWhatWasNot() {
        var log = MDNSConflictLog()
        #expect(log.note(source: a, now: 0) == 0)
        for t in 1...99 as ClosedRange<Int64> { #expect(log.note(source: a, now: t * 100) == nil) }
        #expect(log.note(source: b, now: 10_000) == 99)
        #expect(log.note(source: a, now: 59_999) == nil)
        #expect(log.note(source: a, now: 60_000) == 1)
    }

    @Test func attackManySourcesGetAtMostSixteenLinesAMinute() {
        var log = MDNSConflictLog()
        var lines = 0
        for k in 0..<10_000 {
            if log.note(source: .v6(0xFE80_0000_0000_0000, UInt64(k)), now: Int64(k)) != nil { lines += 1 }
        }
        #expect(lines == MDNSConflictLog.capacity)
        #expect(log.unlogged == 10_000 - MDNSConflictLog.capacity)
        #expect(log.note(source: a, now: 60_000) == 10_000 - MDNSConflictLog.capacity)
    }
}

@Suite struct MDNSInterfaceTests {
    let iface = MDNSInterface(
        index: 2, name: "eth0",
        prefixes: [
            MDNSPrefix(address: .v4(0xC0A8_0102), prefixLength: 24),
            MDNSPrefix(address: .v6(0x2001_0DB8_0000_0001, 2), prefixLength: 64),
        ])

    @Test func aSourceInTheInterfacesSubnetIsOnLink() {
        #expect(iface.isOnLink(.v4(0xC0A8_01FE)))
        #expect(iface.isOnLink(.v6(0x2001_0DB8_0000_0001, 0xFFFF)))
    }

    @Test func anOffLinkSourceIsNotOnLink() {
        #expect(!iface.isOnLink(.v4(0xC0A8_0202)))
        #expect(!iface.isOnLink(.v4(0x0808_0808)))
        #expect(!iface.isOnLink(.v6(0x2001_0DB8_0000_0002, 2)))
    }

    @Test func linkLocalSourcesAreAlwaysOnLink() {
        #expect(iface.isOnLink(.v4(0xA9FE_0001)))
        #expect(iface.isOnLink(.v6(0xFE80_0000_0000_0000, 7)))
        #expect(!iface.isOnLink(.v6(0xFEC0_0000_0000_0000, 7)))
    }

    @Test func aPrefixWithoutNetmaskMatchesOnlyItself() {
        let p = MDNSPrefix(address: .v4(0x0A00_0001), prefixLength: -1)
        #expect(p.contains(.v4(0x0A00_0001)))
        #expect(!p.contains(.v4(0x0A00_0002)))
        #expect(MDNSPrefix(address: .v4(0x0A00_0001), prefixLength: 0).contains(.v4(0x0808_0808)))
    }
}
