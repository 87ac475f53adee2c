/// When the kept copy of the resolver cache is written (`--cache-keep`,
/// issue 17 item 7): the copy on flash of a router whose working cache file
/// (`--cache`) lives in RAM (/tmp), so that flash is not rewritten every
/// time the working file is (every 5 minutes when the cache changed).
///
/// Sans-IO, on injected monotonic milliseconds: the copy is written when
/// the cache changed since the last copy and `intervalMilliseconds` passed
/// since the last copy (or the start), and at a clean stop when it changed;
/// never otherwise. A write that failed counts as not kept: tried again at
/// the next interval or at the stop, not sooner (a full or read-only flash
/// is not hammered).
public struct CacheKeepSchedule: Equatable, Sendable {
    /// The default interval: 6 hours (`--keep-interval 21600`).
    public static let defaultIntervalSeconds: Int64 = 21_600
    /// The shortest interval accepted: 1 minute (never more often than the
    /// working file: set it to 300 s or more in practice).
    public static let minimumIntervalSeconds: Int64 = 60
    /// The longest: a week.
    public static let maximumIntervalSeconds: Int64 = 604_800

    public let intervalMilliseconds: Int64
    /// The earliest time of the next periodic write.
    public private(set) var notBefore: Int64
    /// The cache changed since the copy was last written (or the copy is
    /// older than what was loaded: the working file of a respawn).
    public private(set) var unkept: Bool

    /// A schedule started at `now`: the first periodic write is not before
    /// `now + intervalMilliseconds`. `unkept`: the cache in memory already
    /// differs from the copy (it came from the working file).
    public init(intervalMilliseconds: Int64, now: Int64, unkept: Bool = false) {
        self.intervalMilliseconds = max(intervalMilliseconds, 1)
        notBefore = now &+ self.intervalMilliseconds
        self.unkept = unkept
    }

    /// The cache changed (a record taken, confirmed or removed).
    public mutating func cacheChanged() { unkept = true }

    /// When the loop must wake up for the copy at the latest (nil: not
    /// before the cache changes).
    public var nextDeadline: Int64? { unkept ? notBefore : nil }

    /// Whether the copy is to be written now. When it is, it counts as
    /// kept from now on and the next periodic write is an interval later
    /// (`failed` if the write did not happen).
    public mutating func due(now: Int64) -> Bool {
        guard unkept, now >= notBefore else { return false }
        unkept = false
        notBefore = now &+ intervalMilliseconds
        return true
    }

    /// At a clean stop (SIGTERM, SIGINT): whether the copy is to be written
    /// (the cache changed since it was last written).
    public mutating func dueAtStop() -> Bool {
        guard unkept else { return false }
        unkept = false
        return true
    }

    /// The write `due` or `dueAtStop` asked for failed: the copy is still
    /// to be written (at the next interval, or at the stop).
    public mutating func failed() { unkept = true }
}
