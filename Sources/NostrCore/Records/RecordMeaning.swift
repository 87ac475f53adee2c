/// What a record event says, decided in one place (the Design article,
/// "Records on nostr", "Resolution rules"): the addresses and TTL of an
/// address record, or the TLS key of a TLS key record, whether it is
/// written in the current format (kinds 30053, 30059) or in the seed's
/// (kinds 30000, 30001: the seed format).
///
/// `RecordSelection.offer` reads it once, as its shape check, and keeps it
/// with the selected event (`RecordSelection.meaning`); the resolver cache,
/// `resolve`, `fetch`/`pin` and the Swift API take it from there instead of
/// decoding the event again.
public struct RecordMeaning: Equatable, Sendable {
    /// What the record says.
    public enum Content: Equatable, Sendable {
        /// Kind 30053 (`AddressRecord`: its addresses, IPv4 first, and its
        /// effective TTL) or the seed's kind 30000 (its one address, TTL 60).
        case addresses([IPAddress], ttl: Int)
        /// Kind 30059 (`TLSKeyRecord`) or the seed's kind 30001, turned into
        /// a TLS key record of the service "https" by hashing its
        /// certificate's key (RFC 5280 §4.1.2.7), `expires` its notAfter.
        case tlsKey(TLSKeyRecord)
        /// A seed-format certificate event (kind 30001) of the right shape
        /// whose certificate mbedTLS cannot read: a record, but no key.
        case unreadableCertificate
        /// Any other kind: only its `d` tag and NIP-40 `expiration` are read.
        case other
    }

    public let content: Content
    /// The earliest of the record's expiry times: NIP-40 `expiration`, and
    /// `exp` for a TLS key record (the seed's records carry none). Never
    /// served at or after it.
    public let expiresAt: Int64?
    /// Written in the seed's format (kinds 30000, 30001).
    public let isSeedFormat: Bool

    public init(content: Content, expiresAt: Int64?, isSeedFormat: Bool = false) {
        self.content = content
        self.expiresAt = expiresAt
        self.isSeedFormat = isSeedFormat
    }

    /// Reads an event of any kind (its id and signature are
    /// `RecordSelection`'s business). `.recordShape` when it is not of the
    /// record shape of its kind (`AddressRecord`, `TLSKeyRecord`,
    /// `LegacyRecord`, or for other kinds an unreadable `expiration`).
    public init(event: Event) throws(NostrError) {
        switch event.kind {
        case AddressRecord.kind:
            let record = try AddressRecord(event: event)
            self.init(content: .addresses(record.addresses, ttl: record.effectiveTTL), expiresAt: record.expiration)
        case TLSKeyRecord.kind:
            let record = try TLSKeyRecord(event: event)
            let nip40 = try RecordTags.expiration(event.tags)
            let expiry: Int64?
            switch (record.expires, nip40) {
            case (let a?, let b?): expiry = min(a, b)
            case (let a?, nil): expiry = a
            default: expiry = nip40
            }
            self.init(content: .tlsKey(record), expiresAt: expiry)
        case LegacyRecord.addressKind, LegacyRecord.certificateKind:
            switch try LegacyRecord(event: event) {
            case .address(let a):
                // The Design article, "Resolution rules": no `ttl`, so 60.
                self.init(content: .addresses([a], ttl: 60), expiresAt: nil, isSeedFormat: true)
            case .certificate(let pem):
                guard let info = try? CertificateInfo(pem: Array(pem.utf8)) else {
                    self.init(content: .unreadableCertificate, expiresAt: nil, isSeedFormat: true)
                    return
                }
                let record = TLSKeyRecord(
                    service: TLSKeyRecord.defaultService, url: nil, spkiSHA256: info.spkiSHA256,
                    expires: info.notAfter, certificatePEM: pem)
                // No tags, so no expiration: notAfter is reported, not enforced
                // (as the seed did).
                self.init(content: .tlsKey(record), expiresAt: nil, isSeedFormat: true)
            }
        default:
            self.init(content: .other, expiresAt: try RecordTags.expiration(event.tags))
        }
    }

    /// The addresses of an address record (IPv4 first); empty otherwise.
    public var addresses: [IPAddress] {
        if case .addresses(let a, _) = content { return a }
        return []
    }

    /// The effective TTL in seconds of an address record (`AddressRecord.effectiveTTL`,
    /// 60 for the seed's); nil otherwise.
    public var ttl: Int? {
        if case .addresses(_, let t) = content { return t }
        return nil
    }

    /// The TLS key record (the seed's certificate turned into one); nil otherwise.
    public var tlsKey: TLSKeyRecord? {
        if case .tlsKey(let r) = content { return r }
        return nil
    }

    public static func == (a: RecordMeaning, b: RecordMeaning) -> Bool {
        a.content == b.content && a.expiresAt == b.expiresAt && a.isSeedFormat == b.isSeedFormat
    }
}

extension RecordMeaning.Content {
    public static func == (a: RecordMeaning.Content, b: RecordMeaning.Content) -> Bool {
        switch (a, b) {
        case (.addresses(let x, let s), .addresses(let y, let t)): return x == y && s == t
        case (.tlsKey(let x), .tlsKey(let y)): return x == y
        case (.unreadableCertificate, .unreadableCertificate), (.other, .other): return true
        default: return false
        }
    }
}
