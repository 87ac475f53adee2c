import Foundation
import NostrPlatform
import Synchronization

/// A flag that a blocking loop on another thread checks (`RelayPool.run`'s
/// `stop`, every 50 ms): set when the awaiting task is cancelled or a
/// watch's consumer goes away.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// Runs `body` (a blocking poll loop over relay sockets) on a thread of its
/// own, so the caller's thread (and the cooperative pool) never blocks in
/// poll(2); cancelling the awaiting task raises `stop`, which the loop
/// checks, and the call then throws `.cancelled`.
func runOnOwnThread<T: Sendable>(_ body: @escaping @Sendable (StopFlag) -> Result<T, NostrDNSError>) async throws(NostrDNSError) -> T {
    let stop = StopFlag()
    let result: Result<T, NostrDNSError> = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, NostrDNSError>, Never>) in
            let thread = Thread {
                continuation.resume(returning: body(stop))
            }
            thread.name = "nostr-dns relays"
            thread.start()
        }
    } onCancel: {
        stop.raise()
    }
    if stop.isRaised || Task.isCancelled { throw .cancelled }
    return try result.get()
}

extension Duration {
    /// Whole milliseconds (the relay layer's unit), clamped to [1 ms, 1 day]
    /// so that deadlines computed from them cannot overflow.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let day: Int64 = 86_400_000
        guard seconds < day / 1000 else { return day }
        return min(day, max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}

/// Runs a server's loop (`body`, given the loop's stop) on a thread of its
/// own until the awaiting task is cancelled: cancelling requests the stop,
/// whose self-pipe wakes the loop at once; the call then returns once the
/// loop has shut down (relays closed, cache saved, sockets closed).
func runUntilCancelled(
    threadName: String, _ body: @escaping @Sendable (LoopStop) -> Result<Void, NostrDNSError>
) async throws(NostrDNSError) {
    let stop: LoopStop
    do throws(PlatformError) { stop = try LoopStop() } catch { throw NostrDNSError(error) }
    let result: Result<Void, NostrDNSError> = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, NostrDNSError>, Never>) in
            let thread = Thread {
                continuation.resume(returning: body(stop))
            }
            thread.name = threadName
            thread.start()
        }
    } onCancel: {
        stop.request()
    }
    try result.get()
}

/// A value built on one thread and run on another exactly once (a server
/// a service opens in `init` and runs on its own thread): the first `take`
/// gets it, later ones nil.
final class Handoff<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?

    init(_ value: Value) { self.value = value }

    func take() -> Value? {
        lock.lock()
        defer { lock.unlock() }
        let taken = value
        value = nil
        return taken
    }
}
