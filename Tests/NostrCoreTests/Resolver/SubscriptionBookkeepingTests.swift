import Testing

@testable import NostrCore

/// The resolver's subscription bookkeeping (sans-IO): the budget, lookup
/// batches and the follow set, under floods of distinct names and relays
/// that refuse subscriptions.
@Suite struct SubscriptionBookkeepingTests {
    static func author(_ n: Int) -> Bytes32 {
        Bytes32(storage: (UInt64(n), 0x5EED, UInt64(n) &* 0x9E37_79B9_7F4A_7C15, 1))
    }

    static func reqSize(_ id: String, _ filters: [Filter]) -> Int {
        var w = JSONWriter(capacity: 1024)
        ClientMessage.req(subscriptionId: id, filters: filters).write(into: &w)
        return w.bytes.count
    }

    @Test func ten_thousand_distinct_names_stay_within_the_subscription_budget() {
        let budget = SubscriptionBudget()
        var batches = LookupBatches()
        var follows = FollowSet(slots: budget.followSlots())
        var now: Int64 = 0
        var refused = 0
        var maxOpen = 0
        var resolved = 0
        var reqs = 0
        for n in 0..<10_000 {
            let key = ResolverKey.addresses(Self.author(n), label: "")
            if !batches.request(key, waiters: true) { refused += 1 }
            let opened = batches.open(slots: budget.lookupSlots(), down: 0, now: now)
            reqs += opened.count
            // One relay answers every open batch every tenth name.
            if n % 10 == 9 {
                for b in batches.batches { batches.answered(b.id, relay: 0, now: now) }
            }
            now += 1
            let p = batches.advance(now: now, relays: 1)
            for k in p.resolved { follows.add(k.author); resolved += 1 }
            // Follow changes are sent now and then (CachedResolver: every 2 s).
            if n % 100 == 0 { reqs += follows.takeChanges().send.count }
            maxOpen = max(maxOpen, batches.batches.count + follows.subscriptions.count)
        }
        while !batches.batches.isEmpty || batches.queued > 0 {
            reqs += batches.open(slots: budget.lookupSlots(), down: 0, now: now).count
            for b in batches.batches { batches.answered(b.id, relay: 0, now: now) }
            for k in batches.advance(now: now, relays: 1).resolved { follows.add(k.author); resolved += 1 }
            maxOpen = max(maxOpen, batches.batches.count + follows.subscriptions.count)
        }
        reqs += follows.takeChanges().send.count
        #expect(maxOpen <= budget.limit)
        #expect(refused == 0 && resolved == 10_000)
        // Every author of a full cache is followed, within the budget.
        #expect(follows.followed == 10_000 && follows.subscriptions.count <= budget.followSlots())
        // Far fewer REQs than names (batches of many names).
        #expect(reqs < 10_000 / 4)
    }

    @Test func a_flood_beyond_the_queue_is_refused_at_once_not_queued_without_bound() {
        var batches = LookupBatches()
        var accepted = 0
        for n in 0..<5_000 where batches.request(.addresses(Self.author(n), label: ""), waiters: true) { accepted += 1 }
        #expect(accepted == batches.maxQueued && batches.queued == batches.maxQueued)
        // Asking again for a queued name joins it.
        let joined = batches.request(.addresses(Self.author(0), label: ""), waiters: true)
        #expect(joined)
        let opened = batches.open(slots: 2, down: 0, now: 0)
        #expect(opened.count == 2 && opened.allSatisfy { $0.keys.count == batches.maxKeysPerBatch })
    }

    @Test func the_largest_lookup_and_follow_requests_stay_under_relay_frame_limits() {
        var batches = LookupBatches()
        for n in 0..<400 {
            _ = batches.request(.addresses(Self.author(n), label: n % 2 == 0 ? "" : "www"), waiters: true)
            _ = batches.request(.tlsKeys(Self.author(n)), waiters: true)
        }
        let b = batches.open(slots: 1, down: 0, now: 0)[0]
        #expect(Self.reqSize(b.id, LookupBatches.filters(for: b.keys)) < 64 * 1024)
        var follows = FollowSet(slots: 6)
        for n in 0..<10_000 { follows.add(Self.author(n)) }
        let (send, _) = follows.takeChanges()
        let kinds = [30053, 30000, 30059, 30001]
        let largest =
            send.map { Self.reqSize("fw" + String($0.index), [Filter(authors: $0.authors, kinds: kinds, since: 1_800_000_000)]) }.max() ?? 0
        // strfry's default maxWebsocketPayloadSize is 131,072 bytes.
        #expect(largest > 0 && largest < 131_072)
    }

    @Test func an_attacker_asking_many_labels_cannot_make_one_request_of_every_label() {
        var batches = LookupBatches()
        for n in 0..<100 { _ = batches.request(.addresses(Self.author(1), label: "l" + String(n)), waiters: true) }
        let b = batches.open(slots: 1, down: 0, now: 0)[0]
        #expect(b.keys.count == batches.maxLabelsPerBatch)
        #expect(LookupBatches.filters(for: b.keys).count == batches.maxLabelsPerBatch)
    }

    @Test func a_fast_relay_answering_first_does_not_close_the_lookup_for_the_slower_ones() {
        var batches = LookupBatches()
        let key = ResolverKey.addresses(Self.author(1), label: "")
        _ = batches.request(key, waiters: true)
        let b = batches.open(slots: 2, down: 0, now: 0)[0]
        batches.answered(b.id, relay: 0, now: 10)  // the fast relay
        let early = batches.advance(now: 100, relays: 3)
        #expect(early.isEmpty)
        let settled = batches.advance(now: 310, relays: 3)
        // The first answer is given, the REQ stays open for relays 1 and 2.
        #expect(settled.resolved == [key] && settled.closed.isEmpty && !batches.isPending(key))
        #expect(batches.batch(b.id) != nil)
        batches.answered(b.id, relay: 1, now: 900)
        let middle = batches.advance(now: 900, relays: 3)
        #expect(middle.isEmpty)
        batches.answered(b.id, relay: 2, now: 1500)
        let closed = batches.advance(now: 1500, relays: 3)
        #expect(closed.closed == [b.id] && closed.resolved.isEmpty)
    }

    @Test func a_relay_that_never_answers_holds_a_batch_only_until_the_timeout() {
        var batches = LookupBatches()
        let key = ResolverKey.addresses(Self.author(1), label: "")
        _ = batches.request(key, waiters: true)
        let b = batches.open(slots: 2, down: 0b10, now: 0)[0]  // relay 1 down: not waited for
        let before = batches.advance(now: 3_999, relays: 2)
        #expect(before.isEmpty)
        let p = batches.advance(now: 4_000, relays: 2)
        #expect(p.closed == [b.id] && p.timedOut.count == 1 && p.timedOut[0].waiters)
        #expect(batches.batches.isEmpty && !batches.isPending(key))
    }

    @Test func authors_are_dropped_when_their_last_name_leaves_the_cache() {
        var follows = FollowSet(slots: 2)
        let a = Self.author(1)
        follows.add(a)
        follows.add(a)  // two names of one author
        _ = follows.takeChanges()
        follows.remove(a)
        #expect(follows.followed == 1 && !follows.hasChanges)
        follows.remove(a)
        #expect(follows.followed == 0 && follows.hasChanges)
        let (send, close) = follows.takeChanges()
        #expect(send.isEmpty && close == [0])
        #expect(follows.subscriptions.isEmpty)
    }

    @Test func a_relay_refusing_subscriptions_lowers_the_budget_but_never_below_two() {
        var budget = SubscriptionBudget()
        #expect(budget.lookupSlots() + budget.followSlots() == budget.limit)
        let lowered = budget.lower(open: 6)
        #expect(lowered && budget.limit == 5)
        for _ in 0..<100 { budget.lower(open: 1) }
        #expect(budget.limit == SubscriptionBudget.floor && budget.lookupSlots() == 1 && budget.followSlots() == 1)
        let again0 = budget.lower(open: 1)
        #expect(!again0)
        var follows = FollowSet(slots: 6)
        follows.maxAuthorsPerSubscription = 10
        for n in 0..<60 { follows.add(Self.author(n)) }
        _ = follows.takeChanges()
        follows.setSlots(1)
        follows.resendAll()
        let (send, close) = follows.takeChanges()
        #expect(send.count == 1 && close == [1, 2, 3, 4, 5])
        guard send.count == 1 else { return }
        #expect(send[0].authors.count == 10 && follows.followed == 10 && follows.leftOut == 50)
        // Authors left out are not remembered (no memory per author beyond
        // the subscriptions): room that frees goes to the next name that
        // enters the cache.
        for n in 0..<5 { follows.remove(send[0].authors[n]) }
        #expect(follows.hasChanges && follows.followed == 5)
        let leftOut = (0..<60).map(Self.author).filter { !send[0].authors.contains($0) }
        for a in leftOut.prefix(8) { follows.add(a) }
        let again = follows.takeChanges()
        #expect(again.send.count == 1 && again.send[0].authors.count == 10 && follows.followed == 10 && follows.leftOut == 53)
    }

    @Test func limit_texts_of_real_relays_are_recognised_and_others_are_not() {
        for t in [
            "rejected: too many subscriptions", "error: too many concurrent REQs", "ERROR: too many concurrent REQs", "rate-limited",
            "rate-limited: slow down", "Maximum subscriptions reached",
        ] {
            #expect(SubscriptionBudget.saysLimit(t), "\(t)")
        }
        for t in ["", "auth-required: sign in", "error: bad filter", "blocked: you are banned", "duplicate: exists"] {
            #expect(!SubscriptionBudget.saysLimit(t), "\(t)")
        }
    }

    @Test func names_evicted_by_a_flood_are_reported_so_their_authors_are_unfollowed() {
        var cache = ResolverCache(capacity: 16)
        cache.recordsRemovals = true
        var follows = FollowSet(slots: 6)
        for n in 0..<1_000 {
            let key = ResolverKey.addresses(Self.author(n), label: "")
            cache.confirm(key, now: Int64(n))  // a negative entry per name
            follows.add(key.author)
            for k in cache.takeRemoved() { follows.remove(k.author) }
        }
        #expect(cache.count <= 16 && follows.followed == cache.count)
        cache.remove(ResolverKey.addresses(Self.author(999), label: ""))
        let gone = cache.takeRemoved()
        #expect(gone == [ResolverKey.addresses(Self.author(999), label: "")])
    }
}
