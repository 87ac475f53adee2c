import NostrCore

/// What the relays say about one name, asked once: its address record and,
/// if asked, its TLS key record of a service, each the newest valid one
/// (`RecordSelection`) with what it means (`RecordMeaning`). The one-shot
/// lookup of `resolve`, `fetch`, `pin` and the Swift API.
public struct NameLookup {
    public let name: NostrName
    /// The lookup itself: per relay what it did, per query the selection.
    public let records: RecordLookup
    let addressQuery: Int?
    let tlsQuery: Int?

    /// Asks `relays` for the address record of `name` (unless `addresses`
    /// is false) and the TLS key record of `tlsService` (if given), waits
    /// at most `timeoutMilliseconds` (or until `stop` says so), and closes
    /// the connections.
    public static func run(
        _ name: NostrName, addresses: Bool = true, tlsService: String? = nil, relays: RelayPoolBuilder,
        context: Secp256k1Context, timeoutMilliseconds: Int64,
        stop: (() -> Bool)? = nil
    ) throws(PlatformError) -> NameLookup {
        var queries: [RecordQuery] = []
        if addresses { queries.append(.addresses(of: name.publicKey, label: name.label)) }
        if let tlsService { queries.append(.tlsKeys(of: name.publicKey, service: tlsService)) }
        let records = try RecordLookup.run(
            queries, relays: relays, context: context, timeoutMilliseconds: timeoutMilliseconds,
            stop: stop)
        return NameLookup(
            name: name, records: records, addressQuery: addresses ? 0 : nil,
            tlsQuery: tlsService == nil ? nil : queries.count - 1)
    }

    /// True when at least one relay answered (else nothing can be said).
    public var anyAnswered: Bool { records.anyAnswered }

    /// The selected address record (event and meaning), if any.
    public var addressRecord: RecordSelection? { addressQuery.map { records.selections[$0] } }
    /// The selected TLS key record (event and meaning), if any.
    public var tlsKeyRecord: RecordSelection? { tlsQuery.map { records.selections[$0] } }

    /// The addresses of the name (IPv4 first); empty when it has no record.
    public var addresses: [IPAddress] { addressRecord?.meaning?.addresses ?? [] }
    /// The TLS key of the service (a seed certificate turned into one).
    public var tlsKey: TLSKeyRecord? { tlsKeyRecord?.meaning?.tlsKey }
    /// A TLS key record was refused because it had expired (and no valid one was found).
    public var tlsKeyExpired: Bool { tlsKey == nil && tlsQuery.map { records.expired[$0] } == true }
}
