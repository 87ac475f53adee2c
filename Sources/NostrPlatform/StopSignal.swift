import CPlatform

/// SIGINT and SIGTERM as a flag that the poll loop checks: the handler only
/// stores to a `volatile sig_atomic_t` (async-signal-safe, signal-safety(7));
/// poll(2) returns EINTR (the handler is installed without SA_RESTART), so
/// the loop wakes at once and shuts down cleanly.
public enum StopSignal {
    public static func install() { nd_catch_stop_signals() }
    public static var requested: Bool { nd_stop_requested() != 0 }
}
