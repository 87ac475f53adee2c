import CPlatform

/// SIGINT and SIGTERM as a flag that the poll loop checks. The handler only
/// stores to a `volatile sig_atomic_t` and writes a byte to a self-pipe
/// (async-signal-safe, signal-safety(7)); `PollSet.wait` watches the pipe,
/// so a signal that arrives between the loop's check of `requested` and
/// poll(2) still wakes the loop at once instead of after poll's timeout.
public enum StopSignal {
    public static func install() { nd_catch_stop_signals() }
    public static var requested: Bool { nd_stop_requested() != 0 }
    /// The self-pipe's read end, -1 until `install()`.
    static var wakeDescriptor: Int32 { nd_stop_fd() }
    /// Empties the self-pipe once it woke a poll.
    static func drain() { nd_stop_drain() }
}
