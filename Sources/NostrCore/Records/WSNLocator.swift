/// Where the `wsn://<npub>` relays named without an address live, followed
/// for as long as a long-lived loop runs (the Design article, "wsn:// relays"): their
/// `wsn` address records (`WSNAddressRecord`), asked for on the other
/// relays with one open subscription, checked like any record
/// (`RecordSelection`: author, kind, `d`, clock skew, expiry, id and
/// signature; the newest wins), so a relay found late (the router booted
/// before its uplink) or one that moved is connected to at its new place.
///
/// Sans-IO: the relay pool sends `filters` under `subscriptionID` and
/// offers each event that comes back.
public struct WSNLocator: Sendable {
    /// The subscription the pool keeps open for it.
    public static let subscriptionID = "wsn-address"

    /// Where a relay is, from its newest valid record: the record's first
    /// address (IPv4 before IPv6, as records list them) and its port.
    public struct Endpoint: Equatable, Sendable {
        public var host: String
        public var port: UInt16
    }

    /// One per relay key, in the order given.
    public private(set) var selections: [RecordSelection]

    public init(keys: [Bytes32]) {
        selections = keys.map {
            RecordSelection(query: RecordQuery(author: $0, kinds: [AddressRecord.kind], label: WSNAddressRecord.label))
        }
    }

    /// One NIP-01 filter for every key: `{"authors":[…],"kinds":[30053],"#d":["wsn"]}`.
    public var filters: [Filter] {
        guard !selections.isEmpty else { return [] }
        return [
            Filter(
                authors: selections.map { $0.query.author }, kinds: [AddressRecord.kind],
                tagQueries: [Filter.TagQuery(letter: 0x64, values: [WSNAddressRecord.label])])
        ]  // "#d"
    }

    /// Offers an event a relay sent (`now` in Unix seconds). Returns the
    /// index of the key whose record it is and the endpoint it names when
    /// it is a valid record newer than the one before and names another
    /// endpoint than that one; nil otherwise (another author, an older or
    /// forged record, no usable address or port, the same endpoint again).
    public mutating func offer(_ event: Event, now: Int64, context: Secp256k1Context) -> (key: Int, endpoint: Endpoint)? {
        guard let k = selections.firstIndex(where: { $0.query.author == event.pubkey }) else { return nil }
        let before = Self.endpoint(of: selections[k])
        guard selections[k].offer(event, now: now, context: context) == .accepted,
            let found = Self.endpoint(of: selections[k]), found != before
        else { return nil }
        return (k, found)
    }

    /// The endpoint of a selection's record, from its meaning.
    static func endpoint(of selection: RecordSelection) -> Endpoint? {
        guard let event = selection.best, let meaning = selection.meaning,
            let e = WSNAddressRecord.endpoint(of: event, meaning: meaning), let first = e.addresses.first
        else { return nil }
        return Endpoint(host: first.text, port: e.port)
    }
}
