import CPlatform

/// Clocks: monotonic time for measuring and for deadlines, wall time for
/// `created_at`.
public enum Clock {
    /// Nanoseconds from an arbitrary fixed point (CLOCK_MONOTONIC, clock_gettime(2)).
    public static func monotonicNanoseconds() -> UInt64 { UInt64(nd_monotonic_ns()) }

    /// Milliseconds from an arbitrary fixed point (CLOCK_MONOTONIC): the unit
    /// of deadlines in the poll loop. Never jumps with the wall clock.
    public static func monotonicMilliseconds() -> Int64 { Int64(nd_monotonic_ns() / 1_000_000) }

    /// The poll(2) timeout that wakes at `deadline` (in `monotonicMilliseconds`):
    /// 0 when it has passed, clamped to Int32.max.
    public static func pollTimeout(until deadline: Int64) -> Int32 {
        let left = deadline - monotonicMilliseconds()
        if left <= 0 { return 0 }
        return left >= Int64(Int32.max) ? Int32.max : Int32(left)
    }

    /// Seconds since the Unix epoch (CLOCK_REALTIME).
    public static func unixTime() -> Int64 { Int64(nd_unix_time()) }
}
