import Foundation
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
