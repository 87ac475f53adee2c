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
///   days), or forever if `maxStale` is nil. A record past its NIP-40
///   `expiration` (or TLS `exp`) is never served.
/// - At most `capacity` entries: inserting beyond it evicts the least
///   recently used sixteenth.
public struct ResolverCache {
    public var capacity: Int
    /// RFC 8767 §4: "a TTL of 30 seconds is RECOMMENDED" for stale answers.
    public var staleTTL: UInt32 = 30
    /// RFC 8767 §5: how long past its TTL an entry may be served (seconds).
    public var maxStale: Int64? = 3 * 86400
    /// TTL of negative entries (seconds); also the SOA minimum the DNS
    /// server sends with them (RFC 2308 §5).
    public var negativeTTL: UInt32 = 60
    /// TTL of TLS key entries (the records carry none).
    public var tlsTTL: UInt32 = 60

    var entries: [ResolverKey: ResolverEntry] = [:]
    /// With `recordsRemovals`: keys whose entries left (evicted, expired,
    /// removed) since the last `takeRemoved()`, so that the caller stops
    /// following their authors (`FollowSet`).
    public var recordsRemovals = false
    var removed: [ResolverKey] = []

    public init(capacity: Int = 10_000) {
        self.capacity = max(capacity, 16)
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

    /// Looks `key` up (and marks it used). Entries past `maxStale` or whose
    /// records expired are dropped and reported `.missing`.
    public mutating func lookup(_ key: ResolverKey, now: Int64) -> Result {
        guard let entry = entries[key] else { return .missing }
        if now >= entry.expiresAt || (maxStale.map { now >= entry.staleUntil($0) } ?? false) {
            entries[key] = nil
            if recordsRemovals { removed.append(key) }
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
    /// `RecordSelection`'s checks (author, kind, `d`, shape, not from the
    /// future, not expired, id and BIP-340 signature) and be newer than the
    /// record it would replace (newest `created_at`, then lowest id).
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
        guard selection.offer(event, now: now, context: context) == .accepted, let meaning = selection.meaning,
            let compact = CompactEvent(event)
        else { return nil }
        let stored = StoredRecord(
            label: key.family == .addresses ? "" : label, createdAt: event.createdAt,
            expiresAt: meaning.expiresAt, compact: compact)
        guard entry.store(stored, family: key.family) else { return nil }
        entry.summarize(meaning, family: key.family, tlsTTL: tlsTTL)
        entry.confirmedAt = now
        entry.ttl = key.family == .addresses ? entry.ttl : tlsTTL
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

    /// Makes `key` stale now (it must be confirmed by a relay before it is
    /// fresh again), remembering `confirmedAt` as its last confirmation so
    /// that `maxStale` counts from then: for entries read from the cache file.
    public mutating func markStale(_ key: ResolverKey, confirmedAt: Int64) {
        guard let entry = entries[key] else { return }
        entries[key]!.confirmedAt = min(confirmedAt, entry.confirmedAt &- Int64(entry.ttl))
    }

    /// After a refresh of `key` failed (no relay answered): no new refresh
    /// before `until` (caller's clock). Kept in the entry, so it is bounded
    /// like the entries.
    public mutating func deferRefresh(_ key: ResolverKey, until: Int64) {
        if entries[key] != nil { entries[key]!.refreshAfter = until }
    }

    /// Removes an entry.
    public mutating func remove(_ key: ResolverKey) {
        if recordsRemovals && entries.removeValue(forKey: key) != nil { removed.append(key) } else { entries[key] = nil }
    }

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
        if entries[key] == nil && entries.count >= capacity { evict() }
        entries[key] = entry
    }

    /// Drops the least recently used sixteenth of the entries (at least one).
    mutating func evict() {
        let n = max(1, entries.count / 16)
        var uses = entries.map { $0.value.lastUsed }
        uses.sort()
        let cutoff = uses[n - 1]
        var dropped = 0
        let records = recordsRemovals
        var gone: [ResolverKey] = []
        entries = entries.filter { element in
            if dropped < n && element.value.lastUsed <= cutoff {
                dropped += 1
                if records { gone.append(element.key) }
                return false
            }
            return true
        }
        removed += gone
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

    /// True for a positive entry, false for a negative one.
    public var found: Bool { signed != nil || !services.isEmpty }

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
