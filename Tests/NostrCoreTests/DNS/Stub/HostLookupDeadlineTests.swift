import Testing

@testable import NostrCore

/// `HostLookup.giveUpAt`: the caller's deadline (a one-shot command's
/// `--timeout`) bounds a lookup whatever resolv.conf's timers allow. The
/// attack is an offline router, or an upstream that drops queries: a
/// silent name server held each relay name for `timeout × attempts`
/// (10 s with glibc's defaults), so four relays cost 40 s whatever the
/// user asked for.
@Suite struct HostLookupDeadlineTests {
    typealias L = LookupFixtures

    /// Runs the lookup against servers that never answer, jumping to each
    /// time it asks to be woken at; returns (result, time it ended, waits).
    func runSilent(_ l: inout HostLookup) -> (HostLookupResult, Int64, [Int64]) {
        var now: Int64 = 0
        var untils: [Int64] = []
        var turns = 0
        while turns < 100 {
            turns += 1
            switch l.next(now: now, random: UInt32(truncatingIfNeeded: now) | 1) {
            case .wait(let until):
                untils.append(until)
                now = until
            case .send:
                continue
            case .done(let r):
                return (r, now, untils)
            }
        }
        Issue.record("the lookup never ended")
        return (.failed("never ended"), now, untils)
    }

    @Test func silentServerCannotHoldTheLookupPastTheCallersDeadline() {
        // Control: without a deadline the same servers take glibc's 24 s.
        var free = L.started(servers: ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
        #expect(runSilent(&free).1 == 24_000)

        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1", "192.0.2.2", "192.0.2.3"]), giveUpAt: 3000)
        let (result, end, untils) = runSilent(&l)
        #expect(end == 3000)
        #expect(untils.allSatisfy { $0 <= 3000 })
        #expect(result == .failed("no answer from 192.0.2.1"))
    }

    @Test func deadlineInsideTheFirstServersTimeIsTheOnlyWait() {
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1"]), giveUpAt: 1500)
        #expect(l.next(now: 0, random: 7) == .send(server: 0))
        #expect(l.next(now: 0, random: 7) == .wait(until: 1500))
        #expect(l.next(now: 1499, random: 7) == .wait(until: 1500))
        #expect(l.next(now: 1500, random: 7) == .done(.failed("no answer from 192.0.2.1")))
    }

    @Test func deadlineLaterThanTheServersTimeLeavesGlibcsTimersAlone() {
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1", "192.0.2.2"]), giveUpAt: 60_000)
        #expect(l.next(now: 0, random: 7) == .send(server: 0))
        #expect(l.next(now: 0, random: 7) == .wait(until: 5000))
        #expect(l.next(now: 5000, random: 7) == .send(server: 1))
    }

    @Test func answerBeforeTheDeadlineIsTaken() {
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1"]), giveUpAt: 3000)
        _ = l.next(now: 0, random: 0xBEEF_1234)
        L.feed(&l, L.answer(l.queries[0], [L.a("relay.example.com", [192, 0, 2, 9])]))
        L.feed(&l, L.answer(l.queries[1]))
        #expect(l.next(now: 2999, random: 0) == .done(.addresses([L.ip("192.0.2.9")], ttl: 300)))
    }

    @Test func halfAnsweredServerAtTheDeadlineGivesTheAddressesItSent() {
        // The A answer came, the AAAA answer is dropped upstream: at the
        // deadline the IPv4 address is used rather than nothing.
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1"]), giveUpAt: 2000)
        _ = l.next(now: 0, random: 0xBEEF_1234)
        L.feed(&l, L.answer(l.queries[0], [L.a("relay.example.com", [192, 0, 2, 9])]))
        #expect(l.next(now: 1000, random: 0) == .wait(until: 2000))
        #expect(l.next(now: 2000, random: 0) == .done(.addresses([L.ip("192.0.2.9")], ttl: 300)))
    }

    @Test func unreachableServersStillFailFastBeforeTheDeadline() {
        // No route out (ENETUNREACH at send): no reason to wait for the deadline.
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1"], attempts: 1), giveUpAt: 3000)
        _ = l.next(now: 0, random: 1)
        l.serverFailed("192.0.2.1:53: network unreachable")
        #expect(l.next(now: 5, random: 1) == .done(.failed("192.0.2.1:53: network unreachable")))
    }

    @Test func deadlineAlreadyPastAsksNoServer() {
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1"]), giveUpAt: 100)
        #expect(l.next(now: 100, random: 1) == .done(.failed("no time left to ask a name server")))
        #expect(l.queries.isEmpty)
    }

    @Test func forgedDatagramsNearTheDeadlineDoNotExtendIt() {
        // A forger sending wrong-ID answers keeps the lookup busy but
        // cannot move its end.
        var l = try! HostLookup(host: "relay.example.com", config: L.config(["192.0.2.1"]), giveUpAt: 3000)
        _ = l.next(now: 0, random: 0xBEEF_1234)
        for t in stride(from: Int64(0), to: 3000, by: 500) {
            #expect(L.feed(&l, L.answer(l.queries[0], id: 0x0BAD, [L.a("relay.example.com", [6, 6, 6, 6])])) == .ignored("wrong ID"))
            #expect(l.next(now: t, random: 0) == .wait(until: 3000))
        }
        #expect(l.next(now: 3000, random: 0) == .done(.failed("no answer from 192.0.2.1")))
    }
}
