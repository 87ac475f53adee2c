/// A response rate limit per client network for the DNS server's UDP
/// answers, in the spirit of RRL (BIND's Response Rate Limiting, the
/// technique of Vixie and Schryver 2012; RFC 8906 §6 calls it a normal
/// defence): a DNS answer can be larger than its query (a query for a name
/// with many AAAA records gets 12 times its size back), and UDP sources
/// are forged, so without a limit the server is an amplifier aimed at
/// whoever's address the attacker writes (issue 16 item 5).
///
/// - Clients are counted per network: IPv4 /24, IPv6 /56 (as BIND's
///   defaults), so one host spoofing neighbouring addresses shares one
///   budget. Loopback is not limited (dnsmasq or the host's own stub).
/// - Each network has a token bucket of `responsesPerSecond` tokens,
///   refilled continuously; an answer takes one.
/// - Over the limit, every `slip`-th answer is still sent, cut to its
///   header and question with TC set (`DNSTruncation`): no larger than
///   the query, so worthless to an attacker, while a real client that
///   happens to be over the limit retries over TCP (which cannot be
///   spoofed) and gets its answer. The others are dropped.
/// - The table is bounded (`capacity` networks, open addressing, 8 slots
///   probed); a network that finds no slot takes the least recently seen
///   of its 8, so the memory never grows and nothing allocates per query.
public struct ResponseRateLimit {
    /// What to do with one answer.
    public enum Verdict: Equatable, Sendable {
        /// Send it as it is.
        case send
        /// Send it cut to header and question with TC (`DNSTruncation`).
        case slip
        /// Send nothing.
        case drop
    }

    struct Slot {
        /// The network (IPv4 /24 or IPv6 /56, family in the top bit); 0: free.
        var key: UInt64 = 0
        /// Tokens, in thousandths (refilled at `responsesPerSecond` per second).
        var milliTokens: Int64 = 0
        var last: Int64 = 0
        var over: UInt32 = 0
    }

    /// Answers per second and network (also the burst); 0 disables the limit.
    public let responsesPerSecond: Int
    /// Every `slip`-th answer over the limit is sent truncated (0: none).
    public let slip: Int
    var slots: [Slot]
    let mask: Int
    /// Answers dropped and slipped so far (for the `-v` log and the tests).
    public private(set) var dropped = 0
    public private(set) var slipped = 0

    /// `capacity` is rounded up to a power of two (at least 16).
    public init(responsesPerSecond: Int, slip: Int = 2, capacity: Int = 4096) {
        self.responsesPerSecond = max(0, responsesPerSecond)
        self.slip = max(0, slip)
        var n = 16
        while n < capacity { n <<= 1 }
        slots = [Slot](repeating: Slot(), count: responsesPerSecond > 0 ? n : 0)
        mask = n - 1
    }

    /// The network key of `source`: nil for loopback (never limited).
    static func key(_ source: IPAddress) -> UInt64? {
        if AddressScope(source) == .loopback { return nil }
        switch source {
        case .v4(let a): return 1 << 63 | UInt64(a >> 8)
        case .v6(let hi, let lo):
            if hi == 0 && lo >> 32 == 0xFFFF { return 1 << 63 | UInt64(UInt32(truncatingIfNeeded: lo) >> 8) }
            return 1 << 62 | hi >> 8
        }
    }

    /// Decides one answer to `source` at `now` (milliseconds, monotonic).
    public mutating func admit(_ source: IPAddress, now: Int64) -> Verdict {
        guard responsesPerSecond > 0, let key = Self.key(source) else { return .send }
        let i = slot(for: key, now: now)
        let full = Int64(responsesPerSecond) * 1000
        let elapsed = max(0, now - slots[i].last)
        slots[i].milliTokens = min(full, slots[i].milliTokens + elapsed * Int64(responsesPerSecond))
        slots[i].last = now
        if slots[i].milliTokens >= 1000 {
            slots[i].milliTokens -= 1000
            slots[i].over = 0
            return .send
        }
        slots[i].over &+= 1
        if slip > 0 && slots[i].over % UInt32(slip) == 0 {
            slipped += 1
            return .slip
        }
        dropped += 1
        return .drop
    }

    /// The slot of `key`: its own, a free one, or the least recently seen
    /// of the 8 probed (taken over with a full bucket).
    mutating func slot(for key: UInt64, now: Int64) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        let start = Int(truncatingIfNeeded: h) & mask
        var oldest = start
        for p in 0..<8 {
            let i = (start + p) & mask
            if slots[i].key == key { return i }
            if slots[i].key == 0 {
                slots[i] = Slot(key: key, milliTokens: Int64(responsesPerSecond) * 1000, last: now)
                return i
            }
            if slots[i].last < slots[oldest].last { oldest = i }
        }
        slots[oldest] = Slot(key: key, milliTokens: Int64(responsesPerSecond) * 1000, last: now)
        return oldest
    }
}
