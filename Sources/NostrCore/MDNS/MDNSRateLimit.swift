/// RFC 6762 §6: "a Multicast DNS responder MUST NOT (except in the one
/// special case of answering probe queries) multicast a record on a given
/// interface until at least one second has elapsed since the last time
/// that record was multicast on that particular interface."
///
/// A fixed-capacity table of when each record set (owner key, type) was
/// last multicast on each interface and family. When full, the entry
/// multicast longest ago is reused, so the table never grows: at worst a
/// forgotten record may be multicast again early, never late. No
/// allocation after `init`.
public struct MDNSRateLimit: Sendable {
    public struct Key: Equatable, Sendable {
        public var owner: Bytes32
        public var type: UInt16
        public var interfaceIndex: UInt32
        public var ipv6: Bool

        public init(owner: Bytes32, type: UInt16, interfaceIndex: UInt32, ipv6: Bool) {
            self.owner = owner
            self.type = type
            self.interfaceIndex = interfaceIndex
            self.ipv6 = ipv6
        }
    }

    private var keys: [Key]
    private var times: [Int64]
    private var used = 0

    public init(capacity: Int = 256) {
        keys = Array(repeating: Key(owner: .zero, type: 0, interfaceIndex: 0, ipv6: false), count: max(capacity, 1))
        times = Array(repeating: Int64.min, count: max(capacity, 1))
    }

    /// When `key` was last multicast, or nil.
    public func lastMulticast(_ key: Key) -> Int64? {
        for i in 0..<used where keys[i] == key { return times[i] }
        return nil
    }

    /// True when `key` may be multicast at `now`: never before, or at least
    /// a second ago.
    public func allows(_ key: Key, now: Int64) -> Bool {
        guard let last = lastMulticast(key) else { return true }
        return now - last >= MDNSRules.rateLimitMilliseconds
    }

    /// §6: "In this special case only, when responding via multicast to a
    /// probe, a Multicast DNS responder is only required to delay its
    /// transmission as necessary to ensure an interval of at least 250 ms
    /// since the last time the record was multicast on that interface."
    /// Nil when `key` may be multicast at `now` in defence of a probe, else
    /// when it may.
    public func probeDefenceDue(_ key: Key, now: Int64) -> Int64? {
        guard let last = lastMulticast(key), now - last < MDNSRules.probeDefenceIntervalMilliseconds else { return nil }
        return last + MDNSRules.probeDefenceIntervalMilliseconds
    }

    /// True when `key` was multicast within `milliseconds` before `now`
    /// (§5.4: "within one quarter of its TTL").
    public func multicastWithin(_ key: Key, milliseconds: Int64, now: Int64) -> Bool {
        guard let last = lastMulticast(key) else { return false }
        return now - last < milliseconds
    }

    /// Records that `key` was multicast at `now`.
    public mutating func record(_ key: Key, now: Int64) {
        for i in 0..<used where keys[i] == key {
            times[i] = now
            return
        }
        if used < keys.count {
            keys[used] = key
            times[used] = now
            used += 1
            return
        }
        var oldest = 0
        for i in 1..<used where times[i] < times[oldest] { oldest = i }
        keys[oldest] = key
        times[oldest] = now
    }

    /// Forgets everything (after a goodbye, records may be announced anew).
    public mutating func reset() { used = 0 }
}
