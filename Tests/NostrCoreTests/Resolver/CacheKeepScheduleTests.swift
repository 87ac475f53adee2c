import NostrCore
import Testing

/// The kept copy's schedule (issue 17 item 7) on injected time: flash is
/// written at most once per interval, only when the cache changed, and at
/// a clean stop only when it changed since the copy was last written.
@Suite struct CacheKeepScheduleTests {
    static let hour: Int64 = 3_600_000

    /// The times among `times` at which `s` says to write (`due`).
    static func writes(_ s: inout CacheKeepSchedule, at times: [Int64], changing: Bool) -> [Int64] {
        var out: [Int64] = []
        for t in times {
            if changing { s.cacheChanged() }
            if s.due(now: t) { out.append(t) }
        }
        return out
    }

    @Test func a_changed_cache_is_kept_on_flash_at_most_every_keep_interval() {
        var s = CacheKeepSchedule(intervalMilliseconds: 6 * Self.hour, now: 0)
        let unchanged = Self.writes(&s, at: [7 * Self.hour], changing: false)
        #expect(s.nextDeadline == nil && unchanged.isEmpty)
        // Changes every 5 minutes for a day (a working save each time): the
        // copy is written 4 times, each an interval after the last.
        let day = Self.writes(&s, at: Array(stride(from: 0, through: 24 * Self.hour, by: 300_000)), changing: true)
        #expect(day == [6 * Self.hour, 12 * Self.hour, 18 * Self.hour, 24 * Self.hour])
        // Waiting for the next one: the loop's deadline.
        s.cacheChanged()
        #expect(s.nextDeadline == 30 * Self.hour)
        let next = Self.writes(&s, at: [30 * Self.hour - 1, 30 * Self.hour], changing: false)
        #expect(next == [30 * Self.hour])
    }

    @Test func an_unchanged_cache_is_never_written_again_however_long_it_runs() {
        var s = CacheKeepSchedule(intervalMilliseconds: Self.hour, now: 0)
        s.cacheChanged()
        let first = Self.writes(&s, at: [2 * Self.hour], changing: false)
        let later = Self.writes(&s, at: (3...100).map { $0 * Self.hour }, changing: false)
        let atStop = s.dueAtStop()
        #expect(first == [2 * Self.hour] && later.isEmpty && s.nextDeadline == nil && !atStop)
        // A change after a long quiet spell is written at once: the interval
        // since the last write has passed.
        let after = Self.writes(&s, at: [100 * Self.hour], changing: true)
        #expect(after == [100 * Self.hour])
    }

    @Test func a_clean_stop_keeps_the_cache() {
        var s = CacheKeepSchedule(intervalMilliseconds: 6 * Self.hour, now: 0)
        let early = Self.writes(&s, at: [60_000], changing: true)
        let atStop = s.dueAtStop()
        // Written once: a second stop request has nothing to write.
        let again = s.dueAtStop()
        #expect(early.isEmpty && atStop && !again)
        // Nothing changed since the start: nothing to write at the stop.
        var quiet = CacheKeepSchedule(intervalMilliseconds: 6 * Self.hour, now: 0)
        let quietStop = quiet.dueAtStop()
        #expect(!quietStop)
    }

    @Test func a_cache_loaded_from_the_working_file_is_newer_than_the_kept_copy() {
        // A respawn: the working file (saved every 5 minutes) may hold what
        // the copy (every 6 hours) does not; it is kept at the next interval
        // or the stop even if nothing else changes.
        var s = CacheKeepSchedule(intervalMilliseconds: 6 * Self.hour, now: 1_000, unkept: true)
        #expect(s.nextDeadline == 6 * Self.hour + 1_000)
        let atStop = s.dueAtStop()
        #expect(atStop)
    }

    @Test func a_failed_write_is_tried_again_at_the_next_interval_not_sooner() {
        var s = CacheKeepSchedule(intervalMilliseconds: Self.hour, now: 0)
        let first = Self.writes(&s, at: [Self.hour], changing: true)
        s.failed()
        // A full or read-only flash is not hammered every turn.
        let retried = Self.writes(&s, at: [Self.hour + 1, 2 * Self.hour - 1, 2 * Self.hour], changing: false)
        s.failed()
        let atStop = s.dueAtStop()
        #expect(first == [Self.hour] && retried == [2 * Self.hour] && atStop)
    }
}
