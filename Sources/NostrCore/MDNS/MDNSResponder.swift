/// What the responder knows about the addresses of an npub other than its
/// own, from the resolver cache (the caller's `lookup` closure).
public enum MDNSNameState: Sendable {
    /// A valid record: its addresses and TTL (seconds).
    case addresses([IPAddress], ttl: UInt32)
    /// The relays answered and there is no record: nothing to say (an mDNS
    /// responder stays silent about names it does not have, RFC 6762 §6).
    case absent
    /// Not known yet: the caller has started a lookup (queriers retry,
    /// §5.2, and the retry is answered). Never answered with a guess.
    case pending
}

/// Where a packet the responder made goes.
public struct MDNSDestination: Equatable, Sendable {
    public var address: IPAddress
    public var port: UInt16
    public var interfaceIndex: UInt32
    /// For an IPv6 link-local destination.
    public var scopeID: UInt32
}

/// One datagram as the socket layer reports it.
public struct MDNSPacketInfo: Sendable {
    public var source: IPAddress
    public var sourcePort: UInt16
    public var sourceScopeID: UInt32
    public var destinationIsMulticast: Bool
    public var interfaceIndex: UInt32

    public init(
        source: IPAddress, sourcePort: UInt16, sourceScopeID: UInt32 = 0, destinationIsMulticast: Bool,
        interfaceIndex: UInt32
    ) {
        self.source = source
        self.sourcePort = sourcePort
        self.sourceScopeID = sourceScopeID
        self.destinationIsMulticast = destinationIsMulticast
        self.interfaceIndex = interfaceIndex
    }

    public var isIPv6: Bool { !source.isIPv4 }
}

/// Why a packet got no answer (logged at -v).
public enum MDNSIgnored: Equatable, Sendable {
    case malformed(NostrError.Code)
    case unknownInterface
    case offLink
    case notAQuery
    case notOurName
    case pendingLookup
    case noRecord
    case knownAnswers
    case rateLimited
    case probing
    case probeForProxiedName
    case unsupportedOpcode
    case knownAnswerContinuation
    case responseNotFromPort5353

    public var text: String {
        switch self {
        case .malformed(let code): return "malformed (" + NostrError(code).reason + ")"
        case .unknownInterface: return "arrived on an interface not served"
        case .offLink: return "source is not on the link (RFC 6762 §11)"
        case .notAQuery: return "a response, not a query"
        case .notOurName: return "no question about an <npub>.local name"
        case .pendingLookup: return "name not known yet; looking it up on the relays"
        case .noRecord: return "the relays have no address record for the name"
        case .knownAnswers: return "the querier already knows the answers (known-answer suppression, §7.1)"
        case .rateLimited: return "answered on this interface less than a second ago (§6)"
        case .probing: return "own name still being probed (§8.1)"
        case .probeForProxiedName: return "a probe for a name this host only relays (its owner is on the link)"
        case .unsupportedOpcode: return "opcode is not QUERY"
        case .knownAnswerContinuation:
            return "more known answers for a truncated query (§7.2), applied to the answers waiting for it"
        case .responseNotFromPort5353: return "a response from a port other than 5353 (RFC 6762 §6: silently ignored)"
        }
    }
}

/// What one received packet led to.
public struct MDNSOutcome: Sendable {
    /// Set when nothing was sent.
    public var ignored: MDNSIgnored?
    /// The npubs to look up on the relays (names asked for that were not known).
    public var lookups: [Bytes32] = []
    /// Another host answered for this host's name with other data (§9:
    /// an address of none of its interfaces, or an NSEC with other types).
    /// This host goes on answering, and defends the name (`defended`).
    public var conflict = false
    /// Another host sent one of this host's own records with a TTL below
    /// half of ours, or 0 (a goodbye): §6.6, caches would drop the name early.
    public var staleOwnRecord = false
    /// The conflict (or stale record) scheduled a defence: the own records
    /// announced again by `tick` (rate-limited, `MDNSHostClaim`).
    public var defended = false
    /// Set when the conflict (or stale record) is to be logged (once per
    /// source per minute, `MDNSConflictLog`): how many went unlogged before it.
    public var logConflict: Int?
    /// How the answer went, when one was sent (or queued).
    public var route: MDNSRules.Route?
    /// Set when the answer (or part of it) waits in the queue until this
    /// time (§6 shared records, §7.2 truncated queries); `tick` sends it.
    public var delayedUntil: Int64?
}

/// The sans-IO Multicast DNS responder (RFC 6762) for `<npub>.local`:
/// the host's own npub, answered from its interface addresses after
/// probing (§8), and other npubs, answered from the resolver cache through
/// the caller's `lookup`. Packets go in with what the socket said about
/// them; answers come out through `emit` into the caller's buffer, with
/// their destination. Timers (probes, announcements) run from `tick`.
///
/// Rules (each cites its section in `MDNSRules` or below): answers only
/// to on-link sources (§11); legacy unicast (§6.7) with the query's ID and
/// questions and TTLs ≤ 10 s; QU (§5.4) and unicast queries to 5353
/// (§5.5) answered by unicast; multicast answers with the cache-flush bit
/// (§10.2) for the own records, which are unique, and without it for an
/// npub's relayed records, which are shared (its owner may answer on the
/// link too); known-answer suppression (§7.1); at most one multicast of a
/// record per interface per second (§6) except in probe defence (§8.1),
/// which waits only for 250 ms since the last; conflicts for the own name
/// (§9) are answered by a rate-limited defence, never by silence
/// (`MDNSHostClaim`), and logged a bounded number of times
/// (`MDNSConflictLog`);
/// NSEC (§6.1) for the types a known name lacks; ID 0 and no questions in
/// multicast answers (§18.1, §6).
///
/// Response timing (§6): a multicast answer with only the own (unique)
/// records, and every legacy unicast, QU or unicast answer, is sent at
/// once; a multicast answer for another npub (shared records) waits in
/// `pending` for a random 20–120 ms (one delay per query), and `tick` sends
/// the answers due on one interface and family in one packet (more when
/// they do not fit in `maxPacket`); a query for the own name and another
/// npub gets the own records at once and the shared ones later. §7.2: a
/// query with the TC bit set is answered by multicast after 400–500 ms
/// (own records too), and the known answers in later packets from the
/// same source and interface (with or without questions) are applied to
/// its waiting answers first. §7.4: a response from another responder on
/// the link with an address a waiting answer would send, same name, TTL
/// not less than ours, drops that address (the RFC's "not less than", not
/// §7.1's half). §7.3 (duplicate question suppression) is a querier's
/// rule; this host queries only to probe, which must not be suppressed, so
/// it has nothing to do here. The same goes for a waiting NSEC (§6.1): an
/// identical one (same name, the name itself as next name, same types) with
/// a TTL not less than ours is not sent again. Not done: the queue holds
/// `pendingCapacity` answers and answers at once beyond that.
public struct MDNSResponder {
    public let ownKey: Bytes32
    public private(set) var interfaces: [MDNSInterface]
    /// Per interface (same order): the claim on the own name.
    public private(set) var claims: [MDNSHostClaim]
    var rateLimit = MDNSRateLimit()
    /// Which conflicts are logged (§9; bounded per source and per minute).
    var conflictLog = MDNSConflictLog()
    var random: UInt64
    /// Recently asked npub names (lowercase wire form) and their keys.
    var recent: [(name: [UInt8], key: Bytes32)] = []
    var recentNext = 0
    /// Per-packet lists, reused (capacity kept) so that answering does not allocate.
    var scratchQuestions: [(question: DNSQuestion, subject: Subject)] = []
    var scratchKnown: [(subject: Subject, address: IPAddress, ttl: UInt32)] = []
    var scratchAdditional: [(name: [UInt8], addresses: [IPAddress], ttl: UInt32, wanted: AddressTypes, rawClass: UInt16)] = []
    var scratchFlat = [UInt8](repeating: 0, count: DNSLimits.maxName)
    /// Multicast answers waiting for their time (§6, §7.2), sent by `tick`;
    /// capacity reserved at start.
    var pending: [Pending] = []
    /// `<own npub>.local` as a flat wire name.
    let ownName: [UInt8]
    /// TTL of the own name's records (§10: 120 s for host records).
    public var ownTTL: UInt32 = MDNSRules.hostRecordTTL
    /// Largest packet sent: one Ethernet MTU minus IP/UDP headers (§17
    /// allows 9000, but no fragmentation is wanted).
    public static let maxPacket = 1440

    /// `seed`: random bits for the probe delays (from getrandom).
    public init(ownKey: Bytes32, interfaces: [MDNSInterface], now: Int64, seed: UInt64) {
        self.ownKey = ownKey
        self.interfaces = interfaces
        random = seed | 1
        ownName = MDNSResponder.flatName(ownKey)
        claims = []
        pending.reserveCapacity(Self.pendingCapacity)
        for _ in interfaces { claims.append(MDNSHostClaim(now: now, initialDelay: nextRandom(250))) }
    }

    mutating func nextRandom(_ below: Int64) -> Int64 {
        // xorshift64*: enough for spreading probe times, not a secret.
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        return Int64((random &* 0x2545_F491_4F6C_DD1D) >> 33) % max(below, 1)
    }

    /// `<npub>.local` as a flat wire name: 63, the npub, 5, "local", 0.
    public static func flatName(_ key: Bytes32) -> [UInt8] {
        let npub = Array(NIP19.npub(key).utf8)
        return [UInt8(npub.count)] + npub + [5] + Array("local".utf8) + [0]
    }

    /// Replaces the interfaces (addresses change with DHCP). An interface
    /// whose addresses changed probes and announces anew (§8.4).
    public mutating func update(interfaces new: [MDNSInterface], now: Int64) {
        var newClaims: [MDNSHostClaim] = []
        for iface in new {
            if let i = interfaces.firstIndex(where: { $0.index == iface.index }), interfaces[i].prefixes == iface.prefixes {
                newClaims.append(claims[i])
            } else {
                newClaims.append(MDNSHostClaim(now: now, initialDelay: nextRandom(250)))
            }
        }
        interfaces = new
        claims = newClaims
    }

    /// When `tick` next has something to do.
    public var nextDeadline: Int64? {
        var best: Int64? = nil
        for c in claims { if let t = c.nextAt { best = min(best ?? t, t) } }
        if let t = nextPendingDeadline { best = min(best ?? t, t) }
        return best
    }

    // MARK: Timers: probes, announcements, delayed answers

    /// Sends the probes, announcements and delayed multicast answers (§6,
    /// §7.2) due at `now` on every interface and family (`ipv6` false then
    /// true, for the sockets the caller has).
    public mutating func tick(
        now: Int64, families: (ipv4: Bool, ipv6: Bool), buffer: UnsafeMutableRawBufferPointer,
        emit: (MDNSDestination, Bool, UnsafeRawBufferPointer) -> Void
    ) {
        flushPending(now: now, families: families, buffer: buffer, emit: emit)
        for i in interfaces.indices {
            guard let step = claims[i].step(now: now) else { continue }
            for ipv6 in [false, true] where ipv6 ? families.ipv6 : families.ipv4 {
                let length: Int?
                switch step {
                case .probe(let first):
                    length = probe(interface: i, unicastResponse: first, buffer: buffer)
                case .announce:
                    length = announcement(interface: i, ttl: ownTTL, buffer: buffer)
                    if length != nil {
                        for t in [DNSType.a, DNSType.aaaa] {
                            rateLimit.record(.init(owner: ownKey, type: t, interfaceIndex: interfaces[i].index, ipv6: ipv6), now: now)
                        }
                    }
                }
                if let length {
                    emit(group(interfaces[i], ipv6: ipv6), ipv6, UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
                }
            }
        }
    }

    /// §10.1: on shutdown, the own records again with TTL 0 ("goodbye"),
    /// on every interface where the name was claimed.
    public func goodbye(
        families: (ipv4: Bool, ipv6: Bool), buffer: UnsafeMutableRawBufferPointer,
        emit: (MDNSDestination, Bool, UnsafeRawBufferPointer) -> Void
    ) {
        for i in interfaces.indices where claims[i].mayAnswer {
            for ipv6 in [false, true] where ipv6 ? families.ipv6 : families.ipv4 {
                if let length = announcement(interface: i, ttl: 0, buffer: buffer) {
                    emit(group(interfaces[i], ipv6: ipv6), ipv6, UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
                }
            }
        }
    }

    func group(_ iface: MDNSInterface, ipv6: Bool) -> MDNSDestination {
        MDNSDestination(
            address: ipv6 ? .v6(0xFF02_0000_0000_0000, 0xFB) : .v4(0xE000_00FB), port: MDNSRules.port,
            interfaceIndex: iface.index, scopeID: 0)
    }

    /// §8.1: a query for the own name, type ANY, with the proposed records
    /// in the Authority Section (no cache-flush bit there).
    func probe(interface i: Int, unicastResponse: Bool, buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var w = DNSMessageWriter(buffer: buffer, limit: min(buffer.count, Self.maxPacket))
        do throws(NostrError) {
            try ownName.withBytes { (name) throws(NostrError) in
                try w.appendQuestion(
                    name, type: DNSType.any,
                    rawClass: DNSClass.in | (unicastResponse ? DNSClass.topBit : 0))
                try appendAddresses(
                    &w, .authority, name: name, addresses: interfaces[i].ipv4Addresses, type: DNSType.a,
                    rawClass: DNSClass.in, ttl: ownTTL)
                try appendAddresses(
                    &w, .authority, name: name, addresses: interfaces[i].ipv6Addresses, type: DNSType.aaaa,
                    rawClass: DNSClass.in, ttl: ownTTL)
            }
        } catch {
            return nil
        }
        return w.finish()
    }

    /// §8.3: an unsolicited response with every own record of the
    /// interface, cache-flush set, and an NSEC for a missing family.
    func announcement(interface i: Int, ttl: UInt32, buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var w = DNSMessageWriter(buffer: buffer, limit: min(buffer.count, Self.maxPacket))
        w.header.isResponse = true
        w.header.isAuthoritative = true
        let v4 = interfaces[i].ipv4Addresses, v6 = interfaces[i].ipv6Addresses
        guard !v4.isEmpty || !v6.isEmpty else { return nil }
        let flush = DNSClass.in | DNSClass.topBit
        do throws(NostrError) {
            try ownName.withBytes { (name) throws(NostrError) in
                try appendAddresses(&w, .answer, name: name, addresses: v4, type: DNSType.a, rawClass: flush, ttl: ttl)
                try appendAddresses(&w, .answer, name: name, addresses: v6, type: DNSType.aaaa, rawClass: flush, ttl: ttl)
                if v4.isEmpty || v6.isEmpty {
                    try w.appendNSEC(.additional, name: name, rawClass: flush, ttl: ttl, types: Self.types(v4: v4, v6: v6))
                }
            }
        } catch {
            return nil
        }
        return w.finish()
    }

    static func types(v4: [IPAddress], v6: [IPAddress]) -> DNSTypeBitmap {
        var t = DNSTypeBitmap()
        if !v4.isEmpty { t.insert(DNSType.a) }
        if !v6.isEmpty { t.insert(DNSType.aaaa) }
        return t
    }

    /// Appends one record per address of `type` (A: the IPv4 ones; AAAA:
    /// the IPv6 ones). Returns how many were written.
    @discardableResult
    func appendAddresses(
        _ w: inout DNSMessageWriter, _ section: DNSSection, name: UnsafeRawBufferPointer,
        addresses: [IPAddress], type: UInt16, rawClass: UInt16, ttl: UInt32
    ) throws(NostrError) -> Int {
        var written = 0
        for a in addresses where a.isIPv4 == (type == DNSType.a) {
            let result: Result<Void, NostrError> = a.withBytes { rdata in
                Result { () throws(NostrError) in
                    try w.appendRecord(section, name: name, type: type, rawClass: rawClass, ttl: ttl, rdata: rdata)
                }
            }
            try result.get()
            written += 1
        }
        return written
    }

    // MARK: Queries

    /// Handles one received datagram. `lookup` gives the cache's state for
    /// an npub other than the own one (and may start a lookup); answers go
    /// out through `emit(destination, ipv6, bytes)` from `buffer`.
    public mutating func handle(
        _ packet: UnsafeRawBufferPointer, _ info: MDNSPacketInfo, now: Int64,
        buffer: UnsafeMutableRawBufferPointer,
        lookup: (Bytes32) -> MDNSNameState,
        emit: (MDNSDestination, Bool, UnsafeRawBufferPointer) -> Void
    ) -> MDNSOutcome {
        var outcome = MDNSOutcome()
        guard let i = interfaces.firstIndex(where: { $0.index == info.interfaceIndex }) else {
            outcome.ignored = .unknownInterface
            return outcome
        }
        // §11: only on-link sources.
        guard interfaces[i].isOnLink(info.source) else {
            outcome.ignored = .offLink
            return outcome
        }
        do throws(NostrError) {
            var reader = try DNSMessageReader(packet)
            guard reader.header.opcode == 0 else {
                outcome.ignored = .unsupportedOpcode
                return outcome
            }
            if reader.header.isResponse {
                // §6: "Multicast DNS implementations MUST silently ignore any
                // Multicast DNS responses they receive where the source UDP
                // port is not 5353."
                guard info.sourcePort == MDNSRules.port else {
                    outcome.ignored = .responseNotFromPort5353
                    return outcome
                }
                try readResponse(&reader, interface: i, source: info.source, ipv6: info.isIPv6, now: now, &outcome)
                if outcome.ignored == nil && !outcome.conflict && !outcome.staleOwnRecord { outcome.ignored = .notAQuery }
                return outcome
            }
            try answer(&reader, info, interface: i, now: now, buffer: buffer, lookup: lookup, emit: emit, &outcome)
        } catch {
            outcome.ignored = .malformed(error.code)
        }
        return outcome
    }

    /// §9: a response with a unique (cache-flush) record of the own name
    /// that is not this host's (an address of none of its interfaces, or an
    /// NSEC listing other types) is a conflict. Shared records (no
    /// cache-flush bit), such as another nostr-dns relaying this npub's
    /// published addresses, are not. §6.6: one of the own records, same
    /// address, with a TTL below half of ours (cache-flush set) or 0 (a
    /// goodbye, either way) would make caches drop the name early. Either
    /// is answered by a defence (`MDNSHostClaim`: the records announced
    /// again, rate-limited); this host never stops answering for its npub,
    /// and nothing in a response changes what it answers, for its own name
    /// or another npub's. §7.4: an address record (either kind) or an NSEC
    /// that a waiting answer would send is not sent again.
    mutating func readResponse(
        _ reader: inout DNSMessageReader, interface i: Int, source: IPAddress, ipv6: Bool, now: Int64,
        _ outcome: inout MDNSOutcome
    ) throws(NostrError) {
        var conflict = false
        var stale = false
        while let r = try reader.nextRecord() {
            guard r.type == DNSType.a || r.type == DNSType.aaaa || r.type == DNSType.nsec, r.dnsClass == DNSClass.in
            else {
                continue
            }
            if r.ttl > 0 && !pending.isEmpty && (r.section == .answer || r.section == .additional) {
                try suppressDuplicate(reader, r, interfaceIndex: interfaces[i].index, ipv6: ipv6)
            }
            let isOwn = ownName.withUnsafeBytes { reader.name(r.name, equals: $0) }
            guard isOwn else { continue }
            if r.type == DNSType.nsec {
                guard r.cacheFlush, r.ttl > 0 else { continue }
                let types = try reader.nsec(r).types
                if !interfaces.contains(where: { Self.types($0.addresses) == types }) { conflict = true }
                continue
            }
            let address = try IPAddress(bytes: reader.rdata(of: r))
            if interfaces.contains(where: { $0.prefixes.contains { $0.address == address } }) {
                if r.ttl == 0 || (r.cacheFlush && UInt64(r.ttl) * 2 < UInt64(ownTTL)) { stale = true }
            } else if r.cacheFlush && r.ttl > 0 {
                conflict = true
            }
        }
        guard conflict || stale else { return }
        outcome.conflict = conflict
        outcome.staleOwnRecord = stale
        var last: Int64? = nil
        for t in [DNSType.a, DNSType.aaaa] {
            for family in [false, true] {
                let key = MDNSRateLimit.Key(owner: ownKey, type: t, interfaceIndex: interfaces[i].index, ipv6: family)
                if let m = rateLimit.lastMulticast(key) { last = max(last ?? m, m) }
            }
        }
        outcome.defended =
            conflict ? claims[i].conflict(now: now, lastMulticast: last) : claims[i].defend(now: now, lastMulticast: last)
        outcome.logConflict = conflictLog.note(source: source, now: now)
    }

    /// One question's subject: the own name, another npub, or not ours.
    enum Subject {
        case own
        case other(Bytes32)
        case foreign

        var isOwn: Bool {
            if case .own = self { return true }
            return false
        }
    }

    /// What `name` asks about. Names seen recently are matched against
    /// `recent` without allocating; a new one is decoded (bech32, in place,
    /// as the DNS server decodes `<npub>.nostr`) once.
    mutating func subject(_ reader: DNSMessageReader, _ name: DNSName) -> Subject {
        let isOwn = ownName.withUnsafeBytes { reader.name(name, equals: $0) }
        if isOwn { return .own }
        // Exactly two labels, the first an npub (63 octets), the second "local".
        guard name.flatLength == Self.npubNameLength else { return .foreign }
        for i in recent.indices {
            let hit = recent[i].name.withUnsafeBytes { reader.name(name, equals: $0) }
            if hit { return .other(recent[i].key) }
        }
        var flat = [UInt8](repeating: 0, count: name.flatLength)
        let key: Bytes32? = flat.withUnsafeMutableBytes { buffer in
            reader.copyName(name, into: buffer)
            guard buffer[0] == 63, buffer[64] == 5 else { return nil }
            for k in 0..<buffer.count { buffer[k] = DNSWire.lower(buffer[k]) }
            for (k, c) in "local".utf8.enumerated() where buffer[65 + k] != c { return nil }
            return NostrZone.decodeNpub(UnsafeRawBufferPointer(buffer), at: 0)
        }
        guard let key else { return .foreign }
        if key == ownKey { return .own }
        remember(key, name: flat)
        return .other(key)
    }

    /// `<npub>.local` on the wire: 1 + 63 + 1 + 5 + 1 octets.
    static let npubNameLength = 71
    /// How many decoded names are kept for matching without decoding.
    static let recentCapacity = 64

    mutating func remember(_ key: Bytes32, name: [UInt8]) {
        if recent.count < Self.recentCapacity {
            recent.append((name, key))
        } else {
            recent[recentNext] = (name, key)
            recentNext = (recentNext + 1) % Self.recentCapacity
        }
    }

    /// The wire name of `key` as `<npub>.local` (lowercase), from `recent`
    /// when it is there.
    func wireName(_ key: Bytes32) -> [UInt8] {
        if key == ownKey { return ownName }
        for r in recent where r.key == key { return r.name }
        return Self.flatName(key)
    }

    /// The address types a question asks for (A, AAAA, both for ANY), as bits.
    struct AddressTypes: Equatable {
        var bits: UInt8
        static let none = AddressTypes(bits: 0)
        static let a = AddressTypes(bits: 1)
        static let aaaa = AddressTypes(bits: 2)

        init(bits: UInt8) { self.bits = bits }

        init(question type: UInt16) {
            switch type {
            case DNSType.a: bits = 1
            case DNSType.aaaa: bits = 2
            case DNSType.any: bits = 3
            default: bits = 0
            }
        }

        var isEmpty: Bool { bits == 0 }
        func contains(_ t: AddressTypes) -> Bool { bits & t.bits != 0 }
        mutating func insert(_ t: AddressTypes) { bits |= t.bits }
        /// A then AAAA, as record types.
        func forEach(_ body: (UInt16) throws(NostrError) -> Void) throws(NostrError) {
            if bits & 1 != 0 { try body(DNSType.a) }
            if bits & 2 != 0 { try body(DNSType.aaaa) }
        }
    }

    static func same(_ a: Subject, _ b: Subject) -> Bool {
        switch (a, b) {
        case (.own, .own): return true
        case (.other(let x), .other(let y)): return x == y
        default: return false
        }
    }

    /// §7.1: whether the query's Answer Section already holds `a` for
    /// `subject` with at least half the TTL.
    func knownSuppresses(_ subject: Subject, _ a: IPAddress, trueTTL: UInt32) -> Bool {
        for k in scratchKnown where k.address == a && MDNSResponder.same(k.subject, subject) {
            if MDNSRules.suppressedByKnownAnswer(knownTTL: k.ttl, trueTTL: trueTTL) { return true }
        }
        return false
    }

    /// NSEC types for a name with these addresses (§6.1).
    static func types(_ addresses: [IPAddress]) -> DNSTypeBitmap {
        var t = DNSTypeBitmap()
        for a in addresses { t.insert(a.isIPv4 ? DNSType.a : DNSType.aaaa) }
        return t
    }

    static func has(_ addresses: [IPAddress], _ type: UInt16) -> Bool {
        for a in addresses where a.isIPv4 == (type == DNSType.a) { return true }
        return false
    }

    /// Answers one query. Per-packet lists live in the responder's scratch
    /// arrays (cleared, capacity kept), so a steady stream of queries for
    /// known names does not allocate.
    mutating func answer(
        _ reader: inout DNSMessageReader, _ info: MDNSPacketInfo, interface i: Int, now: Int64,
        buffer: UnsafeMutableRawBufferPointer, lookup: (Bytes32) -> MDNSNameState,
        emit: (MDNSDestination, Bool, UnsafeRawBufferPointer) -> Void,
        _ outcome: inout MDNSOutcome
    ) throws(NostrError) {
        // The questions that are ours, then the known answers and any probe claims.
        scratchQuestions.removeAll(keepingCapacity: true)
        scratchKnown.removeAll(keepingCapacity: true)
        var allQU = true
        while let q = try reader.nextQuestion() {
            let s = subject(reader, q.name)
            if case .foreign = s { continue }
            guard q.dnsClass == DNSClass.in || q.dnsClass == DNSClass.any else { continue }
            scratchQuestions.append((q, s))
            if !q.unicastResponse { allQU = false }
        }
        var isProbe = false
        var ownProbe = false
        while let r = try reader.nextRecord() {
            guard r.type == DNSType.a || r.type == DNSType.aaaa, r.dnsClass == DNSClass.in else { continue }
            if r.section == .answer {
                let s = subject(reader, r.name)
                if case .foreign = s { continue }
                scratchKnown.append((s, try IPAddress(bytes: reader.rdata(of: r)), r.ttl))
            } else if r.section == .authority {
                let s = subject(reader, r.name)
                if case .foreign = s { continue }
                isProbe = true
                if case .own = s { ownProbe = true }
            }
        }
        // §7.2: known answers from a querier whose truncated query has
        // answers waiting here (the packets that follow it, usually with no
        // questions) suppress those answers too.
        if !scratchKnown.isEmpty && addKnownAnswers(from: info.source, interfaceIndex: interfaces[i].index, ipv6: info.isIPv6)
            && scratchQuestions.isEmpty
        {
            outcome.ignored = .knownAnswerContinuation
            return
        }
        guard !scratchQuestions.isEmpty else {
            outcome.ignored = .notOurName
            return
        }
        // §8.2: another host probes for the own name while this one does.
        if ownProbe && !claims[i].mayAnswer {
            claims[i].simultaneousProbe(
                ours: Self.sorted(interfaces[i].addresses.map { $0.bytes }),
                theirs: Self.sorted(probeClaims(reader)), now: now)
        }
        let iface = interfaces[i].index
        let v6 = info.isIPv6

        // §6.7, §5.4, §5.5: the route (decided once per packet).
        var recently = true
        let quarter = Int64(ownTTL) * 1000 / 4
        for q in scratchQuestions {
            let owner: Bytes32
            switch q.subject {
            case .own: owner = ownKey
            case .other(let k): owner = k
            case .foreign: continue
            }
            let types = AddressTypes(question: q.question.type)
            if types.contains(.a)
                && !rateLimit.multicastWithin(
                    MDNSRateLimit.Key(owner: owner, type: DNSType.a, interfaceIndex: iface, ipv6: v6), milliseconds: quarter, now: now)
            {
                recently = false
            }
            if types.contains(.aaaa)
                && !rateLimit.multicastWithin(
                    MDNSRateLimit.Key(owner: owner, type: DNSType.aaaa, interfaceIndex: iface, ipv6: v6), milliseconds: quarter, now: now)
            {
                recently = false
            }
        }
        let route = MDNSRules.route(
            sourcePort: info.sourcePort, destinationIsMulticast: info.destinationIsMulticast,
            unicastResponseBit: allQU, multicastRecently: recently)

        let limit =
            route == .legacyUnicast
            ? max(DNSLimits.classicUDPSize, Int(reader.edns?.effectivePayloadSize ?? 0)) : Self.maxPacket
        var w = DNSMessageWriter(buffer: buffer, limit: min(buffer.count, limit))
        w.header.isResponse = true
        w.header.isAuthoritative = true
        if route == .legacyUnicast {
            // §6.7: the query's ID and its questions.
            w.header.id = reader.header.id
            var copy = try DNSMessageReader(reader.bytes)
            while let q = try copy.nextQuestion() {
                let n = scratchFlat.withUnsafeMutableBytes { copy.copyName(q.name, into: $0) }
                try scratchFlat.withBytes { (f) throws(NostrError) in
                    try w.appendQuestion(UnsafeRawBufferPointer(rebasing: f[0..<n]), type: q.type, rawClass: q.rawClass)
                }
            }
        } else if route == .unicast {
            w.header.id = reader.header.id
        }

        var answered = 0
        var queuedUntil: Int64? = nil
        var packetDelay: Int64? = nil
        let truncated = reader.header.isTruncated
        var sawPending = false, sawAbsent = false, sawProbing = false, sawLimited = false, sawKnown = false
        scratchAdditional.removeAll(keepingCapacity: true)
        for q in scratchQuestions {
            let addresses: [IPAddress]
            let ttl: UInt32
            let owner: Bytes32
            switch q.subject {
            case .own:
                owner = ownKey
                // §8.1: not before probing is done; probe defence (a probe for
                // the own name once claimed) is answered at once, 250 ms after
                // the last multicast (§6). Conflicts never take this away
                // (`MDNSHostClaim`): the npub is this host's key.
                guard claims[i].mayAnswer else { sawProbing = true; continue }
                addresses = interfaces[i].addresses
                ttl = ownTTL
            case .other(let key):
                owner = key
                if isProbe {
                    outcome.ignored = .probeForProxiedName
                    return
                }
                switch lookup(key) {
                case .addresses(let a, let t):
                    addresses = a
                    ttl = t
                case .absent:
                    sawAbsent = true
                    continue
                case .pending:
                    sawPending = true
                    outcome.lookups.append(key)
                    continue
                }
            case .foreign:
                continue
            }
            let name = wireName(owner)
            // The own records are unique (§10.2: cache-flush); an npub's
            // published addresses are shared: its owner may be on the link
            // answering with its own, and must not see a conflict.
            let rawClass = MDNSRules.answerClass(unique: q.subject.isOwn, route: route)
            let answerTTL = MDNSRules.ttl(ttl, for: route)
            let wanted = AddressTypes(question: q.question.type)
            let skip = route == .legacyUnicast ? 0 : knownMask(q.subject, addresses, trueTTL: answerTTL)
            // §6: a multicast answer with shared records waits 20–120 ms;
            // §7.2: any multicast answer to a truncated query waits 400–500 ms
            // for the querier's further known answers. Probe defence does not wait.
            if route == .multicast && !isProbe && (truncated || !q.subject.isOwn) {
                var allowed = wanted.isEmpty
                try wanted.forEach { (t) throws(NostrError) in
                    if rateLimit.allows(.init(owner: owner, type: t, interfaceIndex: iface, ipv6: v6), now: now) { allowed = true }
                }
                guard allowed else { sawLimited = true; continue }
                // One delay per query: its answers become due together.
                // `now` is whole milliseconds, rounded down from when the
                // packet came: drawn from min+1...max, the real delay is
                // never below the minimum (seen: 19.9 ms without the +1).
                let delay =
                    packetDelay
                    ?? (truncated
                        ? MDNSRules.truncatedDelayMinMilliseconds + 1 + nextRandom(MDNSRules.truncatedDelaySpreadMilliseconds)
                        : MDNSRules.sharedDelayMinMilliseconds + 1 + nextRandom(MDNSRules.sharedDelaySpreadMilliseconds))
                packetDelay = delay
                if let due = enqueue(
                    Pending(
                        owner: owner, isOwn: q.subject.isOwn, name: name, interfaceIndex: iface, ipv6: v6,
                        addresses: addresses, ttl: answerTTL, rawClass: rawClass, wanted: wanted,
                        skip: skip, due: now + delay, source: info.source,
                        awaitingKnownAnswers: truncated))
                {
                    queuedUntil = min(queuedUntil ?? due, due)
                    continue
                }
                // The queue is full: answer at once rather than not at all.
            }
            // §6: probe defence is multicast at once, but not within 250 ms of
            // the record's last multicast on this interface (then it waits for
            // that): a flood of probes, spoofed or not, gets at most four
            // multicast answers a second.
            if route == .multicast && isProbe {
                var due: Int64? = nil
                try wanted.forEach { (t) throws(NostrError) in
                    let key = MDNSRateLimit.Key(owner: owner, type: t, interfaceIndex: iface, ipv6: v6)
                    if let d = rateLimit.probeDefenceDue(key, now: now) { due = max(due ?? d, d) }
                }
                if let due,
                    let queued = enqueue(
                        Pending(
                            owner: owner, isOwn: q.subject.isOwn, name: name, interfaceIndex: iface, ipv6: v6,
                            addresses: addresses, ttl: answerTTL, rawClass: rawClass, wanted: wanted,
                            skip: skip, due: due, source: info.source, awaitingKnownAnswers: false, probeDefence: true))
                {
                    queuedUntil = min(queuedUntil ?? queued, queued)
                    continue
                }
            }
            var tally = Tally()
            let (wrote, additional) = try writeAnswers(
                &w, name: name, owner: owner, addresses: addresses, ttl: answerTTL,
                rawClass: rawClass, wanted: wanted, skip: skip, route: route,
                interfaceIndex: iface, ipv6: v6, isProbe: isProbe, now: now, &tally)
            if tally.limited { sawLimited = true }
            if tally.known { sawKnown = true }
            if additional { scratchAdditional.append((name, addresses, answerTTL, wanted, rawClass)) }
            answered += wrote
        }
        // §6.2: the other family's addresses (or an NSEC saying there are
        // none) as additional records, when they fit.
        if route != .legacyUnicast { appendAdditional(&w) }
        if answered == 0, let queuedUntil {
            outcome.route = route
            outcome.delayedUntil = queuedUntil
            return
        }
        guard answered > 0 else {
            outcome.ignored =
                sawPending
                ? .pendingLookup
                : sawProbing
                    ? .probing
                    : sawLimited
                        ? .rateLimited
                        : sawKnown ? .knownAnswers : sawAbsent ? .noRecord : .notOurName
            return
        }
        let length = w.finish()
        let destination: MDNSDestination
        switch route {
        case .multicast:
            destination = group(interfaces[i], ipv6: v6)
        case .unicast, .legacyUnicast:
            destination = MDNSDestination(
                address: info.source, port: info.sourcePort, interfaceIndex: iface,
                scopeID: info.sourceScopeID)
        }
        outcome.route = route
        outcome.delayedUntil = queuedUntil
        emit(destination, v6, UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
    }

    /// The rdata of the own-name records in a probe's Authority Section (§8.2).
    func probeClaims(_ reader: DNSMessageReader) -> [[UInt8]] {
        var out: [[UInt8]] = []
        guard var fresh = try? DNSMessageReader(reader.bytes) else { return out }
        while let r = try? fresh.nextRecord() {
            guard r.section == .authority, r.type == DNSType.a || r.type == DNSType.aaaa else { continue }
            let isOwn = ownName.withUnsafeBytes { fresh.name(r.name, equals: $0) }
            if isOwn { out.append(Array(fresh.rdata(of: r))) }
        }
        return out
    }

    static func sorted(_ items: [[UInt8]]) -> [[UInt8]] {
        items.sorted { MDNSHostClaim.compareBytes($0, $1) < 0 }
    }
}

// MARK: Delayed answers (§6, §7.2, §7.4)

extension MDNSResponder {
    /// One multicast answer waiting for its time: the records of one
    /// question's owner on one interface and family.
    struct Pending {
        var owner: Bytes32
        var isOwn: Bool
        var name: [UInt8]
        var interfaceIndex: UInt32
        var ipv6: Bool
        var addresses: [IPAddress]
        var ttl: UInt32
        var rawClass: UInt16
        var wanted: AddressTypes
        /// Bit k set: `addresses[k]` is not to be sent (a known answer, §7.1,
        /// or another responder sent it already, §7.4).
        var skip: UInt64
        /// Another responder sent the NSEC this answer would carry (§7.4).
        var skipNSEC = false
        var due: Int64
        /// §7.2: the querier of a truncated query, whose next packets carry
        /// more known answers.
        var source: IPAddress
        var awaitingKnownAnswers: Bool
        /// The answer defends the own name against a probe (§8.1): sent
        /// 250 ms after the last multicast, not a second (§6).
        var probeDefence = false
    }

    /// How many answers may wait at once (the queue's capacity, reserved
    /// at start: queueing does not allocate). When full, answers go at once.
    static let pendingCapacity = 32

    /// What writing one owner's answers met.
    struct Tally {
        var limited = false
        var known = false
    }

    /// §7.1 as a mask over `addresses`: bit k set when the query's known
    /// answers hold `addresses[k]` with at least half the TTL.
    func knownMask(_ subject: Subject, _ addresses: [IPAddress], trueTTL: UInt32) -> UInt64 {
        var mask: UInt64 = 0
        for k in addresses.indices where k < 64 && knownSuppresses(subject, addresses[k], trueTTL: trueTTL) {
            mask |= 1 << UInt64(k)
        }
        return mask
    }

    /// Queues `p`, merged into an answer already waiting for the same owner
    /// on the same interface and family (it keeps the earlier time, and
    /// skips only what both queriers know). Returns when it is due, or nil
    /// when the queue is full.
    mutating func enqueue(_ p: Pending) -> Int64? {
        for k in pending.indices
        where pending[k].owner == p.owner && pending[k].interfaceIndex == p.interfaceIndex
            && pending[k].ipv6 == p.ipv6
        {
            pending[k].wanted.insert(p.wanted)
            pending[k].addresses = p.addresses
            pending[k].skip &= p.skip
            pending[k].skipNSEC = pending[k].skipNSEC && p.skipNSEC
            pending[k].due = min(pending[k].due, p.due)
            pending[k].probeDefence = pending[k].probeDefence || p.probeDefence
            if p.awaitingKnownAnswers && !pending[k].awaitingKnownAnswers {
                pending[k].awaitingKnownAnswers = true
                pending[k].source = p.source
            }
            return pending[k].due
        }
        guard pending.count < Self.pendingCapacity else { return nil }
        pending.append(p)
        return p.due
    }

    /// §7.2: applies the current packet's known answers (`scratchKnown`)
    /// to the answers waiting for a truncated query from `source`.
    /// Returns true when there was one.
    mutating func addKnownAnswers(from source: IPAddress, interfaceIndex: UInt32, ipv6: Bool) -> Bool {
        var found = false
        for k in pending.indices
        where pending[k].awaitingKnownAnswers && pending[k].source == source
            && pending[k].interfaceIndex == interfaceIndex && pending[k].ipv6 == ipv6
        {
            let subject: Subject = pending[k].isOwn ? .own : .other(pending[k].owner)
            pending[k].skip |= knownMask(subject, pending[k].addresses, trueTTL: pending[k].ttl)
            found = true
        }
        return found
    }

    /// §7.4 duplicate answer suppression: another responder multicast
    /// `record` on this interface and family with a TTL not less than the
    /// one a waiting answer would give: an address record (A or AAAA) with
    /// one of its addresses drops that address; an NSEC identical to the
    /// one it would send (§6.1: owner and next name its name, the same
    /// types) drops the NSEC. A malformed record drops the packet, as
    /// everywhere else.
    mutating func suppressDuplicate(
        _ reader: DNSMessageReader, _ record: DNSRecord, interfaceIndex: UInt32,
        ipv6: Bool
    ) throws(NostrError) {
        let isNSEC = record.type == DNSType.nsec
        let address = isNSEC ? nil : try IPAddress(bytes: reader.rdata(of: record))
        let nsec = isNSEC ? try reader.nsec(record) : nil
        for k in pending.indices
        where pending[k].interfaceIndex == interfaceIndex && pending[k].ipv6 == ipv6
            && record.ttl >= pending[k].ttl
        {
            let same = pending[k].name.withUnsafeBytes { reader.name(record.name, equals: $0) }
            guard same else { continue }
            if let address {
                for j in pending[k].addresses.indices where j < 64 && pending[k].addresses[j] == address {
                    pending[k].skip |= 1 << UInt64(j)
                }
            } else if let nsec, nsec.types == Self.types(pending[k].addresses),
                pending[k].name.withUnsafeBytes({ reader.name(nsec.next, equals: $0) })
            {
                pending[k].skipNSEC = true
            }
        }
    }

    /// When the first waiting answer is due.
    var nextPendingDeadline: Int64? {
        var best: Int64? = nil
        for p in pending { best = min(best ?? p.due, p.due) }
        return best
    }

    /// §6: sends the answers due at `now`, those of one interface and
    /// family aggregated into one packet (more when they do not fit).
    mutating func flushPending(
        now: Int64, families: (ipv4: Bool, ipv6: Bool), buffer: UnsafeMutableRawBufferPointer,
        emit: (MDNSDestination, Bool, UnsafeRawBufferPointer) -> Void
    ) {
        while let first = pending.firstIndex(where: { $0.due <= now }) {
            let iface = pending[first].interfaceIndex, v6 = pending[first].ipv6
            guard let i = interfaces.firstIndex(where: { $0.index == iface }), v6 ? families.ipv6 : families.ipv4 else {
                pending.remove(at: first)
                continue
            }
            var w = DNSMessageWriter(buffer: buffer, limit: min(buffer.count, Self.maxPacket))
            w.header.isResponse = true
            w.header.isAuthoritative = true
            scratchAdditional.removeAll(keepingCapacity: true)
            var written = 0
            var k = first
            while k < pending.count {
                let p = pending[k]
                guard p.due <= now && p.interfaceIndex == iface && p.ipv6 == v6 else {
                    k += 1
                    continue
                }
                let mark = w.mark()
                var tally = Tally()
                do throws(NostrError) {
                    let (n, additional) = try writeAnswers(
                        &w, name: p.name, owner: p.owner, addresses: p.addresses,
                        ttl: p.ttl, rawClass: p.rawClass, wanted: p.wanted,
                        skip: p.skip, skipNSEC: p.skipNSEC, route: .multicast, interfaceIndex: iface,
                        ipv6: v6, isProbe: p.probeDefence, now: now, &tally)
                    written += n
                    if additional { scratchAdditional.append((p.name, p.addresses, p.ttl, p.wanted, p.rawClass)) }
                } catch {
                    // Full: the rest goes in the next packet (unless this one
                    // is alone and still does not fit: then it is dropped).
                    w.rollback(to: mark)
                    if written > 0 { break }
                }
                pending.remove(at: k)
            }
            appendAdditional(&w)
            if written > 0 {
                let length = w.finish()
                emit(group(interfaces[i], ipv6: v6), v6, UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
            }
        }
    }

    /// Writes one owner's answers of the types `wanted` (skipping the
    /// addresses in `skip`), or an NSEC for what it lacks (§6.1), and
    /// records multicasts in the rate limit (§6). Returns how many records
    /// were written and whether the other family belongs in the Additional
    /// Section (§6.2).
    mutating func writeAnswers(
        _ w: inout DNSMessageWriter, name: [UInt8], owner: Bytes32, addresses: [IPAddress],
        ttl answerTTL: UInt32, rawClass: UInt16, wanted: AddressTypes, skip: UInt64,
        skipNSEC: Bool = false, route: MDNSRules.Route, interfaceIndex iface: UInt32, ipv6 v6: Bool, isProbe: Bool,
        now: Int64, _ tally: inout Tally
    ) throws(NostrError) -> (Int, Bool) {
        var asked = AddressTypes.none
        var sent = AddressTypes.none
        var wrote = 0
        try wanted.forEach { (t) throws(NostrError) in
            let key = MDNSRateLimit.Key(owner: owner, type: t, interfaceIndex: iface, ipv6: v6)
            if route == .multicast
                && !(isProbe ? rateLimit.probeDefenceDue(key, now: now) == nil : rateLimit.allows(key, now: now))
            {
                tally.limited = true
                return
            }
            asked.insert(t == DNSType.a ? .a : .aaaa)
            var n = 0
            var present = false
            for k in addresses.indices where addresses[k].isIPv4 == (t == DNSType.a) {
                present = true
                if k < 64 && skip & (1 << UInt64(k)) != 0 { continue }
                let result: Result<Void, NostrError> = addresses[k].withBytes { rdata in
                    Result { () throws(NostrError) in
                        try name.withBytes { (nm) throws(NostrError) in
                            try w.appendRecord(.answer, name: nm, type: t, rawClass: rawClass, ttl: answerTTL, rdata: rdata)
                        }
                    }
                }
                try result.get()
                n += 1
            }
            if n == 0 && present { tally.known = true }
            wrote += n
            if n > 0 { sent.insert(t == DNSType.a ? .a : .aaaa) }
        }
        // §6.1: a name that exists but lacks the type asked: NSEC in the
        // Answer Section; other types (TXT, HINFO...) get it too.
        var missing = true
        try wanted.forEach { (t) throws(NostrError) in if Self.has(addresses, t) { missing = false } }
        if (missing && !asked.isEmpty) || wanted.isEmpty {
            let nsecKey = MDNSRateLimit.Key(owner: owner, type: DNSType.nsec, interfaceIndex: iface, ipv6: v6)
            if skipNSEC {
                tally.known = true
            } else if wanted.isEmpty && route == .multicast && !rateLimit.allows(nsecKey, now: now) && !isProbe {
                tally.limited = true
            } else {
                try name.withBytes { (nm) throws(NostrError) in
                    try w.appendNSEC(.answer, name: nm, rawClass: rawClass, ttl: answerTTL, types: Self.types(addresses))
                }
                wrote += 1
                sent.insert(asked)
                if route == .multicast { rateLimit.record(nsecKey, now: now) }
            }
        }
        // Recorded once everything is written: a packet that turned out
        // too small (rolled back) leaves the rate limit as it was.
        if route == .multicast {
            try sent.forEach { (t) throws(NostrError) in
                rateLimit.record(.init(owner: owner, type: t, interfaceIndex: iface, ipv6: v6), now: now)
            }
        }
        if (missing && !asked.isEmpty) || wanted.isEmpty { return (wrote, false) }
        return (wrote, wrote > 0 && wanted != AddressTypes(bits: 3))
    }

    /// §6.2: the other family's addresses (or an NSEC saying there are
    /// none) for `scratchAdditional`, as additional records, when they fit.
    func appendAdditional(_ w: inout DNSMessageWriter) {
        for extra in scratchAdditional {
            let mark = w.mark()
            let other = extra.wanted.contains(.a) ? DNSType.aaaa : DNSType.a
            do throws(NostrError) {
                try extra.name.withBytes { (nm) throws(NostrError) in
                    if Self.has(extra.addresses, other) {
                        try appendAddresses(
                            &w, .additional, name: nm, addresses: extra.addresses, type: other,
                            rawClass: extra.rawClass, ttl: extra.ttl)
                    } else {
                        try w.appendNSEC(
                            .additional, name: nm, rawClass: extra.rawClass, ttl: extra.ttl,
                            types: Self.types(extra.addresses))
                    }
                }
            } catch {
                w.rollback(to: mark)
            }
        }
    }
}
