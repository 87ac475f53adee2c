/// Which conflicts for the own name (RFC 6762 §9) are worth a log line: one
/// per source per `periodMilliseconds`, and at most `capacity` lines per
/// period whatever the sources (an attacker on an IPv6 link has 2^64
/// addresses to send from). A flood of spoofed answers costs a bounded
/// number of lines; each logged line says how many conflicts went unlogged
/// since the one before.
///
/// A fixed table (`capacity` sources with the time each was last logged):
/// when full, the source logged longest ago is forgotten. No allocation
/// after `init`.
public struct MDNSConflictLog: Sendable {
    public static let periodMilliseconds: Int64 = 60_000
    public static let capacity = 16

    var sources: [IPAddress]
    var times: [Int64]
    var used = 0
    var periodStart = Int64.min
    var linesInPeriod = 0
    /// Conflicts seen but not logged since the last line.
    public private(set) var unlogged = 0

    public init() {
        sources = Array(repeating: .v4(0), count: Self.capacity)
        times = Array(repeating: Int64.min, count: Self.capacity)
    }

    /// One conflict from `source` at `now`: returns nil when it is not to
    /// be logged, else how many conflicts went unlogged before it.
    public mutating func note(source: IPAddress, now: Int64) -> Int? {
        if periodStart == Int64.min || now - periodStart >= Self.periodMilliseconds {
            periodStart = now
            linesInPeriod = 0
        }
        var slot = -1
        for k in 0..<used where sources[k] == source {
            if now - times[k] < Self.periodMilliseconds {
                unlogged += 1
                return nil
            }
            slot = k
        }
        guard linesInPeriod < Self.capacity else {
            unlogged += 1
            return nil
        }
        if slot < 0 {
            if used < Self.capacity {
                slot = used
                used += 1
            } else {
                slot = 0
                for k in 1..<used where times[k] < times[slot] { slot = k }
            }
        }
        sources[slot] = source
        times[slot] = now
        linesInPeriod += 1
        defer { unlogged = 0 }
        return unlogged
    }
}
