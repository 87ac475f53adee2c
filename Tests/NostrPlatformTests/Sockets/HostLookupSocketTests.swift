import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// `HostLookupSocket` in a real poll loop, with resolv.conf and hosts files
/// of the test (a lookup by DNS against a real name server is in
/// Tests/interop/test_relay_lookup.py, which can bind port 53 in a
/// network namespace).
@Suite struct HostLookupSocketTests {
    func files(resolv: String, hosts: String) throws -> (TemporaryFolder, String, String) {
        let tmp = try TemporaryFolder()
        try resolv.write(toFile: tmp.file("resolv.conf"), atomically: true, encoding: .utf8)
        try hosts.write(toFile: tmp.file("hosts"), atomically: true, encoding: .utf8)
        return (tmp, tmp.file("resolv.conf"), tmp.file("hosts"))
    }

    /// Runs the lookup's poll loop until it is done or `limit` ms pass.
    func run(_ lookup: HostLookupSocket, limit: Int64) throws -> Int64 {
        let start = Clock.monotonicMilliseconds()
        var poll = PollSet()
        while lookup.outcome == nil {
            let now = Clock.monotonicMilliseconds()
            if now - start > limit { break }
            poll.removeAll()
            lookup.register(in: &poll)
            let wait = max(0, min((lookup.deadline ?? now + 100) - now, 100))
            _ = try poll.wait(timeoutMilliseconds: Int32(wait))
            lookup.handle(poll, now: Clock.monotonicMilliseconds())
        }
        return Clock.monotonicMilliseconds() - start
    }

    /// Runs the lookup (`run`) and returns why it failed and how long that
    /// took, or nil (an issue recorded) when it did not fail.
    func failure(of lookup: HostLookupSocket, limit: Int64) throws -> (why: String, took: Int64)? {
        let took = try run(lookup, limit: limit)
        guard case .failed(let why) = lookup.outcome else {
            Issue.record("expected a failure, got \(String(describing: lookup.outcome))")
            return nil
        }
        return (why, took)
    }

    @Test func hostsFileAnswersWithoutAQuery() throws {
        let (tmp, resolv, hosts) = try files(
            resolv: "nameserver 127.0.0.254\n",
            hosts: "127.0.0.1 localhost\n::1 relay.hosts.test\n127.0.0.9 Relay.Hosts.Test\n")
        let lookup = HostLookupSocket(host: "relay.hosts.test", port: 7777, now: 0, resolvConfPath: resolv, hostsPath: hosts)
        guard case .addresses(let found) = lookup.outcome else {
            Issue.record("expected addresses at once")
            return
        }
        #expect(found.map { $0.description } == ["127.0.0.9:7777", "[::1]:7777"])
        _ = tmp
    }

    @Test func nameServerThatRefusesFailsTheLookupWithoutWaitingForTheTimeout() throws {
        // Nothing listens on 127.0.0.253:53: ICMP port unreachable, ECONNREFUSED on the connected socket.
        let (tmp, resolv, hosts) = try files(
            resolv: "nameserver 127.0.0.253\noptions timeout:5 attempts:1\n",
            hosts: "127.0.0.1 localhost\n")
        let lookup = HostLookupSocket(
            host: "relay.example.com", port: 7777, now: Clock.monotonicMilliseconds(),
            resolvConfPath: resolv, hostsPath: hosts)
        guard let (why, took) = try failure(of: lookup, limit: 4000) else { return }
        #expect(why.contains("127.0.0.253") && why.contains("unreachable"), "\(why)")
        #expect(took < 2000)
        _ = tmp
    }

    /// A UDP socket on `address`:53 (port 53 needs root; nil without it).
    /// Each test has its own address: the tests run in parallel.
    func fakeNameServer(_ address: String) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = UInt16(53).bigEndian
        inet_pton(AF_INET, address, &sa.sin_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            if e != EACCES && e != EPERM { Issue.record("bind \(address):53: errno \(e)") }
            return nil
        }
        return fd
    }

    @Test func answerFromTheNameServerIsTakenInThePollLoop() throws {
        guard let server = fakeNameServer("127.0.0.251") else { return }  // not root: covered by the interop test
        defer { close(server) }
        let (tmp, resolv, hosts) = try files(resolv: "nameserver 127.0.0.251\n", hosts: "")
        let lookup = HostLookupSocket(
            host: "relay.example.com", port: 443, now: Clock.monotonicMilliseconds(),
            resolvConfPath: resolv, hostsPath: hosts)
        #expect(lookup.outcome == nil && lookup.deadline != nil)
        // Both queries have arrived; answer A with 192.0.2.7 and AAAA with NODATA.
        var answered = 0
        var buffer = [UInt8](repeating: 0, count: 512)
        var peer = sockaddr_storage()
        var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let start = Date()
        while answered < 2 && Date().timeIntervalSince(start) < 3 {
            let n = withUnsafeMutablePointer(to: &peer) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(server, &buffer, buffer.count, 0, $0, &peerLength) }
            }
            guard n > 12 else { usleep(1000); continue }
            var reply = Array(buffer[0..<n])
            let isA = reply[n - 3] == 1  // QTYPE low octet
            reply[2] = 0x81; reply[3] = 0x80
            if isA {
                reply[7] = 1
                reply += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]
            }
            _ = withUnsafePointer(to: &peer) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(server, reply, reply.count, 0, $0, peerLength) }
            }
            answered += 1
        }
        #expect(answered == 2)
        _ = try run(lookup, limit: 3000)
        guard case .addresses(let found) = lookup.outcome else {
            Issue.record("expected the address, got \(String(describing: lookup.outcome))")
            return
        }
        #expect(found.map { $0.description } == ["192.0.2.7:443"])
        _ = tmp
    }

    @Test func silentNameServerTimesOutAfterResolvConfTimeout() throws {
        guard let server = fakeNameServer("127.0.0.252") else { return }
        defer { close(server) }
        let (tmp, resolv, hosts) = try files(resolv: "nameserver 127.0.0.252\noptions timeout:1 attempts:1\n", hosts: "")
        let lookup = HostLookupSocket(
            host: "relay.example.com", port: 443, now: Clock.monotonicMilliseconds(),
            resolvConfPath: resolv, hostsPath: hosts)
        guard let (why, took) = try failure(of: lookup, limit: 4000) else { return }
        #expect(why == "no answer from 127.0.0.252")
        #expect(took >= 900 && took < 2000, "took \(took) ms")
        _ = tmp
    }

    /// Offline, a silent name server held each relay name for resolv.conf's
    /// 5 s × 2 rounds; the caller's deadline (`giveUpAt`, a one-shot
    /// command's --timeout) now ends the lookup, with the reason so far.
    @Test func silentNameServerCannotHoldTheLookupPastTheCallersDeadline() throws {
        guard let server = fakeNameServer("127.0.0.249") else { return }
        defer { close(server) }
        let (tmp, resolv, hosts) = try files(resolv: "nameserver 127.0.0.249\n", hosts: "")
        let now = Clock.monotonicMilliseconds()
        let lookup = HostLookupSocket(
            host: "relay.example.com", port: 443, now: now, resolvConfPath: resolv, hostsPath: hosts,
            giveUpAt: now + 500)
        #expect(lookup.giveUpAt == now + 500)
        #expect(lookup.deadline == now + 500, "the only wait is the caller's deadline, not resolv.conf's 5 s")
        // The loop's own limit (20 s) is far beyond resolv.conf's first
        // timeout (5 s): a failure inside it that names the silent server
        // and came before the first retry shows the deadline ended it.
        guard let (why, took) = try failure(of: lookup, limit: 20_000) else { return }
        #expect(why == "no answer from 127.0.0.249")
        #expect(took < 5000, "took \(took) ms: resolv.conf's timers ran, not the deadline")
        _ = tmp
    }
}
