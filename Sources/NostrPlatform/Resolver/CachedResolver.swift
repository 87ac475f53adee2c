import NostrCore

/// What `CachedResolver.lookup` can say at once.
public enum ResolverAnswer {
    /// A positive entry: fresh, or stale (RFC 8767: answer with `ttl`,
    /// which is then the stale TTL, while a refresh runs).
    case found(ResolverEntry, ttl: UInt32, stale: Bool)
    /// A negative entry (a relay answered and had no record): RFC 2308.
    case notFound(ttl: UInt32)
    /// Nothing cached: a lookup on the relays is running (started now, or
    /// earlier for the same name); a `.resolved` or `.timedOut` event for
    /// this key follows.
    case pending
}

/// What happened since the last `takeEvents()`.
public enum ResolverEvent: Equatable {
    /// A lookup finished with an answer from at least one relay: the cache
    /// now holds a positive or a negative entry for the key.
    case resolved(ResolverKey)
    /// A lookup finished without any relay answering (all unreachable, or
    /// the deadline passed): callers waiting on it should fail (SERVFAIL).
    case timedOut(ResolverKey)
    /// An open subscription brought a newer record for a cached key.
    case updated(ResolverKey)
}

/// What a relay of the pool did, for the server's log (`takeRelayNotes()`).
public struct RelayNote: Equatable {
    public enum Kind: Equatable {
        /// The WebSocket upgrade succeeded.
        case connected
        /// The connection failed or was lost (`text` says why); retried after a backoff delay.
        case failed
        /// The first message of this connection that was not NIP-01 (`text` says why), dropped.
        case ignored
    }
    public let relay: Int
    public let kind: Kind
    public let text: String
}

/// The resolver cache driven on relays, in the caller's poll loop: the one
/// the DNS server and the mDNS responder share.
///
/// Every relay connection holds at most `budget.limit` of our
/// subscriptions (default 8, `SubscriptionBudget`), lookups and follows
/// together, so a relay's own limit (nostr-relay 32, strfry 20, or 10 on a
/// tight one) is never hit by a flood of distinct names:
/// - `lookup` answers from the cache at once, without allocating for a
///   cached name; a missing name is queued for a lookup (`LookupBatches`):
///   names go to the relays in batches (one REQ carries up to 200 names,
///   NIP-01 filters with many `authors`), concurrent lookups of one name
///   share one, and beyond the queue's bound a new name times out at once.
///   A stale entry is answered and refreshed in the background the same way.
/// - A batch's first answers are given when every relay answered (EOSE) or
///   is unreachable, or `settleMilliseconds` after the first EOSE (or at
///   `lookupTimeoutMilliseconds` if one relay answered; otherwise its names
///   time out); its REQ stays open until every relay answered or the
///   timeout, and a newer record that a slower relay sends meanwhile
///   replaces the cached one at once (`.updated`).
/// - Every author with a name in the cache is followed (`FollowSet`: up to
///   1,700 authors per subscription, kinds 30053/30000/30059/30001), so
///   newer records arrive without polling and refresh the entries they
///   name (`.updated`); an author is dropped when its last name leaves
///   the cache. Changed follow subscriptions are sent again (same id,
///   NIP-01 replaces the filter) at most every `followFlushMilliseconds`.
/// - A `CLOSED` or `NOTICE` that says a limit was hit lowers the budget
///   (never below 2) for the whole pool, since the pool sends every
///   subscription to every relay; the follows are laid out again in fewer
///   subscriptions.
/// - `save`/`load` (ResolverCacheFile.swift): the cache file (one line per signed event, preceded by
///   when a relay last confirmed it); on load every event is verified again.
///
/// Use: `start(now:)`, then per loop turn `register(in:)` before poll(2),
/// `handle(_:now:)` after it, `tick(now:)`, `takeEvents()`; wake by
/// `nextDeadline()`.
public final class CachedResolver {
    public var cache: ResolverCache
    public let pool: RelayPool
    let context: Secp256k1Context
    /// How long a first lookup may take before it times out; a batch's REQ
    /// stays open this long for relays that have not answered.
    public var lookupTimeoutMilliseconds: Int64 {
        get { lookups.timeoutMilliseconds }
        set { lookups.timeoutMilliseconds = newValue }
    }
    /// After the first relay answered, how long before the first answer is given.
    public var settleMilliseconds: Int64 {
        get { lookups.settleMilliseconds }
        set { lookups.settleMilliseconds = newValue }
    }
    /// Names waiting for a lookup at most; beyond, a new name times out at once.
    public var maxQueuedLookups: Int {
        get { lookups.maxQueued }
        set { lookups.maxQueued = newValue }
    }
    /// After a refresh failed, how long before the next try for that name.
    public var retryMilliseconds: Int64 = 10_000
    /// Our subscriptions per relay connection at most.
    public var budget = SubscriptionBudget() {
        didSet { follows.setSlots(budget.followSlots(reserved: reserved)) }
    }
    /// Changed follow subscriptions are sent again at most this often.
    public var followFlushMilliseconds: Int64 = 2_000

    public internal(set) var lookups = LookupBatches()
    public internal(set) var follows = FollowSet(slots: SubscriptionBudget().followSlots())
    var nextFollowFlush: Int64 = 0
    var events: [ResolverEvent] = []
    var notes: [RelayNote] = []
    /// Subscriptions the pool opens itself (the `wsn://` locator).
    var reserved = 0
    /// REQs sent (batches and follow subscriptions, each counted once for
    /// the pool), for the log and the tests.
    public private(set) var requestsSent = 0
    /// How often a relay's limit lowered the budget.
    public private(set) var limitsHit = 0
    /// True when the cache changed since the last `save`.
    public internal(set) var changed = false

    public init(pool: RelayPool, context: Secp256k1Context, capacity: Int = 10_000) {
        self.pool = pool
        self.context = context
        cache = ResolverCache(capacity: capacity)
        cache.recordsRemovals = true
    }

    /// Connects the relays and follows every author already cached.
    public func start(now: Int64) {
        pool.start(now: now)
        reserved = pool.subscriptions.count
        follows.setSlots(budget.followSlots(reserved: reserved))
        _ = cache.takeRemoved()
        follows.reset()
        for key in cache.keys { follows.add(key.author) }
        flushFollows(now: now)
    }

    // MARK: Lookups

    /// The cache's answer for `key` now; starts (or joins) a relay lookup
    /// when there is none, or a background refresh when it is stale.
    public func lookup(_ key: ResolverKey, now: Int64) -> ResolverAnswer {
        switch cache.lookup(key, now: Clock.unixTime()) {
        case .fresh(let entry, let ttl):
            return entry.found ? .found(entry, ttl: ttl, stale: false) : .notFound(ttl: ttl)
        case .stale(let entry):
            if now >= entry.refreshAfter { begin(key, now: now, waiters: false) }
            return entry.found ? .found(entry, ttl: cache.staleTTL, stale: true) : .notFound(ttl: cache.staleTTL)
        case .missing:
            begin(key, now: now, waiters: true)
            return .pending
        }
    }

    /// Whether a lookup for `key` is queued or running.
    public func isPending(_ key: ResolverKey) -> Bool { lookups.isPending(key) }

    func begin(_ key: ResolverKey, now: Int64, waiters: Bool) {
        guard lookups.request(key, waiters: waiters) else {
            if waiters { events.append(.timedOut(key)) }
            return
        }
        openBatches(now: now)
    }

    /// Opens queued names as batches while the budget allows, and settles
    /// what is due.
    func openBatches(now: Int64) {
        var down: UInt64 = 0
        // Relays that are not connected or connecting now count as failed
        // until they answer: they must not hold a batch up.
        for r in 0..<min(pool.urls.count, 64) where !pool.isConnectedOrConnecting(r) { down |= 1 << UInt64(r) }
        for b in lookups.open(slots: budget.lookupSlots(reserved: reserved), down: down, now: now) {
            pool.subscribe(b.id, filters: LookupBatches.filters(for: b.keys))
            requestsSent += 1
        }
        settle(now: now)
    }

    /// Acts on what `LookupBatches.advance` decided; opens the next batches
    /// when some closed.
    func settle(now: Int64) {
        var p = lookups.advance(now: now, relays: pool.urls.count)
        while !p.isEmpty {
            let unix = Clock.unixTime()
            for k in p.resolved {
                if cache.peek(k) == nil { follows.add(k.author) }
                cache.confirm(k, now: unix)
                changed = true
                events.append(.resolved(k))
            }
            for (k, waiters) in p.timedOut {
                cache.deferRefresh(k, until: now &+ retryMilliseconds)
                if waiters { events.append(.timedOut(k)) }
            }
            for id in p.closed { pool.unsubscribe(id) }
            trackRemovals()
            guard !p.closed.isEmpty else { break }
            var down: UInt64 = 0
            for r in 0..<min(pool.urls.count, 64) where !pool.isConnectedOrConnecting(r) { down |= 1 << UInt64(r) }
            let opened = lookups.open(slots: budget.lookupSlots(reserved: reserved), down: down, now: now)
            for b in opened {
                pool.subscribe(b.id, filters: LookupBatches.filters(for: b.keys))
                requestsSent += 1
            }
            guard !opened.isEmpty else { break }
            p = lookups.advance(now: now, relays: pool.urls.count)
        }
    }

    // MARK: Following

    /// Names that left the cache: their authors lose one name each.
    func trackRemovals() {
        for k in cache.takeRemoved() { follows.remove(k.author) }
    }

    /// (Re)sends the follow subscriptions that changed, and closes those
    /// emptied. `since` an hour back: older records came with the lookups.
    func flushFollows(now: Int64) {
        nextFollowFlush = now &+ followFlushMilliseconds
        let (send, close) = follows.takeChanges()
        let since = Clock.unixTime() - 3600
        let kinds = [AddressRecord.kind, LegacyRecord.addressKind, TLSKeyRecord.kind, LegacyRecord.certificateKind]
        for i in close { pool.unsubscribe("fw" + String(i)) }
        for (i, authors) in send {
            pool.subscribe("fw" + String(i), filters: [Filter(authors: authors, kinds: kinds, since: since)])
            requestsSent += 1
        }
    }

    /// A relay refused a subscription for a limit. When the budget could
    /// be lowered: batches no relay answered yet go out again within it
    /// (the refused one is among them: a NOTICE does not say which), and
    /// the follows are laid out again and all sent again (a refused one is
    /// missing on that relay). At the floor, batches only stop waiting for
    /// that relay and nothing more is sent, so a relay repeating the text
    /// gains nothing.
    func limitHit(relay r: Int, now: Int64) {
        let open = lookups.batches.count + follows.subscriptions.count + reserved
        guard budget.lower(open: open) else {
            lookups.relayFailed(r)
            return
        }
        limitsHit += 1
        for id in lookups.retryUnanswered() { pool.unsubscribe(id) }
        lookups.relayFailed(r)
        follows.resendAll()
        flushFollows(now: now)
        openBatches(now: now)
    }

    // MARK: The poll loop

    public func register(in poll: inout PollSet) { pool.register(in: &poll) }

    public func handle(_ poll: PollSet, now: Int64) {
        pool.handle(poll, now: now)
        process(now: now)
    }

    public func tick(now: Int64) {
        pool.tick(now: now)
        process(now: now)
        settle(now: now)
        if now >= nextFollowFlush && follows.hasChanges { flushFollows(now: now) }
    }

    public func nextDeadline() -> Int64? {
        var next = pool.nextDeadline()
        if let t = lookups.nextDeadline() { next = min(next ?? t, t) }
        if follows.hasChanges { next = min(next ?? nextFollowFlush, nextFollowFlush) }
        return next
    }

    /// Relay connections made, lost and misbehaving since the last call, oldest first.
    public func takeRelayNotes() -> [RelayNote] {
        if notes.isEmpty { return [] }
        let out = notes
        notes.removeAll(keepingCapacity: true)
        return out
    }

    public func takeEvents() -> [ResolverEvent] {
        if events.isEmpty { return [] }
        let out = events
        events.removeAll(keepingCapacity: true)
        return out
    }

    /// Offers an event from a relay; a name of its batch gets an entry made
    /// (`create`). Reports `.updated` when it changed a name whose first
    /// answer was given already.
    func offer(_ e: Event, batch: LookupBatches.Batch?) {
        guard let (k, _) = ResolverKey.of(e) else { return }
        let isNew = cache.peek(k) == nil
        let create = batch?.contains(k) ?? false
        guard cache.offer(e, now: Clock.unixTime(), context: context, create: create) != nil else { return }
        changed = true
        if isNew { follows.add(k.author) }
        if !lookups.isPending(k) && !isNew { events.append(.updated(k)) }
    }

    func process(now: Int64) {
        for event in pool.takeEvents() {
            switch event {
            case .message(_, .event(let sub, let e)):
                if let b = lookups.batch(sub) {
                    offer(e, batch: b)
                } else if sub.utf8.starts(with: "fw".utf8) {
                    offer(e, batch: nil)
                }
            case .message(let r, .eose(let sub)):
                lookups.answered(sub, relay: r, now: now)
            case .message(let r, .closed(let sub, let text)):
                lookups.failed(sub, relay: r)
                if SubscriptionBudget.saysLimit(text) { limitHit(relay: r, now: now) }
            case .message(let r, .notice(let text)):
                if SubscriptionBudget.saysLimit(text) { limitHit(relay: r, now: now) }
            case .connected(let r):
                notes.append(RelayNote(relay: r, kind: .connected, text: ""))
            case .ignored(let r, let reason):
                notes.append(RelayNote(relay: r, kind: .ignored, text: reason))
            case .failed(let r, let message):
                notes.append(RelayNote(relay: r, kind: .failed, text: message))
                lookups.relayFailed(r)
            default:
                break
            }
        }
        trackRemovals()
        settle(now: now)
    }
}
