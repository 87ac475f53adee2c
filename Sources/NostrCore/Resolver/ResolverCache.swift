/// The resolver cache shared by the DNS server and the mDNS responder
/// (the Design article, "Architecture": "the resolver cache"). Sans-IO: the caller
/// (NostrPlatform's `CachedResolver`) looks names up on relays and feeds
/// what they send; time is passed in (unix seconds).
///
/// - Positive entries hold the verified records of one name (the addresses
///   of `<label>.<npub>`, or the TLS keys of an npub) and the signed events
///   they came from, compactly (`CompactEvent`), so that the cache file
///   holds the events themselves and every one is verified again on load
///   (nothing unverified is trusted, not even our own file).
/// - Negative entries say a lookup finished (a relay sent EOSE) without a
///   record (RFC 2308 §5: negative answers are cached too).
/// - An entry is fresh for its TTL after a relay last confirmed it (EOSE of
///   a lookup, or an update on an open subscription), then stale: served
///   with a 30-second TTL while a refresh runs (RFC 8767 §4, "stale-while-
///   revalidate") for at most `maxStale` seconds (RFC 8767 §5 suggests 1–3
///   days), or forever if `maxStale` is nil. Past `maxStale` a name is
///   looked up again (`.missing`), but its records stay in the entry until
///   a relay confirms it, as the watermark below.
/// - No rollback (issue 16, item 3a): each entry keeps the newest verified
///   record of each (author, kind group, `d`), even once it expired, and
///   never takes an older one. A record past its NIP-40 `expiration` (or
///   TLS `exp`) is never served: an expired newest record means "no
///   record" (the entry turns negative, stale, so that a relay is asked for
///   a newer one), not the record it replaced. The cache file holds the
///   expired record too, so the watermark survives a restart.
/// - Bounded in names and in bytes: at most `capacity` entries, and at
///   most `byteBudget` bytes of entries as `ResolverEntry.cost` estimates
///   them (records are at most `RecordSizeLimit.maxEventBytes` each).
///   Inserting beyond either evicts the least recently used entries: a
///   sixteenth of the names, or of the budget.
public struct ResolverCache {
    public var capacity: Int
    /// At most this many bytes of entries (`ResolverEntry.cost`);
    /// `defaultByteBudget(names:)` unless set.
    public var byteBudget: Int
    /// The bytes of the entries held (the sum of their `cost`).
    public private(set) var bytes = 0
    /// RFC 8767 §4: "a TTL of 30 seconds is RECOMMENDED" for stale answers.
    public var staleTTL: UInt32 = 30
    /// RFC 8767 §5: how long past its TTL an entry may be served (seconds).
    public var maxStale: Int64? = 3 * 86400
    /// TTL of negative entries (seconds); also the SOA minimum the DNS
    /// server sends with them (RFC 2308 §5).
    public var negativeTTL: UInt32 = 60
    /// TTL of TLS key entries (the records carry none).
    public var tlsTTL: UInt32 = 60
    /// Which addresses of a record are answered (issue 16 item 4): applied
    /// once, when a record enters the cache, so a cached answer is
    /// already filtered. Set before the cache file is loaded.
    public var addressPolicy = AddressPolicy()
    /// The addresses `addressPolicy` left out since the last
    /// `takeDroppedAddresses()`, for the `-v` log (at most 256 kept).
    var dropped: [DroppedAddress] = []

    var entries: [ResolverKey: ResolverEntry] = [:]
    /// With `recordsRemovals`: keys whose entries left (evicted, expired,
    /// removed) since the last `takeRemoved()`, so that the caller stops
    /// following their authors (`FollowSet`).
    public var recordsRemovals = false
    var removed: [ResolverKey] = []

    public init(capacity: Int = 10_000, byteBudget: Int? = nil) {
        self.capacity = max(capacity, 16)
        self.byteBudget = max(byteBudget ?? Self.defaultByteBudget(names: capacity), 64 * 1024)
    }

    /// 8 MiB, or 838 bytes per name beyond 10,000 names (the
    /// `--cache-size` of `dns`): twice what an honest address entry costs
    /// (about 420 bytes), so that names, not bytes, bound a cache of honest
    /// records, while 8 KiB records (`RecordSizeLimit`) fill it at about
    /// 1,000 names.
    public static func defaultByteBudget(names: Int) -> Int {
        max(8 * 1024 * 1024, names * 838)
    }

    public var count: Int { entries.count }

    /// What the cache can say about `key` at `now`.
    public enum Result {
        /// Within its TTL: positive (`entry.found`) or negative; `ttl` is
        /// the time left, at least 1.
        case fresh(ResolverEntry, ttl: UInt32)
        /// Past its TTL but usable (RFC 8767): answer with `staleTTL`, and refresh.
        case stale(ResolverEntry)
        /// Nothing usable: look it up.
        case missing
    }

    /// Looks `key` up (and marks it used). A record that expired is no
    /// longer served: the entry turns negative and stale (refreshed on the
    /// relays), keeping the expired record as its watermark. Past
    /// `maxStale` it is `.missing`: a negative entry is dropped, one with
    /// records keeps them as the watermark until a relay confirms the name.
    public mutating func lookup(_ key: ResolverKey, now: Int64) -> Result {
        guard var entry = entries[key] else { return .missing }
        if now >= entry.expiresAt {
            entry.expire(now: now)
            if !entry.found { entry.ttl = negativeTTL }
            entry.confirmedAt = min(entry.confirmedAt, now &- Int64(entry.ttl))
            put(key, entry)
        }
        if maxStale.map({ now >= entry.staleUntil($0) }) ?? false {
            if entry.records.isEmpty { drop(key) }
            return .missing
        }
        entries[key]!.lastUsed = now
        let left = entry.freshUntil &- now
        if left > 0 { return .fresh(entry, ttl: UInt32(clamping: left)) }
        return .stale(entry)
    }

    /// The entry for `key` as it is, without marking it used.
    public func peek(_ key: ResolverKey) -> ResolverEntry? { entries[key] }

    /// The keys held, for subscriptions (in no particular order).
    public var keys: Dictionary<ResolverKey, ResolverEntry>.Keys { entries.keys }

    /// Offers an event a relay sent (or the cache file held). It goes to
    /// the entry its author, kind and `d` tag name; with `create`, a missing
    /// entry is made for it, else it is ignored. The event must pass
    /// `RecordSelection`'s checks (author, kind, `d`, size, shape, not from
    /// the future, id and BIP-340 signature) and be newer than the record
    /// it would replace, expired or not (newest `created_at`, then lowest
    /// id). An expired one is kept as the watermark and leaves no record
    /// for its label (`RecordSelection`'s `.expired`).
    /// Returns the key whose entry changed, or nil.
    @discardableResult
    public mutating func offer(_ event: Event, now: Int64, context: Secp256k1Context, create: Bool) -> ResolverKey? {
        guard let (key, label) = ResolverKey.of(event) else { return nil }
        if entries[key] == nil && !create { return nil }
        var entry = entries[key] ?? ResolverEntry(now: now)
        if let r = entry.record(label) {
            if event.createdAt < r.createdAt { return nil }
            // A tie goes to the lower id (NIP-01); ids are not stored, so
            // the stored one is recomputed (rare: same second).
            if event.createdAt == r.createdAt {
                guard let stored = try? r.compact.event(author: key.author), event.id < stored.id else { return nil }
            }
        }
        var selection = RecordSelection(
            query: key.family == .addresses
                ? .addresses(of: key.author, label: label) : .tlsKeys(of: key.author, service: label))
        let verdict = selection.offer(event, now: now, context: context)
        guard verdict == .accepted || verdict == .expired, let compact = CompactEvent(event) else { return nil }
        let meaning = selection.meaning
        // An expired record's own expiry is not kept: `now` marks it expired.
        let stored = StoredRecord(
            label: key.family == .addresses ? "" : label, createdAt: event.createdAt,
            expiresAt: meaning.map { $0.expiresAt } ?? now, compact: compact)
        guard entry.store(stored, family: key.family) else { return nil }
        if let meaning {
            entry.summarize(meaning, family: key.family, tlsTTL: tlsTTL)
            if key.family == .addresses { entry.addresses = answered(entry.addresses, key: key) }
            entry.found = true
            entry.ttl = key.family == .addresses ? entry.ttl : tlsTTL
            // Another service's record may have expired: its expiry no
            // longer counts (else the entry would turn stale at once).
            if key.family == .tlsKeys { entry.expire(now: now) }
        } else {
            entry.expire(now: now)
            if !entry.found { entry.ttl = negativeTTL }
        }
        entry.confirmedAt = now
        store(key, entry, now: now)
        return key
    }

    /// A lookup of `key` finished with an answer from at least one relay
    /// (EOSE): the entry is confirmed as it is, or becomes a negative entry.
    public mutating func confirm(_ key: ResolverKey, now: Int64) {
        if entries[key] != nil {
            entries[key]!.confirmedAt = now
        } else {
            var entry = ResolverEntry(now: now)
            entry.ttl = negativeTTL
            store(key, entry, now: now)
        }
    }

    /// Makes `key` stale at `now` (it must be confirmed by a relay before it
    /// is fresh again), remembering `confirmedAt` as its last confirmation
    /// so that `maxStale` counts from then: for entries read from the cache
    /// file.
    public mutating func markStale(_ key: ResolverKey, confirmedAt: Int64, now: Int64) {
        guard let entry = entries[key] else { return }
        entries[key]!.confirmedAt = min(confirmedAt, now &- Int64(entry.ttl))
    }

    /// After a refresh of `key` failed (no relay answered): no new refresh
    /// before `until` (caller's clock). Kept in the entry, so it is bounded
    /// like the entries.
    public mutating func deferRefresh(_ key: ResolverKey, until: Int64) {
        if entries[key] != nil { entries[key]!.refreshAfter = until }
    }

    /// `addresses` of `key`'s record that `addressPolicy` answers; the
    /// others are noted for `takeDroppedAddresses()`.
    mutating func answered(_ addresses: [IPAddress], key: ResolverKey) -> [IPAddress] {
        let kept = addressPolicy.answered(addresses, author: key.author)
        if kept.count != addresses.count {
            for a in addresses {
                guard let why = addressPolicy.refusal(of: a, author: key.author), dropped.count < 256 else { continue }
                dropped.append(DroppedAddress(key: key, address: a, refusal: why))
            }
        }
        return kept
    }

    /// The addresses left out of records since the last call (once per
    /// record that entered the cache, not per query).
    public mutating func takeDroppedAddresses() -> [DroppedAddress] {
        guard !dropped.isEmpty else { return [] }
        defer { dropped = [] }
        return dropped
    }

    /// Removes an entry.
    public mutating func remove(_ key: ResolverKey) { drop(key) }

    /// The keys removed since the last call (see `recordsRemovals`).
    public mutating func takeRemoved() -> [ResolverKey] {
        if removed.isEmpty { return [] }
        defer { removed.removeAll(keepingCapacity: true) }
        return removed
    }

    /// Every stored signed event, rebuilt, for the cache file.
    public func storedEvents() -> [Event] {
        var out: [Event] = []
        for (key, entry) in entries {
            out += entry.events(author: key.author)
        }
        return out
    }

    mutating func store(_ key: ResolverKey, _ entry: ResolverEntry, now: Int64) {
        if entries[key] == nil && entries.count >= capacity { evict(names: max(1, entries.count / 16), bytes: 0, sparing: nil) }
        put(key, entry)
        if bytes > byteBudget { evict(names: 0, bytes: bytes - (byteBudget - byteBudget / 16), sparing: key) }
    }

    /// Sets the entry of `key`, keeping `bytes` up to date.
    mutating func put(_ key: ResolverKey, _ entry: ResolverEntry) {
        let old = entries.updateValue(entry, forKey: key)
        bytes += entry.cost - (old?.cost ?? 0)
    }

    mutating func drop(_ key: ResolverKey) {
        guard let old = entries.removeValue(forKey: key) else { return }
        bytes -= old.cost
        if recordsRemovals { removed.append(key) }
    }

    /// Drops the least recently used entries (but `sparing`): at least
    /// `names` of them, and enough to free at least `bytes`.
    mutating func evict(names: Int, bytes need: Int, sparing: ResolverKey?) {
        var order: [(used: Int64, cost: Int)] = []
        order.reserveCapacity(entries.count)
        for (k, e) in entries where sparing.map({ $0 != k }) ?? true { order.append((e.lastUsed, e.cost)) }
        order.sort { $0.used < $1.used }
        var n = 0
        var freed = 0
        while n < order.count && (n < names || freed < need) {
            freed += order[n].cost
            n += 1
        }
        guard n > 0 else { return }
        let cutoff = order[n - 1].used
        var atCutoff = 0
        for i in 0..<n where order[i].used == cutoff { atCutoff += 1 }
        var dropped = 0
        let records = recordsRemovals
        var gone: [ResolverKey] = []
        entries = entries.filter { element in
            if let sparing, sparing == element.key { return true }
            let evicted = element.value.lastUsed < cutoff || (element.value.lastUsed == cutoff && dropped < atCutoff)
            if element.value.lastUsed == cutoff && evicted { dropped += 1 }
            if evicted && records { gone.append(element.key) }
            return !evicted
        }
        removed += gone
        bytes = 0
        for e in entries.values { bytes += e.cost }
    }
}

/// Which records a cache entry holds.
public enum RecordFamily: UInt8, Sendable {
    /// Address records (kinds 30053 and 30000) of one label.
    case addresses
    /// TLS key records (kinds 30059 and 30001) of an npub, every service.
    case tlsKeys
}

/// The name of a cache entry: an author, a family and, for addresses, the
/// label (the `d` value: "" for `<npub>`, "www" for `www.<npub>`, lowercase).
public struct ResolverKey: Hashable, Sendable {
    public var author: Bytes32
    public var family: RecordFamily
    public var label: String

    public init(author: Bytes32, family: RecordFamily, label: String = "") {
        self.author = author
        self.family = family
        self.label = family == .addresses ? label : ""
    }

    public static func addresses(_ author: Bytes32, label: String) -> ResolverKey {
        ResolverKey(author: author, family: .addresses, label: label)
    }

    public static func tlsKeys(_ author: Bytes32) -> ResolverKey {
        ResolverKey(author: author, family: .tlsKeys)
    }

    /// NIP-01 filters that find this entry's records: for addresses those
    /// of `RecordQuery.addresses`; for TLS keys every kind-30059 event of
    /// the author (any service) and its legacy kind-30001 events.
    public var filters: [Filter] {
        switch family {
        case .addresses:
            return RecordQuery.addresses(of: author, label: label).filters
        case .tlsKeys:
            return [Filter(authors: [author], kinds: [TLSKeyRecord.kind, LegacyRecord.certificateKind])]
        }
    }

    /// The key and the record label (`d`, or the service) an event belongs
    /// to; nil for kinds that are not records.
    public static func of(_ event: Event) -> (ResolverKey, String)? {
        switch event.kind {
        case AddressRecord.kind:
            guard let d = RecordTags.first(event.tags, "d") else { return nil }
            return (.addresses(event.pubkey, label: d), d)
        case LegacyRecord.addressKind:
            return (.addresses(event.pubkey, label: ""), "")
        case TLSKeyRecord.kind:
            guard let d = RecordTags.first(event.tags, "d") else { return nil }
            return (.tlsKeys(event.pubkey), d)
        case LegacyRecord.certificateKind:
            return (.tlsKeys(event.pubkey), TLSKeyRecord.defaultService)
        default:
            return nil
        }
    }

    // Hashing and equality by bytes: String's would pull in Unicode tables
    // (Embedded) and normalize; labels are compared byte for byte.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(author)
        hasher.combine(family)
        for b in label.utf8 { hasher.combine(b) }
    }

    public static func == (a: ResolverKey, b: ResolverKey) -> Bool {
        a.author == b.author && a.family == b.family && a.label.utf8.elementsEqual(b.label.utf8)
    }
}

/// A TLS key of an entry: its service, the port it is served on (from the
/// `u` tag, else 443 for "https") and the SPKI SHA-256 (a TLSA 3 1 1 value).
public struct CachedTLSKey: Equatable, Sendable {
    public var service: String
    public var port: UInt16?
    public var spkiSHA256: Bytes32

    public static func == (a: CachedTLSKey, b: CachedTLSKey) -> Bool {
        RecordTags.equal(a.service, b.service) && a.port == b.port && a.spkiSHA256 == b.spkiSHA256
    }
}

/// One cache entry.
public struct ResolverEntry: Sendable {
    /// Services kept per TLS entry.
    static let maxRecords = 16

    /// For address entries: the addresses (IPv4 first).
    public internal(set) var addresses: [IPAddress] = []
    /// For TLS entries: one key per service.
    public var tlsKeys: [CachedTLSKey] { tls?.keys ?? [] }
    /// Seconds this entry stays fresh after `confirmedAt`.
    public internal(set) var ttl: UInt32 = 60
    /// True for a positive entry (a record that has not expired), false for
    /// a negative one (none, or only expired ones kept as the watermark).
    public internal(set) var found = false
    /// When a relay last confirmed it (unix seconds).
    public internal(set) var confirmedAt: Int64
    /// The earliest expiry of its records (NIP-40 `expiration`, TLS `exp`).
    public internal(set) var expiresAt: Int64 = Int64.max
    var lastUsed: Int64
    /// See `ResolverCache.deferRefresh` (caller's clock).
    public internal(set) var refreshAfter: Int64 = 0
    /// The address record, compactly, and its `created_at`; nil for TLS
    /// entries. Not a `StoredRecord`: the entry is kept small, since a
    /// dictionary bucket holds it for every name (10,000 names:
    /// Tests/bench/dns-memory.sh).
    var signed: CompactEvent?
    var signedAt: Int64 = 0
    /// TLS entries: the keys and one record per service, boxed, so that
    /// address entries (most of them) carry one pointer for it, not two
    /// arrays. Replaced, never changed in place: entries are values.
    var tls: TLSRecords?
    var services: [StoredRecord] { tls?.services ?? [] }

    init(now: Int64) {
        confirmedAt = now
        lastUsed = now
    }

    /// The stored record of `label` (the service, or "" for addresses).
    func record(_ label: String) -> StoredRecord? {
        if let signed { return StoredRecord(label: "", createdAt: signedAt, expiresAt: nil, compact: signed) }
        return services.first { RecordTags.equal($0.label, label) }
    }

    /// Stores `r` in place of the record of its label; false when there is
    /// no room for another service.
    mutating func store(_ r: StoredRecord, family: RecordFamily) -> Bool {
        if family == .addresses {
            signed = r.compact
            signedAt = r.createdAt
            expiresAt = r.expiresAt ?? Int64.max
            return true
        }
        var services = self.services
        if let i = services.firstIndex(where: { RecordTags.equal($0.label, r.label) }) {
            services[i] = r
        } else {
            guard services.count < Self.maxRecords else { return false }
            services.append(r)
        }
        tls = TLSRecords(keys: tlsKeys, services: services)
        expiresAt = Int64.max
        for s in services { if let e = s.expiresAt { expiresAt = min(expiresAt, e) } }
        return true
    }

    var records: [StoredRecord] {
        if let signed { return [StoredRecord(label: "", createdAt: signedAt, expiresAt: nil, compact: signed)] }
        return services
    }
    /// Stops serving the records that expired at `now` (they stay, as the
    /// newest `created_at` seen, for the no-rollback check and the cache
    /// file); `found` turns false when none is left.
    mutating func expire(now: Int64) {
        if signed != nil {
            if expiresAt <= now {
                addresses = []
                found = false
                expiresAt = Int64.max
            }
            return
        }
        guard let tls else { return }
        var live: [StoredRecord] = []
        expiresAt = Int64.max
        for s in tls.services where (s.expiresAt.map { $0 > now } ?? true) {
            live.append(s)
            if let e = s.expiresAt { expiresAt = min(expiresAt, e) }
        }
        let keys = tls.keys.filter { k in live.contains { RecordTags.equal($0.label, k.service) } }
        self.tls = TLSRecords(keys: keys, services: tls.services)
        found = !live.isEmpty
    }

    /// The bytes this entry holds, estimated: the dictionary bucket and
    /// its key, the compact records (`CompactEvent`) and the answer data,
    /// with 32 bytes per heap object. What `ResolverCache.byteBudget` counts.
    public var cost: Int {
        var n = 192
        if let signed { n += 32 + signed.bytes.count }
        if !addresses.isEmpty { n += 32 + addresses.count * MemoryLayout<IPAddress>.stride }
        if let tls {
            n += 48 + 64
            for s in tls.services { n += MemoryLayout<StoredRecord>.stride + 32 + s.compact.bytes.count + s.label.utf8.count }
            for k in tls.keys { n += MemoryLayout<CachedTLSKey>.stride + k.service.utf8.count }
        }
        return n
    }

    var freshUntil: Int64 { confirmedAt &+ Int64(ttl) }
    func staleUntil(_ maxStale: Int64) -> Int64 { freshUntil &+ maxStale }

    /// The entry's signed events, rebuilt (ids recomputed; not verified).
    public func events(author: Bytes32) -> [Event] {
        var out: [Event] = []
        for r in records { if let e = try? r.compact.event(author: author) { out.append(e) } }
        return out
    }

    /// Recomputes the answer data after a record that says `meaning` was stored.
    mutating func summarize(_ meaning: RecordMeaning, family: RecordFamily, tlsTTL: UInt32) {
        switch (family, meaning.content) {
        case (.addresses, .addresses(let a, let t)):
            addresses = a
            ttl = UInt32(t)
        case (.tlsKeys, .tlsKey(let r)):
            let key = CachedTLSKey(service: r.service, port: Self.port(url: r.url, service: r.service), spkiSHA256: r.spkiSHA256)
            var keys = tlsKeys
            keys.removeAll { RecordTags.equal($0.service, r.service) }
            keys.append(key)
            tls = TLSRecords(keys: keys, services: services)
            ttl = tlsTTL
        default:
            return
        }
    }

    /// The port of a `u` tag ("https://<npub>.nostr:4443" → 4443; no port:
    /// 443 for https and wss), else 443 for the service "https"; nil when
    /// unknown.
    static func port(url: String?, service: String) -> UInt16? {
        guard let url else { return RecordTags.equal(service, "https") ? 443 : nil }
        let u = Array(url.utf8)
        guard let sep = u.firstIndex(of: 0x3A), u.count > sep + 2, u[sep + 1] == 0x2F, u[sep + 2] == 0x2F else { return nil }
        let scheme = u[0..<sep]
        var end = sep + 3
        while end < u.count, u[end] != 0x2F, u[end] != 0x3F, u[end] != 0x23 { end += 1 }
        let authority = u[(sep + 3)..<end]
        if let colon = authority.lastIndex(of: 0x3A), !authority.contains(0x5D) || authority.last != 0x5D {
            var v = 0
            let digits = authority[(colon + 1)...]
            guard !digits.isEmpty, digits.count <= 5 else { return nil }
            for c in digits {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v >= 1 && v <= 65535 ? UInt16(v) : nil
        }
        let s = String(decoding: scheme, as: UTF8.self)
        return RecordTags.equal(s, "https") || RecordTags.equal(s, "wss") ? 443 : nil
    }
}

/// The TLS part of an entry (see `ResolverEntry.tls`).
final class TLSRecords: @unchecked Sendable {
    let keys: [CachedTLSKey]
    let services: [StoredRecord]
    init(keys: [CachedTLSKey], services: [StoredRecord]) {
        self.keys = keys
        self.services = services
    }
}

/// A verified record of an entry, compactly.
struct StoredRecord: Sendable {
    /// The service for TLS keys; "" for addresses (the key has the label).
    var label: String
    var createdAt: Int64
    var expiresAt: Int64?
    var compact: CompactEvent
}
