/// Reconnect delays for relays: exponential backoff with full jitter
/// ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015), so
/// that routers restarting together do not reconnect in lockstep.
public struct Backoff: Sendable {
    /// Delay cap before jitter for the first retry, in milliseconds.
    public var baseMilliseconds: UInt64
    /// Longest delay, in milliseconds.
    public var maxMilliseconds: UInt64

    public init(baseMilliseconds: UInt64 = 500, maxMilliseconds: UInt64 = 60_000) {
        self.baseMilliseconds = baseMilliseconds
        self.maxMilliseconds = maxMilliseconds
    }

    /// The delay before retry number `attempt` (0 for the first retry):
    /// uniformly in [cap/2, cap] where cap = min(max, base * 2^attempt).
    /// `random` is any random 32-bit value from the caller (sans-IO).
    public func delay(attempt: Int, random: UInt32) -> UInt64 {
        let shift = UInt64(min(max(attempt, 0), 20))
        let cap = min(maxMilliseconds, baseMilliseconds << shift)
        let half = cap / 2
        return half + UInt64(random) % (cap - half + 1)
    }
}
