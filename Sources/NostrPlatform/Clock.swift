import CPlatform

/// Clocks: monotonic time for measuring, wall time for `created_at`.
public enum Clock {
    /// Nanoseconds from an arbitrary fixed point (CLOCK_MONOTONIC).
    public static func monotonicNanoseconds() -> UInt64 { UInt64(nd_monotonic_ns()) }

    /// Milliseconds from an arbitrary fixed point (CLOCK_MONOTONIC), for
    /// timeouts and the poll loop.
    public static func monotonicMilliseconds() -> UInt64 { UInt64(nd_monotonic_ns()) / 1_000_000 }

    /// Seconds since the Unix epoch (CLOCK_REALTIME).
    public static func unixTime() -> Int64 { Int64(nd_unix_time()) }
}
