/// What a `NostrZoneLookup` knows about a record set of the zone.
public enum NostrZoneRecords {
    /// Valid records, answered with `ttl`: the addresses of an address
    /// key, the TLS keys of a TLS key (the resolver cache entry's
    /// `addresses` and `tlsKeys`).
    case found(addresses: [IPAddress], tlsKeys: [CachedTLSKey], ttl: UInt32)
    /// The relays answered and have no record: a negative answer with this
    /// TTL at most (RFC 2308 §5).
    case notFound(ttl: UInt32)
    /// Not known yet: the lookup has started; the query waits for it.
    case pending
}

/// Where the responder gets the records of a name: the resolver cache (the
/// DNS server's `CachedResolver`), or a table in the tests and the fuzz
/// target. Taken generically, so the call specializes (no existential).
public protocol NostrZoneLookup {
    /// The records of `key` (and a lookup started when they are not known).
    mutating func records(_ key: ResolverKey, now: Int64) -> NostrZoneRecords
}

/// The sans-IO authoritative responder of the `nostr.` zone (the Design
/// article, "What the product is"): one query in, the answer written into
/// the caller's buffer, or what the server must do instead. The query is
/// read once (`DNSResponder.parse(_:copyingNameInto:)`); a cached answer
/// allocates nothing (Tests/bench/dns-allocations.sh).
///
/// The zone's rules:
/// - A name outside `nostr.`: `.forward` when the server has an upstream
///   and the query has RD set, else REFUSED.
/// - A class other than IN or ANY (RFC 1035 §3.2.4), and zone transfers
///   (AXFR, IXFR: RFC 5936 §4.2 lets a server refuse them): REFUSED.
/// - `<label>.<npub>.nostr`: A and AAAA from the address record; no record
///   is NXDOMAIN, but `<npub>.nostr` itself is NODATA (RFC 8020: it may own
///   names below it); another type asked of a known name is NODATA (RFC
///   2308 §2.2).
/// - `_<port>._tcp.<npub>.nostr`: TLSA from the TLS key records naming the
///   port; none for that port is NXDOMAIN.
/// - A name the lookup does not know yet: `.wait(key)`; the server asks
///   again when the lookup finished.
/// - Negative answers carry the SOA with the smaller of the zone's and the
///   lookup's negative TTL (RFC 2308 §3, §5).
public struct NostrZoneResponder {
    /// What to do with a query.
    public enum Outcome: Equatable, Sendable {
        /// Send the answer: the first `length` octets of the buffer.
        case reply(Int)
        /// Send nothing (a response, or not even a header).
        case drop
        /// Ask again once the lookup of `key` finished (`ResolverEvent`).
        case wait(ResolverKey)
        /// Not ours: forward it to the upstream server.
        case forward
    }

    /// The zone's SOA (serial, negative TTL).
    public var soa: DNSResponder.SOA
    /// Whether names outside the zone are forwarded (else REFUSED).
    public var forwardsOtherNames: Bool
    /// Long label texts kept, so their queries do not allocate.
    var labels = NostrZone.LabelMemo()
    /// The last name classified (wire form, as asked) and its zone:
    /// `NostrZone.classify` is a pure function of the bytes, and a client
    /// asking one name again (the usual case under load) skips decoding
    /// its npub.
    var lastName = emptyName()
    var lastNameLength = -1
    var lastZone = NostrZoneName.outside

    public init(soa: DNSResponder.SOA, forwardsOtherNames: Bool) {
        self.soa = soa
        self.forwardsOtherNames = forwardsOtherNames
    }

    /// Answers `message` into `buffer` (over UDP at most what the client
    /// takes, RFC 6891 §6.2.5, and at most `DNSResponder.maxUDPPayload`;
    /// over TCP the whole buffer, RFC 7766).
    public mutating func respond<L: NostrZoneLookup>(
        to message: UnsafeRawBufferPointer, overTCP: Bool,
        into buffer: UnsafeMutableRawBufferPointer, now: Int64,
        lookup: inout L
    ) -> Outcome {
        var flat = emptyName()
        return withUnsafeMutableBytes(of: &flat) { scratch -> Outcome in
            let (parsed, n) = DNSResponder.parse(message, copyingNameInto: scratch)
            switch parsed {
            case .drop:
                return .drop
            case .error(let header, let rcode, let question, let edns):
                let udpLimit = edns.map { min($0.effectivePayloadSize, Int(DNSResponder.maxUDPPayload)) } ?? DNSLimits.classicUDPSize
                let limit = overTCP ? buffer.count : min(buffer.count, udpLimit)
                return .reply(
                    DNSResponder.error(
                        header, rcode: rcode, question: question, edns: edns, message: message,
                        into: buffer, limit: limit))
            case .query(let query):
                let limit = overTCP ? buffer.count : min(buffer.count, query.udpLimit)
                let name = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
                var negative = soa
                switch content(query, name: name, now: now, negative: &negative, lookup: &lookup) {
                case .content(let content):
                    return .reply(
                        DNSResponder.answer(
                            query, name: name, content: content, soa: negative, into: buffer,
                            limit: limit))
                case .wait(let key):
                    return .wait(key)
                case .forward:
                    return .forward
                }
            }
        }
    }

    /// An answer with just `rcode` (SERVFAIL after a failed lookup or
    /// forward) to `message`, at most 512 octets; 0 when it is not worth one.
    public func failure(to message: UnsafeRawBufferPointer, rcode: UInt16, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let limit = min(buffer.count, DNSLimits.classicUDPSize)
        switch DNSResponder.parse(message) {
        case .query(let parsed):
            return DNSResponder.answer(parsed, message: message, content: .rcode(rcode), soa: soa, into: buffer, limit: limit)
        case .error(let h, _, let question, let edns):
            return DNSResponder.error(h, rcode: rcode, question: question, edns: edns, message: message, into: buffer, limit: limit)
        case .drop:
            return 0
        }
    }

    enum Decision {
        case content(DNSResponder.Content)
        case wait(ResolverKey)
        case forward
    }

    /// The zone's rules for one question (see the type's notes).
    mutating func content<L: NostrZoneLookup>(
        _ query: DNSResponder.Query, name: UnsafeRawBufferPointer, now: Int64,
        negative: inout DNSResponder.SOA, lookup: inout L
    ) -> Decision {
        let zone = classify(name)
        if case .outside = zone {
            // Forwarded only when recursion is desired (RFC 1035 §4.1.1):
            // without RD the query asks for what this server holds itself
            // (issue 16 item 5; `ForwardPolicy` judges the source).
            return forwardsOtherNames && query.header.recursionDesired ? .forward : .content(.rcode(DNSRCode.refused))
        }
        let cls = query.question.rawClass
        guard cls == DNSClass.in || cls == DNSClass.any else { return .content(.rcode(DNSRCode.refused)) }
        let type = query.question.type
        if type == DNSType.axfr || type == DNSType.ixfr { return .content(.rcode(DNSRCode.refused)) }
        switch zone {
        case .outside, .nonexistent:
            return .content(.nameError)
        case .apex:
            return .content(.apex)
        case .addresses(let author, let labelLength):
            let key = ResolverKey.addresses(author, label: labels.text(name, labelLength: labelLength))
            switch lookup.records(key, now: now) {
            case .pending:
                return .wait(key)
            case .notFound(let ttl):
                negative.negativeTTL = min(ttl, soa.negativeTTL)
                // `<npub>.nostr` may own names below it (`www.<npub>`):
                // NODATA, not NXDOMAIN, which would deny them too (RFC 8020).
                return .content(labelLength == 0 ? .noData : .nameError)
            case .found(let addresses, _, let ttl):
                return .content(
                    type == DNSType.a || type == DNSType.aaaa || type == DNSType.any
                        ? .addresses(addresses, ttl: ttl) : .noData)
            }
        case .tlsa(let author, let port):
            let key = ResolverKey.tlsKeys(author)
            switch lookup.records(key, now: now) {
            case .pending:
                return .wait(key)
            case .notFound(let ttl):
                negative.negativeTTL = min(ttl, soa.negativeTTL)
                return .content(.nameError)
            case .found(_, let keys, let ttl):
                var has = false
                for k in keys where k.port == port { has = true }
                return .content(has ? .tlsa(keys, port: port, ttl: ttl) : .nameError)
            }
        }
    }

    /// `NostrZone.classify(name)`, remembered for the last name.
    mutating func classify(_ name: UnsafeRawBufferPointer) -> NostrZoneName {
        let n = name.count
        if n == lastNameLength, let base = name.baseAddress {
            let same = withUnsafeBytes(of: &lastName) { last -> Bool in
                var i = 0
                while i + 8 <= n {
                    if base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        != last.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    {
                        return false
                    }
                    i += 8
                }
                while i < n {
                    if base.load(fromByteOffset: i, as: UInt8.self) != last[i] { return false }
                    i += 1
                }
                return true
            }
            if same { return lastZone }
        }
        let zone = NostrZone.classify(name)
        if n <= 256, let base = name.baseAddress {
            withUnsafeMutableBytes(of: &lastName) { $0.baseAddress!.copyMemory(from: base, byteCount: n) }
            lastNameLength = n
            lastZone = zone
        }
        return zone
    }
}

/// 256 octets inline: a flat name (at most 255) without allocating.
typealias NameBytes = (
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
)

/// A `NameBytes` of zeros.
@inline(__always) func emptyName() -> NameBytes {
    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}
