/// Probing (RFC 6762 §8.1) and announcing (§8.3) the host's own name,
/// `<own npub>.local`, on one interface, as a timer-driven state machine.
///
/// §8.1: before using a unique name a host sends three probe queries
/// 250 ms apart, starting 0–250 ms after start-up, each asking for the name
/// (type ANY) with its proposed records in the Authority Section; if no
/// other host answers for the name, it is ours. §8.2: if another host is
/// probing for the same name at once, the host whose records compare
/// lexicographically later wins; the loser waits one second and probes
/// again. §8.3: the winner then announces its records (an unsolicited
/// response, cache-flush bits set) twice, one second apart. §9: a
/// conflicting answer later starts the cycle again. A name made of an
/// npub cannot be renamed as §9 would have it (the key is the name), so
/// after a conflict the host probes again after `conflictRetryMilliseconds`
/// and keeps saying so in its log; §8.1 asks for a 5 s pause after 15
/// conflicts in 10 s, which a fixed 5 s retry respects.
public struct MDNSHostClaim: Sendable {
    public enum Phase: Equatable, Sendable {
        case probing(sent: Int)
        case announcing(sent: Int)
        case claimed
    }

    /// What the caller should send now.
    public enum Step: Equatable, Sendable {
        /// A probe query; `first` sets the QU bit (§8.1: "Probe queries
        /// SHOULD be sent with the QU bit set" on the first, so that a
        /// defending host answers by unicast).
        case probe(first: Bool)
        /// An unsolicited announcement of all the host's records.
        case announce
    }

    public static let conflictRetryMilliseconds: Int64 = 5000
    /// §8.2: the loser of simultaneous probing waits one second.
    public static let tieBreakRetryMilliseconds: Int64 = 1000

    public private(set) var phase: Phase
    /// When the next step is due (monotonic ms); nil once claimed.
    public private(set) var nextAt: Int64?
    /// How many conflicts were seen (for the log).
    public private(set) var conflicts = 0

    /// `initialDelay`: 0–250 ms, chosen at random by the caller (§8.1).
    public init(now: Int64, initialDelay: Int64) {
        phase = .probing(sent: 0)
        nextAt = now + max(0, min(initialDelay, MDNSRules.probeIntervalMilliseconds))
    }

    /// §8.1: the name may be used in answers once probing has succeeded.
    public var mayAnswer: Bool {
        if case .probing = phase { return false }
        return true
    }

    /// The step due at `now`, if any; schedules the next one.
    public mutating func step(now: Int64) -> Step? {
        guard let due = nextAt, now >= due else { return nil }
        switch phase {
        case .probing(let sent):
            if sent < MDNSRules.probeCount {
                phase = .probing(sent: sent + 1)
                nextAt = now + MDNSRules.probeIntervalMilliseconds
                return .probe(first: sent == 0)
            }
            // 250 ms after the third probe with no conflict: the name is ours.
            phase = .announcing(sent: 1)
            nextAt = now + MDNSRules.announceIntervalMilliseconds
            return .announce
        case .announcing(let sent):
            if sent < MDNSRules.announceCount {
                phase = .announcing(sent: sent + 1)
                nextAt = sent + 1 < MDNSRules.announceCount ? now + MDNSRules.announceIntervalMilliseconds : nil
                if nextAt == nil { phase = .claimed }
                return .announce
            }
            phase = .claimed
            nextAt = nil
            return nil
        case .claimed:
            nextAt = nil
            return nil
        }
    }

    /// §8.1 / §9: another host answered for the name with other data.
    /// Probing starts again after a pause.
    public mutating func conflict(now: Int64) {
        conflicts += 1
        phase = .probing(sent: 0)
        nextAt = now + MDNSHostClaim.conflictRetryMilliseconds
    }

    /// §8.2 simultaneous probe tie-breaking: another host probes for the
    /// name while this one does. `ours` and `theirs` are the rdata of the
    /// proposed records of one type, sorted. Returns true when this host
    /// lost (and will probe again in one second). Only matters while
    /// probing; identical data is not a conflict (the same host, or two
    /// responders for the same key with the same addresses).
    @discardableResult
    public mutating func simultaneousProbe(ours: [[UInt8]], theirs: [[UInt8]], now: Int64) -> Bool {
        guard case .probing = phase else { return false }
        guard MDNSHostClaim.compare(ours, theirs) < 0 else { return false }
        phase = .probing(sent: 0)
        nextAt = now + MDNSHostClaim.tieBreakRetryMilliseconds
        return true
    }

    /// §8.2.1: records compared pairwise in sorted order, by rdata bytes
    /// as unsigned values; the set that runs out first is the lesser.
    /// Returns -1, 0 or 1.
    public static func compare(_ a: [[UInt8]], _ b: [[UInt8]]) -> Int {
        let n = min(a.count, b.count)
        for i in 0..<n {
            let c = compareBytes(a[i], b[i])
            if c != 0 { return c }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    static func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
