import CPlatform

/// A stop request for one `EventLoop` run, from another thread: what the
/// process-wide `StopSignal` (SIGINT, SIGTERM) is to the command-line tool,
/// for a server run in-process (the Swift API's `DNSService` and
/// `MDNSService`, stopped when their task is cancelled). `request()` writes
/// one byte to a non-blocking self-pipe whose read end the loop polls with
/// its sockets, so the loop wakes at once, whatever its next deadline
/// (pipe(7); the same self-pipe trick as `StopSignal`). Only the kernel's
/// pipe is shared between the threads: the type holds nothing mutable.
public final class LoopStop: Sendable {
    /// The pipe's read end (polled by the loop) and write end; -1 if the
    /// pipe could not be made (`init` throws then).
    let readEnd: Int32
    let writeEnd: Int32

    public init() throws(PlatformError) {
        var ends: (Int32, Int32) = (-1, -1)
        let made = withUnsafeMutablePointer(to: &ends) {
            $0.withMemoryRebound(to: Int32.self, capacity: 2) { nd_pipe($0) }
        }
        guard made == 0 else { throw PlatformError(.io, errno: nd_errno(), path: "pipe") }
        (readEnd, writeEnd) = ends
    }

    deinit {
        _ = CPlatform.close(readEnd)
        _ = CPlatform.close(writeEnd)
    }

    /// Asks the loop to stop (from any thread, any number of times): it
    /// finishes its turn, shuts the relays down, saves the cache and returns.
    public func request() {
        var byte: UInt8 = 0x73
        // A full pipe means a wake-up is pending already.
        _ = write(writeEnd, &byte, 1)
    }

    /// True once `request()` was called (the byte stays in the pipe).
    public var requested: Bool { PollSet.readyNow(fd: readEnd, interest: .read).contains(.read) }
}
