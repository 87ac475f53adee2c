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
/// response, cache-flush bits set) twice, one second apart.
///
/// §9 has a host that sees a conflicting answer for its unique records go
/// back to probing, and the loser "cease using the name, and reconfigure"
/// (a new name). A name made of an npub is proven by its key: nobody else
/// can legitimately own `<own npub>.local`, and it cannot be renamed (the
/// key is the name). Going back to probing would hand every host on the
/// link a switch that silences it (one spoofed answer every 4.5 s kept it
/// unanswered for good). So a conflict never stops this host answering:
///
/// - once the name is claimed, a conflict schedules a *defence*: the
///   records announced again (cache-flush set, §10.2, so that caches drop
///   the conflicting record), at most once per `defenceIntervalMilliseconds`
///   (§6: a record at most once a second per interface), and once the
///   conflicts reach §8.1's rate limit (15 within 10 s) at most once per
///   `floodIntervalMilliseconds` (§8.1: "wait at least five seconds before
///   each successive additional probe attempt"; checked again when the
///   defence falls due). Later conflicts never postpone a scheduled defence
///   beyond that, nor make it go twice;
/// - while probing (at start or after an address change, §8.4), a
///   conflicting answer does not make this host defer (§8.1): probing goes
///   on and the announcements that follow it are the defence;
/// - §8.2: losing a simultaneous-probe tiebreak defers one second, at most
///   `maxTieBreakDeferrals` times per claim, so that spoofed probes cannot
///   keep the name in probing (unanswered) for ever.
///
/// The same defence answers §6.6's other case: the own record, same data,
/// sent by another host with a TTL below half of ours (a spoofed goodbye
/// makes caches forget the name in one second).
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
        /// An unsolicited announcement of all the host's records (§8.3,
        /// and a defence after a conflict, §9).
        case announce
    }

    /// §6: a record is multicast at most once a second per interface;
    /// the shortest time between two announcements, defences included.
    public static let defenceIntervalMilliseconds: Int64 = 1000
    /// §8.1's rate limit: after `floodConflicts` conflicts within
    /// `floodWindowMilliseconds`, one defence per 5 s.
    public static let floodConflicts = 15
    public static let floodWindowMilliseconds: Int64 = 10_000
    public static let floodIntervalMilliseconds: Int64 = 5000
    /// §8.2: the loser of simultaneous probing waits one second.
    public static let tieBreakRetryMilliseconds: Int64 = 1000
    /// How many lost tiebreaks defer one claim (probing then goes on).
    public static let maxTieBreakDeferrals = 3

    public private(set) var phase: Phase
    /// When the next step is due (monotonic ms); nil when nothing is.
    public private(set) var nextAt: Int64?
    /// How many conflicts were seen (for the log).
    public private(set) var conflicts = 0
    /// How many defences (announcements after a conflict) were scheduled.
    public private(set) var defences = 0
    /// How many lost tiebreaks deferred this claim (§8.2).
    public private(set) var tieBreakDeferrals = 0
    /// When the last announcement went out.
    public private(set) var lastAnnouncedAt: Int64?
    /// The times of the last `floodConflicts` conflicts (a ring), for
    /// §8.1's rate limit; allocated once, in `init`.
    var recent: [Int64]
    var recentNext = 0
    /// A defence is due at `nextAt`.
    var defending = false
    /// When the records were last multicast when the defence was scheduled
    /// (Int64.min: never); the defence waits `defenceInterval` after it.
    var defenceBase = Int64.min

    /// `initialDelay`: 0–250 ms, chosen at random by the caller (§8.1).
    public init(now: Int64, initialDelay: Int64) {
        phase = .probing(sent: 0)
        nextAt = now + max(0, min(initialDelay, MDNSRules.probeIntervalMilliseconds))
        recent = Array(repeating: Int64.min, count: MDNSHostClaim.floodConflicts)
    }

    /// §8.1: the name may be used in answers once probing has succeeded.
    /// Conflicts never take this back (see above).
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
            lastAnnouncedAt = now
            return .announce
        case .announcing(let sent):
            if sent < MDNSRules.announceCount {
                phase = .announcing(sent: sent + 1)
                nextAt = sent + 1 < MDNSRules.announceCount ? now + MDNSRules.announceIntervalMilliseconds : nil
                if nextAt == nil { phase = .claimed }
                lastAnnouncedAt = now
                return .announce
            }
            phase = .claimed
            nextAt = nil
            return nil
        case .claimed:
            nextAt = nil
            guard defending else { return nil }
            // §8.1's rate limit may have been reached since the defence was
            // scheduled: then it waits for 5 s after the last announcement.
            let due = defenceBase == Int64.min ? now : defenceBase + defenceInterval(now: now)
            if now < due {
                nextAt = due
                return nil
            }
            defending = false
            lastAnnouncedAt = now
            return .announce
        }
    }

    /// §9: another host answered for the name with other data. This host
    /// goes on answering and defends the name (see above). Returns true
    /// when this conflict scheduled a defence.
    @discardableResult
    public mutating func conflict(now: Int64, lastMulticast: Int64? = nil) -> Bool {
        conflicts += 1
        return defend(now: now, lastMulticast: lastMulticast)
    }

    /// Schedules a defence, rate-limited: none while probing or announcing
    /// (their own announcements come within a second), one at a time, and
    /// not within `defenceInterval(now:)` of the last announcement.
    /// Counts towards §8.1's rate limit. `lastMulticast`: when the records
    /// were last multicast in an answer (§6 counts those too). Returns true
    /// when one was scheduled.
    @discardableResult
    public mutating func defend(now: Int64, lastMulticast: Int64? = nil) -> Bool {
        recent[recentNext] = now
        recentNext = (recentNext + 1) % recent.count
        guard phase == .claimed, !defending else { return false }
        defending = true
        defences += 1
        defenceBase = max(lastAnnouncedAt ?? Int64.min, lastMulticast ?? Int64.min)
        nextAt = defenceBase == Int64.min ? now : max(now, defenceBase + defenceInterval(now: now))
        return true
    }

    /// §6 (once a second), or §8.1 (once per 5 s) when the last 15
    /// conflicts all came within 10 s.
    public func defenceInterval(now: Int64) -> Int64 {
        // The oldest of the last 15 (Int64.min while fewer were seen).
        let oldest = recent[recentNext]
        return oldest != Int64.min && now - oldest < MDNSHostClaim.floodWindowMilliseconds
            ? MDNSHostClaim.floodIntervalMilliseconds : MDNSHostClaim.defenceIntervalMilliseconds
    }

    /// §8.2 simultaneous probe tie-breaking: another host probes for the
    /// name while this one does. `ours` and `theirs` are the rdata of the
    /// proposed records of one type, sorted. Returns true when this host
    /// lost and defers (probes again in one second): only while probing,
    /// and at most `maxTieBreakDeferrals` times per claim. Identical data
    /// is not a conflict (the same host, or two responders for the same key
    /// with the same addresses).
    @discardableResult
    public mutating func simultaneousProbe(ours: [[UInt8]], theirs: [[UInt8]], now: Int64) -> Bool {
        guard case .probing = phase else { return false }
        guard MDNSHostClaim.compare(ours, theirs) < 0 else { return false }
        guard tieBreakDeferrals < MDNSHostClaim.maxTieBreakDeferrals else { return false }
        tieBreakDeferrals += 1
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
