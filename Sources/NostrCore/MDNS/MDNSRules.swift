/// The rules of RFC 6762 that decide whether and how a Multicast DNS
/// responder answers, as pure functions and small values: no sockets,
/// no clock (times are monotonic milliseconds passed in).
public enum MDNSRules {
    /// RFC 6762 §3: the mDNS port.
    public static let port: UInt16 = 5353
    /// RFC 6762 §6.7: a legacy unicast answer's TTL "SHOULD NOT be greater
    /// than ten seconds".
    public static let legacyUnicastMaxTTL: UInt32 = 10
    /// RFC 6762 §10: records of a host name (A, AAAA, and the NSEC beside
    /// them) "SHOULD use TTL of 120 seconds".
    public static let hostRecordTTL: UInt32 = 120
    /// RFC 6762 §6: at most one multicast of a record per interface per second.
    public static let rateLimitMilliseconds: Int64 = 1000
    /// RFC 6762 §6: an answer defending a name against a probe waits only
    /// for 250 ms since the record's last multicast on the interface.
    public static let probeDefenceIntervalMilliseconds: Int64 = 250
    /// RFC 6762 §6: "each responder SHOULD delay its response by a random
    /// amount of time selected with uniform random distribution in the
    /// range 20-120 ms" when the answer holds shared records.
    public static let sharedDelayMinMilliseconds: Int64 = 20
    public static let sharedDelaySpreadMilliseconds: Int64 = 100
    /// RFC 6762 §7.2 (and §6): a query with the TC bit set is answered
    /// after a random 400–500 ms, so that the querier's further
    /// known-answer packets arrive first.
    public static let truncatedDelayMinMilliseconds: Int64 = 400
    public static let truncatedDelaySpreadMilliseconds: Int64 = 100
    /// RFC 6762 §8.1: three probes, 250 ms apart, after a random 0–250 ms.
    public static let probeCount = 3
    public static let probeIntervalMilliseconds: Int64 = 250
    /// RFC 6762 §8.3: at least two announcements, one second apart.
    public static let announceCount = 2
    public static let announceIntervalMilliseconds: Int64 = 1000
    /// RFC 6762 §18.12 / §18.13: the top bit of a question's class is the
    /// unicast-response (QU) bit, of a record's class the cache-flush bit.
    public static let classTopBit: UInt16 = 0x8000
    /// The class IN (RFC 1035 §3.2.4).
    public static let classIN: UInt16 = 1

    /// How one query is answered (RFC 6762 §5.4, §5.5, §6, §6.7).
    public enum Route: Equatable, Sendable {
        /// §6.7 legacy unicast: the query came from a port other than 5353
        /// (a simple resolver, not a full mDNS querier): answer by unicast
        /// to its address and port, with its ID and question, TTLs at
        /// most 10 s, no cache-flush bits.
        case legacyUnicast
        /// §5.4 (the QU bit) or §5.5 (a query sent by unicast to port
        /// 5353): answer by unicast to the source's port 5353.
        case unicast
        /// Everything else: multicast on the arrival interface.
        case multicast
    }

    /// Chooses the route for the answer to one question.
    ///
    /// `multicastRecently`: the answer was multicast on this interface
    /// within a quarter of its TTL. §5.4: "If the responder has not
    /// multicast that record recently (within one quarter of its TTL),
    /// then the responder SHOULD instead multicast the response so as to
    /// keep all the peer caches up to date".
    public static func route(
        sourcePort: UInt16, destinationIsMulticast: Bool, unicastResponseBit: Bool,
        multicastRecently: Bool
    ) -> Route {
        if sourcePort != port { return .legacyUnicast }
        if !destinationIsMulticast { return .unicast }
        if unicastResponseBit && multicastRecently { return .unicast }
        return .multicast
    }

    /// RFC 6762 §7.1 known-answer suppression: a responder "MUST NOT answer
    /// a Multicast DNS query if the answer it would give is already
    /// included in the Answer Section with an RR TTL at least half the
    /// correct value". `known` is a record of the same name, type, class
    /// and rdata from the query's Answer Section, with its TTL.
    public static func suppressedByKnownAnswer(knownTTL: UInt32, trueTTL: UInt32) -> Bool {
        knownTTL > 0 && UInt64(knownTTL) * 2 >= UInt64(trueTTL)
    }

    /// The TTL to put on a record for `route`: capped at 10 s for legacy
    /// unicast (§6.7).
    public static func ttl(_ ttl: UInt32, for route: Route) -> UInt32 {
        route == .legacyUnicast ? min(ttl, legacyUnicastMaxTTL) : ttl
    }

    /// The class field of an answer: IN, with the cache-flush bit for a
    /// unique record (§10.2) except in a legacy unicast answer (§6.7:
    /// "MUST NOT" set it there, old resolvers would not understand).
    public static func answerClass(unique: Bool, route: Route) -> UInt16 {
        unique && route != .legacyUnicast ? classIN | classTopBit : classIN
    }
}
