/// Choosing one record from what untrusted relays send (the Design article, "Records
/// on nostr", "Resolution rules").
///
/// The relay layer sends `query.filters` in a REQ to every relay and feeds
/// each event that comes back, from any relay, to `RecordSelection.offer`;
/// `best` is then the record to use. Nothing here trusts the relay: every
/// condition a filter asked for is checked again.

/// What is being resolved: one author's record of some kinds under one `d` value.
public struct RecordQuery: Equatable, Sendable {
    public var author: Bytes32
    /// The kinds that compete, current and legacy alike, e.g. [30053, 30000].
    public var kinds: [Int]
    /// The `d` value asked for: "" for `<npub>.nostr` itself, "www" for
    /// `www.<npub>.nostr`, the service ("https") for TLS keys. Compared byte
    /// for byte (relays match `#d` exactly; `NostrName` lowercases labels).
    ///
    /// The seed's events have no `d` tag, so a legacy kind takes part only
    /// where the seed would have answered: kind 30000 (address) for the
    /// label "" alone (the seed had no sub-names), kind 30001 (certificate)
    /// for the service "https" alone (the seed's only service, its HTTPS
    /// demo). For any other label a legacy kind is left out of the filters
    /// and its events are refused as `wrongLabel`.
    public var label: String

    public init(author: Bytes32, kinds: [Int], label: String) {
        self.author = author
        self.kinds = kinds
        self.label = label
    }

    /// Addresses of `label` (kinds 30053 and 30000).
    public static func addresses(of author: Bytes32, label: String) -> RecordQuery {
        RecordQuery(author: author, kinds: [AddressRecord.kind, LegacyRecord.addressKind], label: label)
    }

    /// TLS keys of `service` (kinds 30059 and 30001).
    public static func tlsKeys(of author: Bytes32, service: String) -> RecordQuery {
        RecordQuery(author: author, kinds: [TLSKeyRecord.kind, LegacyRecord.certificateKind], label: service)
    }

    /// NIP-01 filters for a REQ: `{"authors":[author],"kinds":[current…],"#d":[label]}`
    /// (without `#d` for the label "") for the kinds that carry a `d` tag, and `{"authors":[author],"kinds":[legacy…]}`
    /// (no `#d`: the seed's events have no tags) for the legacy kinds that
    /// apply to `label`. No `limit`: a relay may hold several versions, and
    /// NIP-51 sets of the legacy kinds by the same author would crowd out
    /// the seed's event under a limit.
    public var filters: [Filter] {
        var current: [Int] = []
        var legacy: [Int] = []
        for k in kinds {
            if RecordQuery.isLegacy(k) {
                if admitsLegacy(k) { legacy.append(k) }
            } else {
                current.append(k)
            }
        }
        var out: [Filter] = []
        if !current.isEmpty {
            // `"#d":[""]` is left out: nostr-relay 1.14 matches it against
            // stored events as if it were absent and never against live
            // ones, so an open subscription would miss updates. The author's
            // other labels that come back are refused by `offer` (wrongLabel).
            let tags = label.isEmpty ? [] : [Filter.TagQuery(letter: 0x64, values: [label])]  // "#d"
            out.append(Filter(authors: [author], kinds: current, tagQueries: tags))
        }
        if !legacy.isEmpty {
            out.append(Filter(authors: [author], kinds: legacy))
        }
        return out
    }

    /// Kinds 30000 and 30001: the seed's, without a `d` tag.
    static func isLegacy(_ kind: Int) -> Bool {
        kind == LegacyRecord.addressKind || kind == LegacyRecord.certificateKind
    }

    /// Whether a legacy kind answers for `label` (see `label`).
    func admitsLegacy(_ kind: Int) -> Bool {
        switch kind {
        case LegacyRecord.addressKind: return label.utf8.isEmpty
        case LegacyRecord.certificateKind: return RecordTags.equal(label, "https")
        default: return false
        }
    }

    public static func == (a: RecordQuery, b: RecordQuery) -> Bool {
        a.author == b.author && a.kinds == b.kinds && RecordTags.equal(a.label, b.label)
    }
}

/// Why an offered event was taken or not.
public enum RecordVerdict: Equatable, Sendable {
    /// It is the new best.
    case accepted
    /// Valid or not, it would not beat the current best (older, or as old with a higher id).
    case older
    /// The current best itself (same id), e.g. from a second relay.
    case duplicate
    case wrongAuthor
    case wrongKind
    /// Its `d` tag is not the label asked for (or a legacy kind for a label it does not serve).
    case wrongLabel
    /// Its signature does not verify (or its pubkey is not a curve point).
    case badSignature
    /// Its id is not the hash of its NIP-01 serialization.
    case badId
    /// `created_at` more than 15 minutes ahead of now.
    case future
    /// Its NIP-40 `expiration` (or, for a TLS key record, its `exp`) is not
    /// after now, and it is the newest record with a valid signature: there
    /// is no record (`best` is nil), and no older one is taken any more (no
    /// rollback, issue 16 item 3a). An expired event older than the newest
    /// is `.older`.
    case expired
    /// Larger than `RecordSizeLimit.maxEventBytes` as JSON: no honest record needs it.
    case tooLarge
    /// Not of the record shape of its kind (`AddressRecord`, `TLSKeyRecord`,
    /// `LegacyRecord`), e.g. a NIP-51 set of kind 30000.
    case notARecord
}

/// The best record seen so far for one query.
///
/// The newest record with a valid signature decides (NIP-01: of an
/// addressable event only the latest is kept), expired or not: when it is
/// past its NIP-40 `expiration` (or TLS `exp`) there is no record, and an
/// older record, expired or not, never takes its place (no rollback: a
/// relay that drops the expired event, as NIP-40 lets it, must not bring
/// the record it replaced back).
public struct RecordSelection: Sendable {
    public let query: RecordQuery
    /// The newest valid record, unless the newest valid-signature record expired (then nil).
    public private(set) var best: Event?
    /// What `best` says, read once when it was offered (nil while `best` is nil).
    public private(set) var meaning: RecordMeaning?
    /// The `created_at` and id of the newest record with a valid signature
    /// seen, `best` or the expired one that ended it; nil before any.
    public private(set) var newest: (createdAt: Int64, id: Bytes32)?

    /// The Design article: "Reject `created_at` more than 15 minutes in the future."
    public static let maxClockSkew: Int64 = 900

    public init(query: RecordQuery) {
        self.query = query
        self.best = nil
        self.meaning = nil
        self.newest = nil
    }

    /// Offers one event. Checks, in this order: author, kind, `d` (for
    /// kinds with one) or the legacy label rule, size
    /// (`RecordSizeLimit`), record shape, `created_at` ≤ now + 900, then
    /// whether it would beat the newest seen (newest `created_at`; on a tie
    /// the lowest id, NIP-01 "Kinds"), and only then the id (hash of the
    /// NIP-01 serialization) and BIP-340 signature, so that the same event
    /// sent by many relays is verified once. Current and legacy records
    /// compete by the same rule. Last, its NIP-40 `expiration` (and for
    /// kind 30059 `exp`): a verified newest record that is not valid after
    /// `now` is `.expired` and leaves no record (`best` nil, `newest` its
    /// time), so that an older one offered later is `.older`.
    ///
    /// Kinds other than the four record kinds may be queried; their events
    /// are checked for a matching `d` tag and a readable NIP-40 expiration only.
    ///
    /// `best` is not re-checked as time passes: a caller that keeps a
    /// selection past the best's expiry must check `meaning.expiresAt`.
    public mutating func offer(_ event: Event, now: Int64, context: Secp256k1Context) -> RecordVerdict {
        guard event.pubkey == query.author else { return .wrongAuthor }
        guard query.kinds.contains(event.kind) else { return .wrongKind }
        if RecordQuery.isLegacy(event.kind) {
            guard query.admitsLegacy(event.kind) else { return .wrongLabel }
        } else {
            guard let d = RecordTags.first(event.tags, "d") else { return .notARecord }
            guard RecordTags.equal(d, query.label) else { return .wrongLabel }
        }
        guard RecordSizeLimit.admits(event) else { return .tooLarge }
        let meaning: RecordMeaning
        do throws(NostrError) { meaning = try RecordMeaning(event: event) } catch { return .notARecord }
        guard event.createdAt <= now &+ RecordSelection.maxClockSkew else { return .future }
        if let newest {
            if event.createdAt < newest.createdAt { return .older }
            if event.createdAt == newest.createdAt {
                if event.id == newest.id { return .duplicate }
                if newest.id < event.id { return .older }
            }
        }
        do throws(NostrError) {
            try event.verify(context: context)
        } catch {
            return error.code == .idMismatch ? .badId : .badSignature
        }
        newest = (event.createdAt, event.id)
        if let expiry = meaning.expiresAt, expiry <= now {
            best = nil
            self.meaning = nil
            return .expired
        }
        best = event
        self.meaning = meaning
        return .accepted
    }
}
