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
