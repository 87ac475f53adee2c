import Foundation
import NostrDNS
import Testing

/// The DNS server run in-process through the Swift API, against a real
/// relay (nostr-relay from the test venv) and queried over real UDP.
@Suite(.serialized, .enabled(if: TestRequirements.hasNostrRelay, TestRequirements.nostrRelayMissing))
struct DNSServiceTests {
    @Test func publishedAddressIsAnsweredOverUDPByTheInProcessServer() async throws {
        let relay = try TestRelay()
        defer { relay.stop() }
        let me = try Identity.generate()
        let publisher = try Publisher(identity: me, relays: [relay.url], timeout: .seconds(5))
        let outcomes = try await publisher.publish(addresses: [try IPAddress("192.0.2.7"), try IPAddress("2001:db8::7")])
        #expect(outcomes.allSatisfy { $0.accepted })

        let dns = try DNSService(listen: ["127.0.0.1:0"], relays: [relay.url], timeout: .seconds(5))
        #expect(dns.listenAddresses.count == 1 && dns.listenAddresses[0].hasPrefix("127.0.0.1:"))
        let port = try #require(UInt16(dns.listenAddresses[0].split(separator: ":").last ?? ""))
        #expect(port != 0)
        let server = Task { try await dns.run() }

        let answer = try await DNSQuery.askOffThePool(me.nostrName, type: 1, port: port)
        #expect(answer.rcode == 0)
        #expect(answer.addresses == [[192, 0, 2, 7]])
        let unknown = try await DNSQuery.askOffThePool("example.com", type: 1, port: port)
        #expect(unknown.rcode == 5)  // REFUSED: no upstream

        let clock = ContinuousClock()
        let cancelledAt = clock.now
        server.cancel()
        try await server.value
        // Stopped on cancellation (without it the loop never ends); the bound
        // is loose because the awaiting task resumes only when one of the test
        // process's task threads is free (seconds under AddressSanitizer).
        #expect(clock.now - cancelledAt < .seconds(60))
        // The port is free again, UDP and TCP.
        #expect(DNSQuery.canBind(port: port, type: SOCK_DGRAM))
        #expect(DNSQuery.canBind(port: port, type: SOCK_STREAM))
        await #expect(throws: NostrDNSError.system("the DNS service has run already")) { try await dns.run() }
    }

    @Test func badListenAddressIsNamed() {
        #expect(throws: NostrDNSError.invalidAddress("localhost:53")) {
            try DNSService(listen: ["localhost:53"], relays: ["ws://127.0.0.1:1"])
        }
    }
}

/// A hand-built DNS query (RFC 1035 §4.1) over UDP, and the A records of its answer.
enum DNSQuery {
    struct Answer {
        var rcode: Int
        var addresses: [[UInt8]]
    }

    /// `ask` on a thread of its own, so that the wait for the answer does not
    /// hold one of the few threads that run the test process's tasks (the
    /// server's own task among them) while other suites keep the rest busy.
    static func askOffThePool(_ name: String, type: UInt16, port: UInt16, waitSeconds: Int = 10) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try ask(name, type: type, port: port, waitSeconds: waitSeconds) })
            }.start()
        }
    }

    static func ask(_ name: String, type: UInt16, port: UInt16, waitSeconds: Int = 10) throws -> Answer {
        var query: [UInt8] = [0x4E, 0x44, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            query.append(UInt8(label.utf8.count))
            query.append(contentsOf: label.utf8)
        }
        query += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: waitSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, query, query.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == query.count else { throw TestRelayError("sendto failed") }
        var reply = [UInt8](repeating: 0, count: 1500)
        let n = recv(fd, &reply, reply.count, 0)
        guard n >= 12 else { throw TestRelayError("no DNS answer") }
        reply = Array(reply[0..<n])
        guard reply[0] == 0x4E, reply[1] == 0x44 else { throw TestRelayError("answer with another id") }
        var at = 12
        func skipName() {
            while at < reply.count {
                let length = Int(reply[at])
                if length & 0xC0 == 0xC0 { at += 2; return }
                at += 1 + length
                if length == 0 { return }
            }
        }
        for _ in 0..<(Int(reply[4]) << 8 | Int(reply[5])) { skipName(); at += 4 }
        var addresses: [[UInt8]] = []
        for _ in 0..<(Int(reply[6]) << 8 | Int(reply[7])) {
            skipName()
            guard at + 10 <= reply.count else { break }
            let rrType = Int(reply[at]) << 8 | Int(reply[at + 1])
            let length = Int(reply[at + 8]) << 8 | Int(reply[at + 9])
            at += 10
            if rrType == 1 && length == 4 && at + 4 <= reply.count { addresses.append(Array(reply[at..<(at + 4)])) }
            at += length
        }
        return Answer(rcode: Int(reply[3] & 0x0F), addresses: addresses)
    }

    /// Whether 127.0.0.1:`port` can be bound (nobody holds it).
    static func canBind(port: UInt16, type: __socket_type) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
