/// The current address record (the Design article, "Records on nostr"): an
/// addressable event (NIP-01, kinds 30000–39999) of kind 30053, as Amethyst
/// reads it.
///
/// ```
/// kind 30053, content ""
/// ["d", label]            "" for <npub>.nostr, "www" for www.<npub>.nostr
/// ["ip4", "192.0.2.1"]    one per IPv4 address
/// ["ip6", "2001:db8::1"]  one per IPv6 address
/// ["ttl", "300"]          optional, seconds
/// ["alt", "DNS records"]  NIP-31 description for clients that do not know the kind
/// ["expiration", "…"]     optional, NIP-40
/// ```
public struct AddressRecord: Equatable, Sendable {
    public static let kind = 30053

    /// The `d` tag: "" for `<npub>.nostr` itself, e.g. "www" for `www.<npub>.nostr`.
    public var label: String
    /// The addresses of the `ip4` tags, then those of the `ip6` tags, each in
    /// the event's order. A record built by hand and written with `template`
    /// is read back in that order too.
    public var addresses: [IPAddress]
    /// The `ttl` tag as written (seconds); see `effectiveTTL`.
    public var ttl: Int?
    /// The NIP-40 `expiration` tag (unix seconds).
    public var expiration: Int64?

    public init(label: String, addresses: [IPAddress], ttl: Int? = nil, expiration: Int64? = nil) {
        self.label = label
        self.addresses = addresses
        self.ttl = ttl
        self.expiration = expiration
    }

    /// The Design article, "Resolution rules": "TTL: the record's `ttl`, clamped to
    /// [30, 86400], else 60."
    public var effectiveTTL: Int {
        guard let ttl else { return 60 }
        return min(max(ttl, 30), 86400)
    }

    /// The unsigned event: tags `d`, `ip4`…, `ip6`…, `ttl`?, `alt`,
    /// `expiration`?, in that order; content "".
    public func template(createdAt: Int64) -> EventTemplate {
        var tags: [[String]] = [["d", label]]
        tags.reserveCapacity(addresses.count + 4)
        for a in addresses where a.isIPv4 { tags.append(["ip4", a.text]) }
        for a in addresses where !a.isIPv4 { tags.append(["ip6", a.text]) }
        if let ttl { tags.append(["ttl", RecordTags.text(Int64(ttl))]) }
        tags.append(["alt", "DNS records"])
        if let expiration { tags.append(["expiration", RecordTags.text(expiration)]) }
        return EventTemplate(createdAt: createdAt, kind: AddressRecord.kind, tags: tags, content: "")
    }

    /// Reads a kind-30053 event (its id and signature are `RecordSelection`'s
    /// business). `.recordShape` if the kind is not 30053, there is no `d`
    /// tag, or the `expiration` tag is not a decimal timestamp. Lenient
    /// where a bad value only loses information: an `ip4` tag whose value is
    /// not an IPv4 address (garbage, or IPv6) is skipped, likewise an `ip6`
    /// tag that is not IPv6, and a `ttl` that is not a non-negative decimal
    /// is ignored. Content is not looked at.
    public init(event: Event) throws(NostrError) {
        guard event.kind == AddressRecord.kind, let d = RecordTags.first(event.tags, "d") else {
            throw NostrError(.recordShape)
        }
        var v4: [IPAddress] = []
        var v6: [IPAddress] = []
        for tag in event.tags {
            if RecordTags.isTag(tag, "ip4") {
                if let a = try? IPAddress(parsing: tag[1]), a.isIPv4 { v4.append(a) }
            } else if RecordTags.isTag(tag, "ip6") {
                if let a = try? IPAddress(parsing: tag[1]), !a.isIPv4 { v6.append(a) }
            }
        }
        var ttl: Int? = nil
        if let text = RecordTags.first(event.tags, "ttl"), let t = RecordTags.decimal(text) {
            ttl = Int(truncatingIfNeeded: t)
        }
        self.init(label: d, addresses: v4 + v6, ttl: ttl, expiration: try RecordTags.expiration(event.tags))
    }

    public static func == (a: AddressRecord, b: AddressRecord) -> Bool {
        RecordTags.equal(a.label, b.label) && a.addresses == b.addresses && a.ttl == b.ttl && a.expiration == b.expiration
    }
}
