import Testing

@testable import NostrPlatform

#if canImport(Glibc)
import Glibc
#endif

@Suite struct StopSignalTests {
    /// A SIGTERM that arrives after a loop checked `StopSignal.requested`
    /// but before poll(2) blocks must still end the wait at once (the
    /// self-pipe), not after poll's timeout: without it, `resolve --follow`
    /// once took its whole 60 s poll timeout to stop. The signal is raised
    /// just before `wait`, which is that window made certain.
    @Test func aStopSignalJustBeforeWaitEndsTheWaitAtOnce() throws {
        StopSignal.install()
        defer {
            // The test process goes back to the default dispositions.
            signal(SIGTERM, SIG_DFL)
            signal(SIGINT, SIG_DFL)
        }
        // To the process (test threads block signals; some thread takes it).
        kill(getpid(), SIGTERM)
        let sent = Clock.monotonicMilliseconds()
        while !StopSignal.requested && Clock.monotonicMilliseconds() - sent < 2_000 { usleep(1_000) }
        #expect(StopSignal.requested)
        var poll = PollSet()
        poll.add(fd: -1, interest: .read)
        let start = Clock.monotonicMilliseconds()
        let fired = try poll.wait(timeoutMilliseconds: 5_000)
        #expect(Clock.monotonicMilliseconds() - start < 1_000)
        #expect(fired == 0)
        #expect(poll.count == 1)
        // Drained: the next wait sleeps its timeout again.
        let again = Clock.monotonicMilliseconds()
        _ = try poll.wait(timeoutMilliseconds: 50)
        #expect(Clock.monotonicMilliseconds() - again >= 40)
    }
}
