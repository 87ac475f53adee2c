import Testing

@testable import NostrCore

/// The resolver cache (sans-IO): TTLs, negative entries, serve-stale (RFC
/// 8767), expiry, eviction, and the stored events verified again.
@Suite struct ResolverCacheTests {
    typealias S = Selection
    let ctx = Selection.context
    let key = ResolverKey.addresses(Selection.author3, label: "")

    func cacheWith(_ events: [Event], at now: Int64 = Selection.now) -> ResolverCache {
        var c = ResolverCache()
        for e in events { _ = c.offer(e, now: now, context: ctx, create: true) }
        return c
    }

    @Test func positiveEntryIsFreshForItsTTLThenStaleThenGone() {
        let e = S.address("192.0.2.1", extra: [["ttl", "300"]])
        var c = cacheWith([e])
        guard case .fresh(let entry, let ttl) = c.lookup(key, now: S.now + 100) else { Issue.record("not fresh"); return }
        #expect(entry.found && entry.addresses == [.v4(0xC000_0201)] && ttl == 200)
        guard case .stale(let stale) = c.lookup(key, now: S.now + 301) else { Issue.record("not stale"); return }
        #expect(stale.addresses == entry.addresses)
        guard case .missing = c.lookup(key, now: S.now + 300 + 3 * 86400) else { Issue.record("still served"); return }
        // Past max-stale the name is asked again; its record stays as the
        // watermark until a relay confirms it (issue 16, item 3a).
        #expect(c.count == 1)
        guard case .missing = c.lookup(key, now: S.now + 300 + 3 * 86400 + 1) else { Issue.record("still served"); return }
        c.confirm(key, now: S.now + 300 + 3 * 86400 + 2)
        guard case .fresh = c.lookup(key, now: S.now + 300 + 3 * 86400 + 3) else { Issue.record("not fresh once confirmed"); return }
        // A negative entry past max-stale is dropped.
        var n = ResolverCache()
        n.confirm(key, now: S.now)
        guard case .missing = n.lookup(key, now: S.now + 60 + 3 * 86400) else { Issue.record("still served"); return }
        #expect(n.count == 0)
    }

    @Test func negativeEntryAfterAnAnswerWithoutRecords() {
        var c = ResolverCache()
        c.confirm(key, now: S.now)
        guard case .fresh(let entry, let ttl) = c.lookup(key, now: S.now + 1) else { Issue.record("no entry"); return }
        #expect(!entry.found && ttl == 59)
        // A record published later turns it positive.
        #expect(c.offer(S.address("192.0.2.9"), now: S.now + 2, context: ctx, create: false) == key)
        guard case .fresh(let now, _) = c.lookup(key, now: S.now + 3) else { Issue.record("no entry"); return }
        #expect(now.found)
    }

    @Test func newerRecordReplacesOlderAndOlderIsIgnored() {
        let old = S.address("192.0.2.1", at: S.t0)
        let new = S.address("192.0.2.2", at: S.t0 + 10)
        var c = cacheWith([new])
        #expect(c.offer(old, now: S.now, context: ctx, create: true) == nil)
        #expect(c.peek(key)?.addresses == [.v4(0xC000_0202)])
        var d = cacheWith([old])
        #expect(d.offer(new, now: S.now, context: ctx, create: false) == key)
        #expect(d.peek(key)?.addresses == [.v4(0xC000_0202)])
    }

    @Test func forgedOrForeignEventsAreRefused() {
        var forged = S.address("192.0.2.1")
        forged.tags[1] = ["ip4", "203.0.113.66"]  // id no longer matches
        var c = ResolverCache()
        #expect(c.offer(forged, now: S.now, context: ctx, create: true) == nil)
        var badSig = S.address("192.0.2.1")
        badSig.sig = Bytes64(low: badSig.sig.high, high: badSig.sig.low)
        #expect(c.offer(badSig, now: S.now, context: ctx, create: true) == nil)
        #expect(c.count == 0)
        // Without `create` nothing is added for a name nobody asked for.
        #expect(c.offer(S.address("192.0.2.1"), now: S.now, context: ctx, create: false) == nil)
        #expect(c.count == 0)
    }

    @Test func expiredRecordIsNeverServed() {
        let e = S.address("192.0.2.1", extra: [["expiration", String(S.now + 50)]])
        var c = cacheWith([e])
        guard case .fresh = c.lookup(key, now: S.now + 10) else { Issue.record("not fresh"); return }
        // Expired: no record (negative, stale so that relays are asked for a newer one).
        guard case .stale(let entry) = c.lookup(key, now: S.now + 50) else { Issue.record("expired record served"); return }
        #expect(!entry.found && entry.addresses.isEmpty)
    }

    @Test func labelsAreSeparateEntries() {
        var c = cacheWith([S.address("192.0.2.1"), S.address("192.0.2.7", label: "www")])
        guard case .fresh(let www, _) = c.lookup(.addresses(S.author3, label: "www"), now: S.now) else { Issue.record("no www"); return }
        #expect(www.addresses == [.v4(0xC000_0207)])
        #expect(c.count == 2)
    }

    @Test func sizeIsBoundedByEvictingLeastRecentlyUsed() {
        var c = ResolverCache(capacity: 32)
        let a = ResolverKey.addresses(S.author3, label: "keep")
        c.confirm(a, now: S.now)
        for i in 0..<100 {
            c.confirm(.addresses(S.author7, label: "n" + String(i)), now: S.now + 1 + Int64(i))
            _ = c.lookup(a, now: S.now + 1 + Int64(i))  // keep `a` in use
        }
        #expect(c.count <= 32)
        #expect(c.peek(a) != nil)
        #expect(c.peek(.addresses(S.author7, label: "n0")) == nil)
        #expect(c.peek(.addresses(S.author7, label: "n99")) != nil)
    }

    @Test func storedEventsRoundTripAndVerify() throws {
        let events = [S.address("192.0.2.1", extra: [["ttl", "120"]]), S.tlsKey()]
        let c = cacheWith(events)
        let stored = c.storedEvents()
        #expect(stored.count == 2)
        for e in stored {
            try e.verify(context: ctx)
            #expect(events.contains(e))
        }
    }

    @Test func compactEventRebuildsTheExactEvent() throws {
        let e = S.address("2001:db8::1", extra: [["ttl", "120"], ["x", "ünïcode", "three"]])
        let compact = try #require(CompactEvent(e))
        #expect(try compact.event(author: S.author3) == e)
        // Truncated compact bytes are refused, not misread.
        let cut = CompactEvent(bytes: Array(compact.bytes.dropLast()))
        #expect(errorCode { _ = try cut.event(author: S.author3) } == .badLength)
    }

    @Test func tlsKeysAreKeptPerServiceWithTheirPorts() {
        let https = S.tlsKey()  // no `u`: 443 for https
        let key = try! Hex.decode32(String(repeating: "cd", count: 32))
        let other = signed(
            TLSKeyRecord(
                service: "relay", url: "wss://x.nostr:7447/", spkiSHA256: key, expires: nil,
                certificatePEM: samplePEM
            ).template(createdAt: S.t0))
        var c = cacheWith([https, other])
        guard case .fresh(let entry, _) = c.lookup(.tlsKeys(S.author3), now: S.now) else { Issue.record("no TLS entry"); return }
        #expect(entry.tlsKeys.count == 2)
        #expect(entry.tlsKeys.contains { $0.port == 443 && RecordTags.equal($0.service, "https") })
        #expect(entry.tlsKeys.contains { $0.port == 7447 && $0.spkiSHA256 == key })
    }

    @Test func portsComeFromTheURL() {
        #expect(ResolverEntry.port(url: "https://npub1x.nostr:4443", service: "https") == 4443)
        #expect(ResolverEntry.port(url: "https://npub1x.nostr/path", service: "x") == 443)
        #expect(ResolverEntry.port(url: "https://[2001:db8::1]:8443/", service: "x") == 8443)
        #expect(ResolverEntry.port(url: "https://[2001:db8::1]/", service: "x") == 443)
        #expect(ResolverEntry.port(url: "gopher://h", service: "x") == nil)
        #expect(ResolverEntry.port(url: "https://h:99999", service: "x") == nil)
        #expect(ResolverEntry.port(url: nil, service: "https") == 443)
    }

    @Test func markStaleKeepsTheOldConfirmationForMaxStale() {
        var c = cacheWith([S.address("192.0.2.1")])
        c.markStale(key, confirmedAt: S.now - 2 * 86400, now: S.now)
        guard case .stale = c.lookup(key, now: S.now) else { Issue.record("not stale"); return }
        guard case .missing = c.lookup(key, now: S.now + 86400 + 61) else { Issue.record("served past max-stale"); return }
    }
}
