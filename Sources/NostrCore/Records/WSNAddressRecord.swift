/// Where a `wsn://<npub>` relay lives, for URLs that name only the npub
/// (the Design article, "wsn:// relays"): the npub's own address record (kind 30053,
/// the Design article, "Records on nostr") under the label `wsn`, i.e. the name
/// `wsn.<npub>.nostr`, plus one extra tag `["port", "<1-65535>"]`. Readers
/// of address records ignore the tag; without it the port is 443. A
/// `wsn` label keeps the gateway's record apart from the host's own
/// (label ""), which `publish-ip` replaces.
public enum WSNAddressRecord {
    public static let label = "wsn"
    public static let defaultPort: UInt16 = 443

    /// The unsigned record: the address record's tags with `port` added.
    public static func template(addresses: [IPAddress], port: UInt16, createdAt: Int64) -> EventTemplate {
        var t = AddressRecord(label: label, addresses: addresses).template(createdAt: createdAt)
        t.tags.append(["port", String(port)])
        return t
    }

    /// The addresses and port of a verified record, or nil when it is not
    /// a `wsn` address record or its port tag is not a port.
    public static func endpoint(of event: Event) -> (addresses: [IPAddress], port: UInt16)? {
        guard let meaning = try? RecordMeaning(event: event) else { return nil }
        return endpoint(of: event, meaning: meaning)
    }

    /// The same from a record selected with its meaning (`RecordSelection`),
    /// without reading the addresses again: only the `port` tag is read here.
    public static func endpoint(of event: Event, meaning: RecordMeaning) -> (addresses: [IPAddress], port: UInt16)? {
        guard event.kind == AddressRecord.kind, let d = RecordTags.first(event.tags, "d"), d.utf8.elementsEqual(label.utf8),
            case .addresses(let addresses, _) = meaning.content
        else { return nil }
        var port = defaultPort
        if let text = RecordTags.first(event.tags, "port") {
            guard let p = RecordTags.decimal(text), p >= 1 && p <= 65535 else { return nil }
            port = UInt16(p)
        }
        return (addresses, port)
    }
}
