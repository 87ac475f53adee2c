import NostrCore

/// Following a name's records on a long-lived pool (`resolve --follow`,
/// the Swift API's `Resolver.watch`): the subscriptions, when the first
/// answer is ready (EOSE from a relay, or the timeout), and whether the
/// records behind the answer changed since it was last shown. Sans-loop:
/// the caller's poll loop turns the pool and feeds its events here.
public struct RecordFollow {
    public private(set) var subscriptions: RecordSubscriptions
    /// A relay has answered (EOSE) or the first timeout passed.
    public private(set) var ready = false
    let readyAt: Int64
    var shown: [Bytes32]? = nil

    /// Subscribes on `pool` (now, and after each reconnect); the first
    /// answer is ready at the first EOSE or at `start + timeoutMilliseconds`.
    public init(_ queries: [RecordQuery], pool: RelayPool, start: Int64, timeoutMilliseconds: Int64) {
        subscriptions = RecordSubscriptions(queries, pool: pool)
        readyAt = start + timeoutMilliseconds
    }

    /// Offers the events of one turn (verified by the selections). Returns
    /// the relays that failed, with why (the pool reconnects them).
    public mutating func take(_ events: [RelayPoolEvent], context: Secp256k1Context, now: Int64) -> [(relay: Int, message: String)] {
        var failed: [(relay: Int, message: String)] = []
        for event in events {
            switch event {
            case .message(_, .event(let sub, let e)): _ = subscriptions.offer(e, subscriptionId: sub, context: context)
            case .message(_, .eose): ready = true
            case .failed(let r, let message): failed.append((r, message))
            default: break
            }
        }
        if !ready && now >= readyAt { ready = true }
        return failed
    }

    /// The selections (one per query) when the answer is ready and its
    /// records differ from those of the last call that returned them; else nil.
    public mutating func changedSelections() -> [RecordSelection]? {
        guard ready else { return nil }
        let ids = subscriptions.selections.compactMap { $0.best?.id }
        if let shown, shown == ids { return nil }
        shown = ids
        return subscriptions.selections
    }

    /// When the loop must look again at the latest (`now` + 60 s once ready).
    public func wakeAt(now: Int64) -> Int64 { ready ? now + 60_000 : readyAt }
}

/// What a follow does with what it learns: `resolve --follow` prints it,
/// the Swift API's `Resolver.watch` yields it. Class-constrained and taken
/// generically, like `EventLoopServer`.
public protocol RecordFollowOutput: AnyObject {
    /// A relay failed (`message` says why); the pool reconnects it.
    func relayFailed(_ url: RelayURL, _ message: String)
    /// The answer is ready, first or again because the records behind it
    /// changed: one selection per query, in the order of the queries.
    func recordsChanged(_ selections: [RecordSelection])
}

/// A `RecordFollow` on a reconnecting pool, driven by `EventLoop`: each
/// turn hands the pool's events to the follow and tells `output` what
/// changed. The one follow loop of `resolve --follow` and `Resolver.watch`.
public final class RecordFollowServer<Output: RecordFollowOutput>: EventLoopServer {
    var follow: RecordFollow
    let pool: RelayPool
    let context: Secp256k1Context
    let output: Output

    /// Subscribes `queries` on `pool` now (the first answer is ready at
    /// the first EOSE or after `timeoutMilliseconds`).
    public init(
        _ queries: [RecordQuery], pool: RelayPool, context: Secp256k1Context, timeoutMilliseconds: Int64, output: Output
    ) {
        follow = RecordFollow(queries, pool: pool, start: Clock.monotonicMilliseconds(), timeoutMilliseconds: timeoutMilliseconds)
        self.pool = pool
        self.context = context
        self.output = output
    }

    /// Follows until SIGINT or SIGTERM (the command-line tool) or until
    /// `stop` is requested (in-process); the pool is shut down at the end.
    public func run(stop: LoopStop? = nil) throws(PlatformError) {
        try EventLoop(relays: .pool(pool), stop: stop).run(self)
    }

    public func tick(now: Int64) {
        for (r, message) in follow.take(pool.takeEvents(), context: context, now: now) {
            output.relayFailed(pool.urls[r], message)
        }
        if let selections = follow.changedSelections() { output.recordsChanged(selections) }
    }

    public func register(in poll: inout PollSet, now: Int64) -> Int64? { follow.wakeAt(now: now) }

    public func handle(_ poll: PollSet, now: Int64) throws(PlatformError) {}
}
