import Testing

@testable import NostrCore

/// The resolver cache against hostile records (issue 16): records too large
/// for any honest use, caches filled in bytes rather than names (item 2),
/// and rollback to an older record once the newest expired (item 3a).
@Suite struct ResolverCacheAttackTests {
    typealias S = Selection
    let ctx = Selection.context
    let key = ResolverKey.addresses(Selection.author3, label: "")

    /// An address record of `label` padded to about `bytes` of JSON.
    static func large(_ label: String, bytes: Int, at createdAt: Int64 = Selection.t0) -> Event {
        let e = S.address("192.0.2.1", at: createdAt, label: label, extra: [["alt", ""]])
        let pad = max(0, bytes - RecordSizeLimit.jsonBytes(e))
        return S.address("192.0.2.1", at: createdAt, label: label, extra: [["alt", String(repeating: "p", count: pad)]])
    }

    // MARK: Item 2: bytes

    @Test func oversized_address_record_is_refused() {
        var c = ResolverCache()
        let big = Self.large("", bytes: RecordSizeLimit.maxEventBytes + 1)
        #expect(RecordSizeLimit.jsonBytes(big) > RecordSizeLimit.maxEventBytes)
        #expect(c.offer(big, now: S.now, context: ctx, create: true) == nil)
        #expect(c.count == 0 && c.bytes == 0)
        // The largest allowed is taken.
        let fits = Self.large("", bytes: RecordSizeLimit.maxEventBytes)
        #expect(c.offer(fits, now: S.now, context: ctx, create: true) == key)
    }

    @Test func oversized_record_on_an_open_subscription_does_not_replace_a_cached_one() {
        var c = ResolverCache()
        #expect(c.offer(S.address("192.0.2.1"), now: S.now, context: ctx, create: true) == key)
        let big = Self.large("", bytes: 1 << 20, at: S.t0 + 10)
        #expect(c.offer(big, now: S.now, context: ctx, create: false) == nil)
        #expect(c.peek(key)?.addresses == [.v4(0xC000_0201)])
    }

    @Test func a_thousand_large_records_stay_within_the_byte_budget() {
        var c = ResolverCache()
        let budget = c.byteBudget
        #expect(budget == 8 * 1024 * 1024)
        var last: [ResolverKey] = []
        for i in 0..<1_100 {
            let label = "n" + String(i)
            let e = Self.large(label, bytes: RecordSizeLimit.maxEventBytes)
            #expect(c.offer(e, now: S.now + Int64(i), context: ctx, create: true) != nil)
            #expect(c.bytes <= budget)
            if i >= 1_090 { last.append(.addresses(S.author3, label: label)) }
        }
        // Names evicted by bytes, least recently used first.
        #expect(c.count < 1_100 && c.count > 900)
        #expect(c.peek(.addresses(S.author3, label: "n0")) == nil)
        for k in last { #expect(c.peek(k) != nil) }
        // `bytes` is what the entries cost, not a running guess.
        var sum = 0
        for k in c.keys { sum += c.peek(k)!.cost }
        #expect(sum == c.bytes)
    }

    @Test func large_records_evict_by_bytes_but_spare_the_names_in_use() {
        var c = ResolverCache(capacity: 10_000, byteBudget: 256 * 1024)
        let kept = ResolverKey.addresses(S.author3, label: "kept")
        #expect(c.offer(S.address("192.0.2.7", label: "kept"), now: S.now, context: ctx, create: true) == kept)
        for i in 0..<200 {
            _ = c.offer(Self.large("n" + String(i), bytes: 8000), now: S.now + 1 + Int64(i), context: ctx, create: true)
            _ = c.lookup(kept, now: S.now + 1 + Int64(i))
        }
        #expect(c.bytes <= 256 * 1024)
        #expect(c.peek(kept)?.addresses == [.v4(0xC000_0207)])
        #expect(c.count < 40)
    }

    @Test func ten_thousand_honest_names_fit_the_default_budget() {
        // What an honest entry costs: names, not bytes, bound such a cache.
        var c = ResolverCache()
        #expect(c.offer(S.address("192.0.2.1", extra: [["ttl", "300"]]), now: S.now, context: ctx, create: true) == key)
        let cost = c.peek(key)!.cost
        #expect(cost * 10_000 <= c.byteBudget)
        #expect(ResolverCache(capacity: 100_000).byteBudget == 100_000 * 838)
    }

    // MARK: Item 3a: no rollback

    @Test func rollback_to_an_older_address_record_after_the_newest_expired_is_refused() {
        let old = S.address("192.0.2.1", at: S.t0)
        let newest = S.address("192.0.2.2", at: S.t0 + 10, extra: [["expiration", String(S.now + 50)]])
        var c = ResolverCache()
        #expect(c.offer(old, now: S.now, context: ctx, create: true) == key)
        #expect(c.offer(newest, now: S.now, context: ctx, create: false) == key)
        guard case .fresh(let live, _) = c.lookup(key, now: S.now + 10) else { Issue.record("not fresh"); return }
        #expect(live.addresses == [.v4(0xC000_0202)])
        guard case .stale(let gone) = c.lookup(key, now: S.now + 50) else { Issue.record("expired record served"); return }
        #expect(!gone.found)
        // A relay that dropped the expired event (NIP-40) sends the old one.
        #expect(c.offer(old, now: S.now + 60, context: ctx, create: true) == nil)
        c.confirm(key, now: S.now + 61)
        guard case .fresh(let negative, _) = c.lookup(key, now: S.now + 62) else { Issue.record("no entry"); return }
        #expect(!negative.found && negative.addresses.isEmpty)
        // The owner's next record is taken.
        #expect(c.offer(S.address("192.0.2.3", at: S.t0 + 20), now: S.now + 63, context: ctx, create: false) == key)
        #expect(c.peek(key)?.found == true && c.peek(key)?.addresses == [.v4(0xC000_0203)])
    }

    @Test func rollback_when_the_expired_newest_arrives_first_is_refused() {
        // A relay sends the newest only after it expired: it still ends the record.
        let old = S.address("192.0.2.1", at: S.t0)
        let newest = S.address("192.0.2.2", at: S.t0 + 10, extra: [["expiration", String(S.now - 1)]])
        var c = ResolverCache()
        #expect(c.offer(newest, now: S.now, context: ctx, create: true) == key)
        #expect(c.peek(key)?.found == false)
        #expect(c.offer(old, now: S.now, context: ctx, create: true) == nil)
        #expect(c.peek(key)?.found == false)
        // And ends a record already cached.
        var d = ResolverCache()
        #expect(d.offer(old, now: S.now, context: ctx, create: true) == key)
        #expect(d.offer(newest, now: S.now, context: ctx, create: false) == key)
        #expect(d.peek(key)?.found == false && d.peek(key)?.addresses.isEmpty == true)
        // The watermark is kept for the cache file.
        #expect(d.storedEvents() == [newest])
    }

    @Test func rollback_to_a_replaced_tls_key_after_the_newest_expired_is_refused() {
        let tls = ResolverKey.tlsKeys(S.author3)
        let replaced = S.tlsKey(at: S.t0 - 90 * 86400)
        let newest = S.tlsKey(at: S.t0, exp: S.now + 50)
        var c = ResolverCache()
        #expect(c.offer(replaced, now: S.now, context: ctx, create: true) == tls)
        #expect(c.offer(newest, now: S.now, context: ctx, create: false) == tls)
        guard case .stale(let gone) = c.lookup(tls, now: S.now + 50) else { Issue.record("expired key served"); return }
        #expect(!gone.found && gone.tlsKeys.isEmpty)
        #expect(c.offer(replaced, now: S.now + 60, context: ctx, create: true) == nil)
        #expect(c.peek(tls)?.tlsKeys.isEmpty == true)
    }

    @Test func an_expired_tls_key_of_one_service_leaves_the_others() {
        let tls = ResolverKey.tlsKeys(S.author3)
        var c = ResolverCache()
        #expect(c.offer(S.tlsKey(at: S.t0, service: "https", exp: S.now + 50), now: S.now, context: ctx, create: true) == tls)
        #expect(c.offer(S.tlsKey(at: S.t0, service: "relay"), now: S.now, context: ctx, create: true) == tls)
        guard case .fresh(let both, _) = c.lookup(tls, now: S.now + 10) else { Issue.record("not fresh"); return }
        #expect(both.tlsKeys.count == 2)
        _ = c.lookup(tls, now: S.now + 50)
        let left = c.peek(tls)
        #expect(left?.found == true && left?.tlsKeys.count == 1 && left?.tlsKeys.first?.service == "relay")
        #expect(c.offer(S.tlsKey(at: S.t0 - 10, service: "https"), now: S.now + 60, context: ctx, create: false) == nil)
        #expect(c.peek(tls)?.tlsKeys.count == 1)
        // A new key for another service is fresh, not made stale by the expired one.
        c.confirm(tls, now: S.now + 61)
        #expect(c.offer(S.tlsKey(at: S.t0, service: "imaps"), now: S.now + 62, context: ctx, create: false) == tls)
        guard case .fresh(let three, _) = c.lookup(tls, now: S.now + 63) else { Issue.record("not fresh"); return }
        #expect(three.tlsKeys.count == 2 && !three.tlsKeys.contains { $0.service == "https" })
    }

    @Test func rollback_after_max_stale_is_refused_while_the_name_is_asked_again() {
        let old = S.address("192.0.2.1", at: S.t0)
        let newest = S.address("192.0.2.2", at: S.t0 + 10)
        var c = ResolverCache()
        #expect(c.offer(newest, now: S.now, context: ctx, create: true) == key)
        let later = S.now + 60 + 3 * 86400
        guard case .missing = c.lookup(key, now: later) else { Issue.record("served past max-stale"); return }
        // The lookup that follows: a fast relay sends the old record.
        #expect(c.offer(old, now: later, context: ctx, create: true) == nil)
        c.confirm(key, now: later + 1)
        guard case .fresh(let entry, _) = c.lookup(key, now: later + 2) else { Issue.record("not answered"); return }
        #expect(entry.addresses == [.v4(0xC000_0202)])
    }
}
