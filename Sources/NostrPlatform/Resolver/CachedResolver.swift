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
/// - `lookup` answers from the cache at once, without allocating for a
///   cached name; for a missing name it starts one lookup on every relay of
///   the pool (a REQ with `ResolverKey.filters`), and concurrent lookups of
///   one name share it (coalesced). A stale entry is answered and
///   refreshed in the background the same way.
/// - A lookup is resolved when every relay answered (EOSE) or is
///   unreachable, or `settleMilliseconds` after the first EOSE, or at
///   `lookupTimeoutMilliseconds` if one relay answered; otherwise it times
///   out. Relays that are down when it starts do not hold it up.
/// - Every author in the cache is followed with an open subscription (in
///   chunks of `followChunk` authors, kinds 30053/30000/30059/30001), so
///   newer records arrive without polling and refresh the entries they
///   name (`.updated`).
/// - `save`/`load` (ResolverCacheFile.swift): the cache file (one line per
///   signed event, preceded by when a relay last confirmed it); on load
///   every event is verified again.
///
/// Use: `start(now:)`, then per loop turn `register(in:)` before poll(2),
/// `handle(_:now:)` after it, `tick(now:)`, `takeEvents()`; wake by
/// `nextDeadline()`.
public final class CachedResolver {
    public var cache: ResolverCache
    public let pool: RelayPool
    let context: Secp256k1Context
    /// How long a first lookup may take before it times out.
    public var lookupTimeoutMilliseconds: Int64 = 4_000
    /// After the first relay answered, how long to wait for the others.
    public var settleMilliseconds: Int64 = 300
    /// Lookups allowed at once; beyond, a new name times out at once.
    public var maxLookups = 256
    /// After a refresh failed, how long before the next try for that name.
    public var retryMilliseconds: Int64 = 10_000
    /// Authors per follow subscription, and follow subscriptions at most.
    public var followChunk = 100
    public var maxFollowSubscriptions = 32

    var inflight: [ResolverKey: Inflight] = [:]
    var followed: [[Bytes32]] = []
    var followDirty: [Bool] = []
    var events: [ResolverEvent] = []
    var notes: [RelayNote] = []
    var counter: UInt64 = 0
    /// True when the cache changed since the last `save`.
    public internal(set) var changed = false

    struct Inflight {
        var id: String
        var deadline: Int64
        var answered: Int = 0
        var firstAnswer: Int64? = nil
        /// Relays that failed or closed the subscription (bit per relay index).
        var failed: UInt64 = 0
        var waiters: Bool
    }

    public init(pool: RelayPool, context: Secp256k1Context, capacity: Int = 10_000) {
        self.pool = pool
        self.context = context
        cache = ResolverCache(capacity: capacity)
    }

    /// Connects the relays and follows every author already cached.
    public func start(now: Int64) {
        for key in cache.keys { follow(key.author) }
        flushFollows()
        pool.start(now: now)
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

    /// Whether a lookup for `key` is running.
    public func isPending(_ key: ResolverKey) -> Bool { inflight[key] != nil }

    func begin(_ key: ResolverKey, now: Int64, waiters: Bool) {
        if inflight[key] != nil {
            if waiters { inflight[key]!.waiters = true }
            return
        }
        guard inflight.count < maxLookups else {
            if waiters { events.append(.timedOut(key)) }
            return
        }
        counter &+= 1
        let id = "lk" + String(counter)
        var lookup = Inflight(id: id, deadline: now &+ lookupTimeoutMilliseconds, waiters: waiters)
        // Relays that are not connected or connecting now count as failed
        // until they answer: they must not hold the lookup up.
        for r in 0..<min(pool.urls.count, 64) where !pool.isConnectedOrConnecting(r) { lookup.failed |= 1 << UInt64(r) }
        inflight[key] = lookup
        pool.subscribe(id, filters: key.filters)
        if allDone(lookup) { finish(key, now: now) }
    }

    func allDone(_ l: Inflight) -> Bool {
        l.answered + l.failed.nonzeroBitCount >= pool.urls.count
    }

    func finish(_ key: ResolverKey, now: Int64) {
        guard let l = inflight.removeValue(forKey: key) else { return }
        pool.unsubscribe(l.id)
        if l.answered > 0 {
            cache.confirm(key, now: Clock.unixTime())
            changed = true
            follow(key.author)
            flushFollows()
            events.append(.resolved(key))
        } else {
            cache.deferRefresh(key, until: now &+ retryMilliseconds)
            if l.waiters { events.append(.timedOut(key)) }
        }
    }

    func key(of subscription: String) -> ResolverKey? {
        guard subscription.utf8.starts(with: "lk".utf8) else { return nil }
        for (k, l) in inflight where l.id.utf8.elementsEqual(subscription.utf8) { return k }
        return nil
    }

    // MARK: Following

    /// Adds `author` to the last follow chunk (a new one when it is full).
    /// Membership is a scan of the chunks, not a set: it runs once per new
    /// name, and a set of every author would cost memory per name.
    func follow(_ author: Bytes32) {
        let full = followed.count >= maxFollowSubscriptions && (followed.last?.count ?? 0) >= followChunk
        if full { return }
        for chunk in followed where chunk.contains(author) { return }
        if followed.last.map({ $0.count >= followChunk }) ?? true {
            guard followed.count < maxFollowSubscriptions else { return }
            followed.append([])
            followDirty.append(false)
        }
        followed[followed.count - 1].append(author)
        followDirty[followed.count - 1] = true
    }

    /// (Re)sends the follow subscriptions that changed. `since` an hour
    /// back: older records came with the lookups.
    func flushFollows() {
        let since = Clock.unixTime() - 3600
        for i in followed.indices where followDirty[i] {
            followDirty[i] = false
            let kinds = [AddressRecord.kind, LegacyRecord.addressKind, TLSKeyRecord.kind, LegacyRecord.certificateKind]
            pool.subscribe("fw" + String(i), filters: [Filter(authors: followed[i], kinds: kinds, since: since)])
        }
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
        var due: [ResolverKey] = []
        for (k, l) in inflight {
            if now >= l.deadline || (l.firstAnswer.map { now >= $0 &+ settleMilliseconds } ?? false) { due.append(k) }
        }
        for k in due { finish(k, now: now) }
    }

    public func nextDeadline() -> Int64? {
        var next = pool.nextDeadline()
        for l in inflight.values {
            var t = l.deadline
            if let f = l.firstAnswer { t = min(t, f &+ settleMilliseconds) }
            next = min(next ?? t, t)
        }
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

    func process(now: Int64) {
        for event in pool.takeEvents() {
            switch event {
            case .message(_, .event(let sub, let e)):
                let unix = Clock.unixTime()
                if let k = key(of: sub) {
                    // Only the looked-up name gets a new entry; other
                    // labels of the author refresh entries that exist.
                    let create = ResolverKey.of(e).map { $0.0 == k } ?? false
                    if cache.offer(e, now: unix, context: context, create: create) != nil { changed = true }
                } else if sub.utf8.starts(with: "fw".utf8), let k = cache.offer(e, now: unix, context: context, create: false) {
                    changed = true
                    events.append(.updated(k))
                }
            case .message(let r, .eose(let sub)):
                if let k = key(of: sub) {
                    inflight[k]!.answered += 1
                    inflight[k]!.failed &= ~(1 << UInt64(min(r, 63)))
                    if inflight[k]!.firstAnswer == nil { inflight[k]!.firstAnswer = now }
                    if allDone(inflight[k]!) { finish(k, now: now) }
                }
            case .message(let r, .closed(let sub, _)):
                if let k = key(of: sub) {
                    inflight[k]!.failed |= 1 << UInt64(min(r, 63))
                    if allDone(inflight[k]!) { finish(k, now: now) }
                }
            case .connected(let r):
                notes.append(RelayNote(relay: r, kind: .connected, text: ""))
            case .ignored(let r, let reason):
                notes.append(RelayNote(relay: r, kind: .ignored, text: reason))
            case .failed(let r, let message):
                notes.append(RelayNote(relay: r, kind: .failed, text: message))
                var done: [ResolverKey] = []
                for k in inflight.keys {
                    inflight[k]!.failed |= 1 << UInt64(min(r, 63))
                    if allDone(inflight[k]!) { done.append(k) }
                }
                for k in done { finish(k, now: now) }
            default:
                break
            }
        }
    }
}
