import NostrCore

extension RelayPool {
    /// A small poll loop for one-shot commands: runs the pool until
    /// `onEvent` returns true (done; the rest of that turn's events are
    /// still handed to it) or `deadline` (monotonic milliseconds)
    /// passes, or `stop` returns true (checked at least every
    /// `RelayPool.stopCheckMilliseconds`: the Swift API's task
    /// cancellation). Returns false on timeout or stop.
    public func run(
        until deadline: Int64, stop: (() -> Bool)? = nil,
        _ onEvent: (RelayPoolEvent) -> Bool
    ) throws(PlatformError) -> Bool {
        var poll = PollSet()
        poll.watchesStopSignal = stop == nil
        while true {
            // Every event of the turn is handed on, even after one that
            // ends the run: several relays often fail in the same turn
            // (offline, their lookups end together at the deadline), and
            // each failure must reach the caller's report.
            var done = false
            for e in takeEvents() where onEvent(e) { done = true }
            if done { return true }
            let now = Clock.monotonicMilliseconds()
            if now >= deadline { return false }
            guard let stop else {
                try turn(&poll, wakeAt: deadline)
                continue
            }
            if stop() { return false }
            try turn(&poll, wakeAt: min(deadline, now + RelayPool.stopCheckMilliseconds))
        }
    }

    /// How often a loop with a `stop` check looks at it.
    public static let stopCheckMilliseconds: Int64 = 50

    /// One turn of a poll loop that serves only this pool: waits for its
    /// sockets until `wakeAt` (or an earlier timer of the pool, or a signal),
    /// then serves what is ready and runs the timers.
    public func turn(_ poll: inout PollSet, wakeAt: Int64) throws(PlatformError) {
        var wake = wakeAt
        if let next = nextDeadline() { wake = min(wake, next) }
        poll.removeAll()
        register(in: &poll)
        _ = try poll.wait(timeoutMilliseconds: Clock.pollTimeout(until: wake))
        let now = Clock.monotonicMilliseconds()
        handle(poll, now: now)
        tick(now: now)
    }
}

/// One subscription per record query on every relay of a pool, and the
/// selections they feed: the shared part of one-shot lookups and of
/// `resolve --follow`.
public struct RecordSubscriptions {
    public let queries: [RecordQuery]
    /// One per query, holding the best valid record so far.
    public private(set) var selections: [RecordSelection]
    let ids: [String]

    /// Subscribes on `pool` (now, and again after each reconnect).
    public init(_ queries: [RecordQuery], pool: RelayPool) {
        self.queries = queries
        selections = queries.map { RecordSelection(query: $0) }
        ids = queries.indices.map { "nd-" + String($0) }
        for (q, id) in zip(queries, ids) { pool.subscribe(id, filters: q.filters) }
    }

    /// The query a subscription id belongs to, or nil when it is not ours.
    public func query(of subscriptionId: String) -> Int? {
        ids.firstIndex { $0.utf8.elementsEqual(subscriptionId.utf8) }
    }

    /// Offers an EVENT from a relay to its query's selection (which
    /// verifies it); nil when the subscription is not ours.
    public mutating func offer(_ event: Event, subscriptionId: String, context: Secp256k1Context) -> RecordVerdict? {
        guard let q = query(of: subscriptionId) else { return nil }
        return selections[q].offer(event, now: Clock.unixTime(), context: context)
    }

    /// Closes the subscriptions on every relay.
    public func close(_ pool: RelayPool) {
        for id in ids { pool.unsubscribe(id) }
    }
}

/// The outcome of looking records up on a pool's relays.
public struct RecordLookup {
    /// The relays asked, in the pool's order (the per-relay arrays below
    /// follow it); a `wsn://<npub>` has its address filled in.
    public var relays: [RelayURL]
    /// One selection per query, holding the best valid record found and
    /// what it means (`RecordSelection.meaning`).
    public var selections: [RecordSelection]
    /// Per relay: true once it sent EOSE for every query.
    public var answered: [Bool]
    /// Per relay: why it gave no answer, if it failed.
    public var failures: [String?]
    /// Per relay and verdict: how many events were refused, for -v reports.
    public var refused: [(relay: Int, verdict: RecordVerdict)] = []
    /// Per query: some event was refused because it had expired (so "no
    /// record" can say "expired").
    public var expired: [Bool] = []

    /// True when at least one relay answered every query.
    public var anyAnswered: Bool { answered.contains(true) }

    /// The one-shot lookup: a pool from `relays` (`RelayPoolBuilder`), `run`
    /// on it, and the pool shut down.
    public static func run(
        _ queries: [RecordQuery], relays: RelayPoolBuilder, context: Secp256k1Context,
        timeoutMilliseconds: Int64, stop: (() -> Bool)? = nil
    ) throws(PlatformError) -> RecordLookup {
        let pool = try relays.pool(reconnect: false, timeoutMilliseconds: timeoutMilliseconds)
        defer { pool.shutdown() }
        return try run(queries, pool: pool, context: context, timeoutMilliseconds: timeoutMilliseconds, stop: stop)
    }

    /// Sends one subscription per query to every relay of `pool`, offers
    /// every event to the query's selection (which verifies it), and stops
    /// when each relay has answered EOSE for all queries or failed, or at
    /// `timeoutMilliseconds`. Subscriptions are closed at the end.
    public static func run(
        _ queries: [RecordQuery], pool: RelayPool, context: Secp256k1Context,
        timeoutMilliseconds: Int64, stop: (() -> Bool)? = nil
    ) throws(PlatformError) -> RecordLookup {
        let relayCount = pool.urls.count
        var subscriptions = RecordSubscriptions(queries, pool: pool)
        var answered = Array(repeating: false, count: relayCount)
        var failures: [String?] = Array(repeating: nil, count: relayCount)
        var refused: [(relay: Int, verdict: RecordVerdict)] = []
        var eose = Array(repeating: Array(repeating: false, count: queries.count), count: relayCount)
        var expired = Array(repeating: false, count: queries.count)
        let start = Clock.monotonicMilliseconds()
        pool.start(now: start)
        let finished = try pool.run(until: start + timeoutMilliseconds, stop: stop) { event in
            switch event {
            case .message(let r, .event(let sub, let e)):
                if let verdict = subscriptions.offer(e, subscriptionId: sub, context: context),
                    verdict != .accepted && verdict != .older && verdict != .duplicate
                {
                    refused.append((r, verdict))
                    if verdict == .expired, let q = subscriptions.query(of: sub) { expired[q] = true }
                }
            case .message(let r, .eose(let sub)), .message(let r, .closed(let sub, _)):
                if let q = subscriptions.query(of: sub) { eose[r][q] = true }
                if eose[r].allSatisfy({ $0 }) { answered[r] = true }
            case .failed(let r, let message):
                if !answered[r] { failures[r] = message }
            default:
                break
            }
            return (0..<relayCount).allSatisfy { answered[$0] || pool.isDead($0) }
        }
        if !finished {
            for r in 0..<relayCount where !answered[r] && failures[r] == nil {
                failures[r] = "no answer within " + RelayPool.seconds(timeoutMilliseconds)
            }
        }
        subscriptions.close(pool)
        return RecordLookup(
            relays: pool.urls, selections: subscriptions.selections, answered: answered, failures: failures, refused: refused,
            expired: expired)
    }
}

/// What one relay said about one published event.
public enum PublishOutcome: Equatable, Sendable {
    case accepted
    case rejected(String)
    case failed(String)
}

/// What the relays said about published events: per event, per relay
/// (in the pool's order, `relays`), an outcome.
public struct PublicationReport: Sendable {
    public var relays: [RelayURL]
    /// Indexed [event][relay].
    public var outcomes: [[PublishOutcome]]
}

/// Publishing events to a pool's relays and collecting their OK answers.
public enum Publication {
    /// The one-shot publication of the command line and the Swift API: a
    /// pool from `relays` (`RelayPoolBuilder`), `run` on it, the pool shut down.
    public static func run(
        _ events: [Event], relays: RelayPoolBuilder, timeoutMilliseconds: Int64,
        stop: (() -> Bool)? = nil
    ) throws(PlatformError) -> PublicationReport {
        let pool = try relays.pool(reconnect: false, timeoutMilliseconds: timeoutMilliseconds)
        defer { pool.shutdown() }
        let outcomes = try run(events, pool: pool, timeoutMilliseconds: timeoutMilliseconds, stop: stop)
        return PublicationReport(relays: pool.urls, outcomes: outcomes.map { row in row.map { $0 ?? .failed("no answer") } })
    }

    /// Sends every event to every relay and waits until each relay has
    /// answered OK for each event, failed, or `timeoutMilliseconds` passed.
    /// Returns outcomes indexed [event][relay].
    public static func run(
        _ events: [Event], pool: RelayPool, timeoutMilliseconds: Int64,
        stop: (() -> Bool)? = nil
    ) throws(PlatformError) -> [[PublishOutcome?]] {
        let relayCount = pool.urls.count
        var outcomes: [[PublishOutcome?]] = Array(repeating: Array(repeating: nil, count: relayCount), count: events.count)
        for e in events { pool.publish(e) }
        let start = Clock.monotonicMilliseconds()
        pool.start(now: start)
        _ = try pool.run(until: start + timeoutMilliseconds, stop: stop) { event in
            switch event {
            case .message(let r, .ok(let id, let accepted, let message)):
                if let k = events.firstIndex(where: { $0.id == id }), outcomes[k][r] == nil {
                    outcomes[k][r] = accepted ? .accepted : .rejected(message)
                }
            case .failed(let r, let message):
                for k in events.indices where outcomes[k][r] == nil { outcomes[k][r] = .failed(message) }
            default:
                break
            }
            return outcomes.allSatisfy { row in row.allSatisfy { $0 != nil } }
        }
        for k in events.indices {
            for r in 0..<relayCount where outcomes[k][r] == nil {
                outcomes[k][r] = .failed("no OK within " + RelayPool.seconds(timeoutMilliseconds))
            }
        }
        return outcomes
    }
}
