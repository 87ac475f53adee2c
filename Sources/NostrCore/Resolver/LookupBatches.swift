/// One-shot lookups of names missing from the cache (or stale), grouped
/// into few subscriptions. Sans-IO: the caller opens each batch returned by
/// `open` as a REQ on every relay, feeds EOSE/CLOSED/failures, and acts on
/// `advance`.
///
/// - A batch is one REQ whose filters (`filters(for:)`) carry the authors
///   of up to `maxKeysPerBatch` names and `maxLabelsPerBatch` labels (NIP-01:
///   a filter takes many `authors`; one filter per label and family). The
///   events that come back are matched to names with `ResolverKey.of`, and
///   one EOSE answers every name of the batch.
/// - At most `slots` batches are open (`SubscriptionBudget.lookupSlots`);
///   further names wait in a queue of at most `maxQueued` names; beyond,
///   a name is refused at once (`request` returns false: the caller
///   answers SERVFAIL, as before).
/// - A batch is *settled* (first answers given: `Progress.resolved`) when
///   every relay answered, or `settleMilliseconds` after the first
///   answer. It stays open (its slot taken) for the relays that have not
///   answered, until they all did or `timeoutMilliseconds` passed, so that
///   a slower relay's newer record still replaces what a faster one sent
///   (a fast relay serving an old record must not win). Without any
///   answer at its deadline, its names time out.
public struct LookupBatches: Sendable {
    public var maxKeysPerBatch = 200
    public var maxLabelsPerBatch = 8
    public var maxQueued = 1_000
    public var timeoutMilliseconds: Int64 = 4_000
    public var settleMilliseconds: Int64 = 300

    public struct Batch: Sendable {
        /// The subscription id (`lk<n>`).
        public let id: String
        public let keys: [ResolverKey]
        public let deadline: Int64
        public internal(set) var firstAnswer: Int64?
        /// First answers given; the REQ stays open for the other relays.
        public internal(set) var settled = false
        /// Bit per relay: sent EOSE; failed, closed or was down.
        var answered: UInt64 = 0
        var failed: UInt64 = 0

        public func contains(_ key: ResolverKey) -> Bool { keys.contains(key) }
    }

    /// What `advance` decided.
    public struct Progress: Sendable {
        /// Answered by at least one relay: cache them (negative if no record came).
        public var resolved: [ResolverKey] = []
        /// No relay answered: fail the waiters of those with `waiters`.
        public var timedOut: [(key: ResolverKey, waiters: Bool)] = []
        /// Subscriptions to close (NIP-01 CLOSE).
        public var closed: [String] = []
        public var isEmpty: Bool { resolved.isEmpty && timedOut.isEmpty && closed.isEmpty }
    }

    public private(set) var batches: [Batch] = []
    var queue: [ResolverKey] = []
    /// Names queued or in an unsettled batch, and whether a caller waits.
    var pending: [ResolverKey: Bool] = [:]
    var counter: UInt64 = 0

    public init() {}

    /// Names waiting for a batch.
    public var queued: Int { queue.count }
    /// Whether `key` is queued or in a batch not yet settled.
    public func isPending(_ key: ResolverKey) -> Bool { pending[key] != nil }

    /// Asks for `key`: joins its lookup if one is pending, else queues it.
    /// False when the queue is full (the name is not looked up).
    public mutating func request(_ key: ResolverKey, waiters: Bool) -> Bool {
        if let w = pending[key] {
            if waiters && !w { pending[key] = true }
            return true
        }
        guard queue.count < maxQueued else { return false }
        queue.append(key)
        pending[key] = waiters
        return true
    }

    /// Opens batches from the queue while fewer than `slots` are open.
    /// `down` has a bit per relay that cannot answer now (it must not hold
    /// a batch up). Returns the new batches.
    public mutating func open(slots: Int, down: UInt64, now: Int64) -> [Batch] {
        var opened: [Batch] = []
        while batches.count < slots && !queue.isEmpty {
            var keys: [ResolverKey] = []
            var labels: [String] = []
            var left: [ResolverKey] = []
            for k in queue {
                guard keys.count < maxKeysPerBatch else {
                    left.append(k)
                    continue
                }
                let label = k.family == .addresses ? k.label : "\u{0}tls"
                if !labels.contains(where: { $0.utf8.elementsEqual(label.utf8) }) {
                    guard labels.count < maxLabelsPerBatch else {
                        left.append(k)
                        continue
                    }
                    labels.append(label)
                }
                keys.append(k)
            }
            queue = left
            counter &+= 1
            var b = Batch(id: "lk" + String(counter), keys: keys, deadline: now &+ timeoutMilliseconds)
            b.failed = down
            batches.append(b)
            opened.append(b)
        }
        return opened
    }

    /// The batch of subscription `id`.
    public func batch(_ id: String) -> Batch? {
        guard id.utf8.starts(with: "lk".utf8) else { return nil }
        for b in batches where b.id.utf8.elementsEqual(id.utf8) { return b }
        return nil
    }

    /// Relay `relay` sent EOSE for `id`.
    public mutating func answered(_ id: String, relay: Int, now: Int64) {
        guard let i = index(id) else { return }
        let bit = Self.bit(relay)
        batches[i].answered |= bit
        batches[i].failed &= ~bit
        if batches[i].firstAnswer == nil { batches[i].firstAnswer = now }
    }

    /// Relay `relay` closed `id` (CLOSED) or was found down.
    public mutating func failed(_ id: String, relay: Int) {
        guard let i = index(id) else { return }
        if batches[i].answered & Self.bit(relay) == 0 { batches[i].failed |= Self.bit(relay) }
    }

    /// Relay `relay` failed (or refused a REQ without saying which): every
    /// batch it has not answered stops waiting for it. An EOSE that comes
    /// later still counts.
    public mutating func relayFailed(_ relay: Int) {
        let bit = Self.bit(relay)
        for i in batches.indices where batches[i].answered & bit == 0 { batches[i].failed |= bit }
    }

    /// A relay refused a subscription for a limit without saying which (a
    /// NOTICE): the batches no relay has answered yet are closed and their
    /// names queued again, first, to go out within the lowered budget.
    /// Returns the subscriptions to close.
    public mutating func retryUnanswered() -> [String] {
        var closed: [String] = []
        var again: [ResolverKey] = []
        batches.removeAll { b in
            guard b.answered == 0 else { return false }
            closed.append(b.id)
            again += b.keys
            return true
        }
        queue = again + queue
        return closed
    }

    /// Settles and closes what is due at `now` with `relays` relays in the pool.
    public mutating func advance(now: Int64, relays: Int) -> Progress {
        var p = Progress()
        var i = 0
        while i < batches.count {
            let b = batches[i]
            let done = (b.answered | b.failed).nonzeroBitCount >= min(relays, 64)
            let over = now >= b.deadline
            if !b.settled && b.answered != 0 && (done || over || now >= (b.firstAnswer ?? now) &+ settleMilliseconds) {
                batches[i].settled = true
                for k in b.keys {
                    pending[k] = nil
                    p.resolved.append(k)
                }
            }
            if done || over {
                if b.answered == 0 {
                    for k in b.keys { p.timedOut.append((k, pending.removeValue(forKey: k) ?? false)) }
                }
                p.closed.append(b.id)
                batches.remove(at: i)
                continue
            }
            i += 1
        }
        return p
    }

    /// The next time `advance` has something to do.
    public func nextDeadline() -> Int64? {
        var next: Int64? = nil
        for b in batches {
            var t = b.deadline
            if !b.settled, let f = b.firstAnswer { t = min(t, f &+ settleMilliseconds) }
            next = min(next ?? t, t)
        }
        return next
    }

    func index(_ id: String) -> Int? {
        batches.firstIndex { $0.id.utf8.elementsEqual(id.utf8) }
    }

    static func bit(_ relay: Int) -> UInt64 { 1 << UInt64(min(max(relay, 0), 63)) }

    /// NIP-01 filters for a batch: per label, `{"authors":[…],"kinds":[30053],"#d":[label]}`
    /// (no `#d` for the label "", as `RecordQuery.filters`), plus
    /// `{"authors":[…],"kinds":[30000]}` for the label "" (the legacy kind)
    /// and `{"authors":[…],"kinds":[30059,30001]}` for TLS keys.
    public static func filters(for keys: [ResolverKey]) -> [Filter] {
        var labels: [String] = []
        var authors: [[Bytes32]] = []
        var tls: [Bytes32] = []
        for k in keys {
            if k.family == .tlsKeys {
                if !tls.contains(k.author) { tls.append(k.author) }
                continue
            }
            if let i = labels.firstIndex(where: { $0.utf8.elementsEqual(k.label.utf8) }) {
                if !authors[i].contains(k.author) { authors[i].append(k.author) }
            } else {
                labels.append(k.label)
                authors.append([k.author])
            }
        }
        var out: [Filter] = []
        for (i, label) in labels.enumerated() {
            let tags = label.isEmpty ? [] : [Filter.TagQuery(letter: 0x64, values: [label])]  // "#d"
            out.append(Filter(authors: authors[i], kinds: [AddressRecord.kind], tagQueries: tags))
            if label.isEmpty { out.append(Filter(authors: authors[i], kinds: [LegacyRecord.addressKind])) }
        }
        if !tls.isEmpty { out.append(Filter(authors: tls, kinds: [TLSKeyRecord.kind, LegacyRecord.certificateKind])) }
        return out
    }
}
