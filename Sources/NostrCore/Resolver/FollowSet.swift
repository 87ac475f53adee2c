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
///   An author that finds no room (the budget was lowered, or the cache
///   holds more authors than the subscriptions can) is not followed, and
///   not remembered: its names are refreshed when their TTL ends, and it
///   is followed again when one of them next enters the cache and there is
///   room.
/// - A subscription whose authors changed is sent again under the same id,
///   which replaces its filter (NIP-01: "If there is already a subscription
///   with the same id, it is replaced").
///
/// Memory: 36 bytes per followed author (the key, and how many of its
/// names are cached), in one sorted array per subscription (found by binary
/// search), with no set or dictionary beside it: a full cache of 10,000
/// names costs about 360 kB here (`Tests/bench/dns-memory.sh`).
public struct FollowSet: Sendable {
    public var maxAuthorsPerSubscription = 1_700
    /// The authors of each subscription (`fw<index>`), sorted.
    public private(set) var subscriptions: [[Bytes32]] = []
    /// How many names of each author are cached, beside `subscriptions`.
    var names: [[Int32]] = []
    var dirty: [Bool] = []
    public private(set) var slots: Int
    /// Authors that found no room since the start (for the tests and the log).
    public private(set) var leftOut = 0

    public init(slots: Int) {
        self.slots = max(1, slots)
    }

    /// Authors followed (in a subscription).
    public var followed: Int {
        var n = 0
        for s in subscriptions { n += s.count }
        return n
    }

    /// A name of `author` entered the cache.
    public mutating func add(_ author: Bytes32) {
        if let (s, i) = find(author) {
            names[s][i] &+= 1
            return
        }
        if !place(author, names: 1) { leftOut += 1 }
    }

    /// A name of `author` left the cache; with its last, it is no longer followed.
    public mutating func remove(_ author: Bytes32) {
        guard let (s, i) = find(author) else { return }
        if names[s][i] > 1 {
            names[s][i] -= 1
            return
        }
        subscriptions[s].remove(at: i)
        names[s].remove(at: i)
        dirty[s] = true
    }

    /// Forgets every author (before following a cache from scratch).
    public mutating func reset() {
        for s in subscriptions.indices where !subscriptions[s].isEmpty {
            subscriptions[s].removeAll(keepingCapacity: true)
            names[s].removeAll(keepingCapacity: true)
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
            let moving = subscriptions[s]
            let counts = names[s]
            subscriptions[s] = []
            names[s] = []
            dirty[s] = true
            for i in moving.indices where !place(moving[i], names: counts[i]) { leftOut += 1 }
        }
    }

    /// Marks every subscription for sending again (after a relay refused one).
    public mutating func resendAll() {
        for s in dirty.indices { dirty[s] = true }
    }

    /// What to send: subscriptions to (re)open with their authors, and
    /// subscriptions to close (emptied, or beyond `slots`).
    public mutating func takeChanges() -> (send: [(index: Int, authors: [Bytes32])], close: [Int]) {
        var send: [(index: Int, authors: [Bytes32])] = []
        var close: [Int] = []
        for s in dirty.indices where dirty[s] {
            dirty[s] = false
            if subscriptions[s].isEmpty || s >= slots { close.append(s) } else { send.append((s, subscriptions[s])) }
        }
        // Trailing empty subscriptions are forgotten once closed.
        while let last = subscriptions.last, last.isEmpty, !dirty[subscriptions.count - 1] {
            subscriptions.removeLast()
            names.removeLast()
            dirty.removeLast()
        }
        return (send, close)
    }

    /// Whether `takeChanges` has something to send.
    public var hasChanges: Bool { dirty.contains(true) }

    /// The subscription and index of `author`, if it is followed.
    func find(_ author: Bytes32) -> (Int, Int)? {
        for s in subscriptions.indices {
            let i = Self.insertionIndex(of: author, in: subscriptions[s])
            if i < subscriptions[s].count && subscriptions[s][i] == author { return (s, i) }
        }
        return nil
    }

    /// Puts `author` into the first subscription with room (marked
    /// changed); false when there is none.
    mutating func place(_ author: Bytes32, names count: Int32) -> Bool {
        var target = -1
        for s in 0..<min(slots, subscriptions.count) where subscriptions[s].count < maxAuthorsPerSubscription {
            target = s
            break
        }
        if target < 0 {
            guard subscriptions.count < slots else { return false }
            var fresh: [Bytes32] = []
            fresh.reserveCapacity(maxAuthorsPerSubscription)
            var counts: [Int32] = []
            counts.reserveCapacity(maxAuthorsPerSubscription)
            subscriptions.append(fresh)
            names.append(counts)
            dirty.append(true)
            target = subscriptions.count - 1
        }
        let i = Self.insertionIndex(of: author, in: subscriptions[target])
        subscriptions[target].insert(author, at: i)
        names[target].insert(count, at: i)
        dirty[target] = true
        return true
    }

    /// The first index whose author is not below `author` (binary search).
    static func insertionIndex(of author: Bytes32, in sorted: [Bytes32]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if Self.less(sorted[mid], author) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    static func less(_ a: Bytes32, _ b: Bytes32) -> Bool {
        let x = a.storage
        let y = b.storage
        if x.0 != y.0 { return x.0 < y.0 }
        if x.1 != y.1 { return x.1 < y.1 }
        if x.2 != y.2 { return x.2 < y.2 }
        return x.3 < y.3
    }
}
