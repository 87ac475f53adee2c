/// The authors the resolver follows (NIP-01 REQ kept open after EOSE), laid
/// out in few subscriptions of many `authors` each. Sans-IO: the caller
/// sends what `takeChanges()` returns.
///
/// - An author is followed while at least one of its names is in the
///   cache: `add` when a name of it enters, `remove` when one leaves
///   (evicted, expired), and it is dropped with its last name.
/// - At most `slots` subscriptions (`SubscriptionBudget.followSlots`) of
///   at most `maxAuthorsPerSubscription` authors: 6 × 1,700 = 10,200
///   authors cover a full cache (10,000 names) under the default budget.
///   1,700 authors make a REQ of about 115 kB, under strfry's 128 KiB
///   frame limit (`maxWebsocketPayloadSize`); nostr-relay takes 16 MiB.
///   Authors beyond the room are not followed (their names are refreshed
///   when their TTL ends) until room frees.
/// - A subscription whose authors changed is sent again under the same id,
///   which replaces its filter (NIP-01: "If there is already a subscription
///   with the same id, it is replaced").
public struct FollowSet: Sendable {
    public var maxAuthorsPerSubscription = 1_700
    /// The authors of each subscription (`fw<index>`).
    public private(set) var subscriptions: [[Bytes32]] = []
    var dirty: [Bool] = []
    /// Every author with a name in the cache: how many names, and the
    /// subscription it is in (-1: not followed, no room).
    var authors: [Bytes32: Member] = [:]
    var unplaced = 0
    public private(set) var slots: Int

    struct Member: Sendable {
        var names: Int32
        var subscription: Int32
    }

    public init(slots: Int) {
        self.slots = max(1, slots)
    }

    /// Authors with a name in the cache.
    public var count: Int { authors.count }
    /// Authors followed (in a subscription).
    public var followed: Int { authors.count - unplaced }

    /// A name of `author` entered the cache.
    public mutating func add(_ author: Bytes32) {
        if let m = authors[author] {
            authors[author]!.names = m.names &+ 1
            return
        }
        let s = place(author)
        authors[author] = Member(names: 1, subscription: s)
        if s < 0 { unplaced += 1 }
    }

    /// A name of `author` left the cache; with its last, it is no longer followed.
    public mutating func remove(_ author: Bytes32) {
        guard let m = authors[author] else { return }
        if m.names > 1 {
            authors[author]!.names = m.names - 1
            return
        }
        authors[author] = nil
        if m.subscription < 0 {
            unplaced -= 1
            return
        }
        let s = Int(m.subscription)
        if let i = subscriptions[s].firstIndex(of: author) {
            subscriptions[s].swapAt(i, subscriptions[s].count - 1)
            subscriptions[s].removeLast()
            dirty[s] = true
        }
    }

    /// Forgets every author (before following a cache from scratch).
    public mutating func reset() {
        authors.removeAll()
        unplaced = 0
        for s in subscriptions.indices where !subscriptions[s].isEmpty {
            subscriptions[s].removeAll()
            dirty[s] = true
        }
    }

    /// Changes the number of subscriptions allowed (the budget was
    /// lowered): authors of the subscriptions beyond move into the room
    /// left in the others, or are no longer followed.
    public mutating func setSlots(_ n: Int) {
        slots = max(1, n)
        guard subscriptions.count > slots else { return }
        for s in slots..<subscriptions.count {
            for a in subscriptions[s] {
                let t = place(a)
                authors[a]!.subscription = t
                if t < 0 { unplaced += 1 }
            }
            subscriptions[s].removeAll()
            dirty[s] = true
        }
    }

    /// Marks every subscription for sending again (after a relay refused one).
    public mutating func resendAll() {
        for s in dirty.indices { dirty[s] = true }
    }

    /// What to send: subscriptions to (re)open with their authors, and
    /// subscriptions to close (emptied, or beyond `slots`). Authors left
    /// without room get room that freed first.
    public mutating func takeChanges() -> (send: [(index: Int, authors: [Bytes32])], close: [Int]) {
        if unplaced > 0 && hasRoom { placeUnplaced() }
        var send: [(index: Int, authors: [Bytes32])] = []
        var close: [Int] = []
        for s in dirty.indices where dirty[s] {
            dirty[s] = false
            if subscriptions[s].isEmpty || s >= slots { close.append(s) } else { send.append((s, subscriptions[s])) }
        }
        // Trailing empty subscriptions are forgotten once closed.
        while let last = subscriptions.last, last.isEmpty, !dirty[subscriptions.count - 1] {
            subscriptions.removeLast()
            dirty.removeLast()
        }
        return (send, close)
    }

    /// Whether `takeChanges` has something to send.
    public var hasChanges: Bool {
        dirty.contains(true) || (unplaced > 0 && hasRoom)
    }

    var hasRoom: Bool {
        if subscriptions.count < slots { return true }
        for s in 0..<min(slots, subscriptions.count) where subscriptions[s].count < maxAuthorsPerSubscription { return true }
        return false
    }

    /// The subscription `author` goes into (marked changed), or -1.
    mutating func place(_ author: Bytes32) -> Int32 {
        for s in 0..<min(slots, subscriptions.count) where subscriptions[s].count < maxAuthorsPerSubscription {
            subscriptions[s].append(author)
            dirty[s] = true
            return Int32(s)
        }
        guard subscriptions.count < slots else { return -1 }
        subscriptions.append([author])
        dirty.append(true)
        return Int32(subscriptions.count - 1)
    }

    mutating func placeUnplaced() {
        var waiting: [Bytes32] = []
        for (a, m) in authors where m.subscription < 0 { waiting.append(a) }
        for a in waiting {
            let s = place(a)
            guard s >= 0 else { break }
            authors[a]!.subscription = s
            unplaced -= 1
        }
    }
}
