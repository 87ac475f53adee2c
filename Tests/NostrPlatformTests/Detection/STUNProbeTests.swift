import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// `STUNProbe` in a real poll loop against a UDP socket on 127.0.0.1 that
/// the test answers itself, with crafted RFC 5389 responses (a real STUN
/// server, coturn, is in Tests/interop/test_detect.py).
@Suite struct STUNProbeTests {
    /// The test's "server": a non-blocking UDP socket on 127.0.0.1.
    final class Server {
        let fd: Int32
        let port: UInt16
        /// Every request received: when (monotonic ms) and its bytes.
        var requests: [(at: Int64, bytes: [UInt8])] = []
        var from = sockaddr_storage()
        var fromLength = socklen_t(0)

        init() throws {
            fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            port = try bindLoopback(fd, v6: false, address: "127.0.0.1")
        }

        deinit { close(fd) }

        /// The next request, if one has arrived.
        func receive() -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 1500)
            fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &from) { f in
                f.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    buffer.withUnsafeMutableBytes { recvfrom(fd, $0.baseAddress, $0.count, 0, sa, &fromLength) }
                }
            }
            guard n >= 0 else { return nil }
            let bytes = Array(buffer[0..<n])
            requests.append((Clock.monotonicMilliseconds(), bytes))
            return bytes
        }

        /// Answers the sender of the last request.
        func reply(_ bytes: [UInt8]) {
            _ = withUnsafePointer(to: &from) { f in
                f.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, fromLength) }
                }
            }
        }
    }

    /// A Binding success response (RFC 5389 §6) with XOR-MAPPED-ADDRESS
    /// (§15.2) for the IPv4 `address`:`port`.
    static func bindingSuccess(transaction: ArraySlice<UInt8>, address: [UInt8], port: UInt16) -> [UInt8] {
        let cookie: [UInt8] = [0x21, 0x12, 0xA4, 0x42]
        let xport = port ^ 0x2112
        var m: [UInt8] = [0x01, 0x01, 0x00, 0x0C] + cookie + transaction
        m += [0x00, 0x20, 0x00, 0x08, 0x00, 0x01, UInt8(xport >> 8), UInt8(xport & 0xFF)]
        m += (0..<4).map { address[$0] ^ cookie[$0] }
        return m
    }

    /// Runs the probe's poll loop until it is done or `limit` ms pass;
    /// `answer` is called with each request the server gets. Returns how
    /// long it took.
    @discardableResult
    func run(_ probe: STUNProbe, _ server: Server, limit: Int64, answer: (Server, [UInt8]) -> Void) throws -> Int64 {
        let start = Clock.monotonicMilliseconds()
        var poll = PollSet()
        while probe.outcome == nil {
            let now = Clock.monotonicMilliseconds()
            if now - start > limit { break }
            poll.removeAll()
            probe.register(in: &poll)
            let serverSlot = poll.add(fd: server.fd, interest: .read)
            let wait = max(0, min((probe.deadline ?? now + 50) - now, 50))
            _ = try poll.wait(timeoutMilliseconds: Int32(wait))
            if !poll.ready(serverSlot).isEmpty {
                while let request = server.receive() { answer(server, request) }
            }
            probe.handle(poll, now: Clock.monotonicMilliseconds())
        }
        return Clock.monotonicMilliseconds() - start
    }

    static let mapped = IPAddress.v4(0xC000_0221)  // 192.0.2.33

    @Test func answerToAnotherTransactionIsIgnoredAndTheRequestIsRetransmittedAfterTheRTO() throws {
        let server = try Server()
        let probe = STUNProbe(host: "127.0.0.1", port: server.port, timeoutMilliseconds: 5000, now: Clock.monotonicMilliseconds())
        try run(probe, server, limit: 6000) { server, request in
            let transaction = request[8..<20]
            if server.requests.count == 1 {
                var other = Array(transaction)
                other[11] ^= 0xFF
                server.reply(Self.bindingSuccess(transaction: other[...], address: [198, 51, 100, 1], port: 1))
                server.reply([0x01, 0x01, 0x00])  // not a STUN message
            } else {
                server.reply(Self.bindingSuccess(transaction: transaction, address: [192, 0, 2, 33], port: 4242))
            }
        }
        guard case .address(let address) = probe.outcome else {
            Issue.record("expected an address, got \(String(describing: probe.outcome))")
            return
        }
        #expect(address == Self.mapped)
        #expect(server.requests.count == 2)
        #expect(server.requests.allSatisfy { $0.bytes.count == 20 && $0.bytes[0..<2] == [0x00, 0x01] })
        #expect(server.requests[0].bytes == server.requests[1].bytes, "a retransmission is the same request")
        let gap = server.requests[1].at - server.requests[0].at
        #expect(gap >= 450 && gap < 900, "RTO 500 ms, not \(gap)")
    }

    @Test func silentServerGetsRequestsAtDoublingIntervalsUntilTheTimeout() throws {
        let server = try Server()
        let probe = STUNProbe(host: "127.0.0.1", port: server.port, timeoutMilliseconds: 1800, now: Clock.monotonicMilliseconds())
        let took = try run(probe, server, limit: 4000) { _, _ in }
        guard case .failed(let error) = probe.outcome else {
            Issue.record("expected a failure, got \(String(describing: probe.outcome))")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("STUN server 127.0.0.1:\(server.port)"), "\(error.message)")
        #expect(took >= 1750 && took < 2600, "\(took) ms")
        // At 0, 500 and 1500 ms (RFC 5389 §7.2.1: RTO, then doubled).
        #expect(server.requests.count == 3)
        if server.requests.count == 3 {
            let gaps = [server.requests[1].at - server.requests[0].at, server.requests[2].at - server.requests[1].at]
            #expect(gaps[0] >= 450 && gaps[0] < 800 && gaps[1] >= 950 && gaps[1] < 1400, "\(gaps)")
        }
    }

    @Test func serverNameIsLookedUpInThePollLoopAndAskedThere() throws {
        let tmp = try TemporaryFolder()
        try "nameserver 127.0.0.254\n".write(toFile: tmp.file("resolv.conf"), atomically: true, encoding: .utf8)
        try "127.0.0.1 stun.hosts.test\n".write(toFile: tmp.file("hosts"), atomically: true, encoding: .utf8)
        let server = try Server()
        let probe = STUNProbe(
            host: "stun.hosts.test", port: server.port, timeoutMilliseconds: 5000, now: Clock.monotonicMilliseconds(),
            resolvConfPath: tmp.file("resolv.conf"), hostsPath: tmp.file("hosts"))
        try run(probe, server, limit: 6000) { server, request in
            server.reply(Self.bindingSuccess(transaction: request[8..<20], address: [192, 0, 2, 33], port: 4242))
        }
        guard case .address(let address) = probe.outcome else {
            Issue.record("expected an address, got \(String(describing: probe.outcome))")
            return
        }
        #expect(address == Self.mapped)
        #expect(server.requests.count == 1)
    }

    @Test func unreachablePortFailsWithoutWaitingForTheTimeout() throws {
        let server = try Server()  // only for the loop; the probe asks another port
        let port = try unusedPort()
        let probe = STUNProbe(host: "127.0.0.1", port: port, timeoutMilliseconds: 5000, now: Clock.monotonicMilliseconds())
        let took = try run(probe, server, limit: 6000) { _, _ in }
        guard case .failed(let error) = probe.outcome else {
            Issue.record("expected a failure, got \(String(describing: probe.outcome))")
            return
        }
        #expect(error.code == .connect, "\(error.message)")
        #expect(took < 2000, "\(took) ms")
    }

    @Test func cancelEndsTheProbeAndClosesItsSocket() throws {
        let server = try Server()
        let probe = STUNProbe(host: "127.0.0.1", port: server.port, timeoutMilliseconds: 5000, now: Clock.monotonicMilliseconds())
        #expect(probe.outcome == nil && probe.deadline != nil)
        probe.cancel()
        guard case .failed = probe.outcome else {
            Issue.record("expected a failure, got \(String(describing: probe.outcome))")
            return
        }
        var poll = PollSet()
        probe.register(in: &poll)
        #expect(poll.count == 0 && probe.deadline == nil)
    }
}
