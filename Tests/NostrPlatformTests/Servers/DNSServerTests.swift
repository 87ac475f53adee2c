import NostrCore
import Testing

@testable import NostrPlatform

/// The DNS server as a library: a unit test drives its `EventLoopServer`
/// side by hand (no stop signal) and asks it over UDP on loopback. Its
/// relay is unreachable, so a name of the zone waits for a lookup that no
/// relay answers.
@Suite(.serialized) struct DNSServerTests {
    static let context = try! Secp256k1Context(randomSeed: try! Entropy.bytes32())

    /// A server on 127.0.0.1 (UDP on a port the kernel picks), whose
    /// resolver's only relay refuses connections.
    static func server(lookupTimeout: Int64 = 300) throws -> DNSServer {
        var options = RelayPoolOptions()
        options.reconnect = true
        let pool = RelayPool(urls: [try RelayURL(parsing: "ws://127.0.0.1:1")], tls: nil, options: options)
        let resolver = CachedResolver(pool: pool, context: context)
        resolver.lookupTimeoutMilliseconds = lookupTimeout
        var settings = DNSServer.Settings()
        settings.listen = [SocketAddress(address: [127, 0, 0, 1], port: 0)!]
        settings.quiet = true
        return try DNSServer(settings: settings, resolver: resolver)
    }

    /// Sends `query` to the server's UDP socket and runs its turns (as
    /// `EventLoop` does) until the answer arrives or 5 s pass.
    static func ask(_ server: DNSServer, _ query: [UInt8]) throws -> [UInt8]? {
        let address = server.udp[0].address
        let client = try UDPSocket(host: SocketAddress.text(of: address.addressBytes), port: address.port)
        defer { client.close() }
        _ = try query.withUnsafeBytes { try client.send($0) }
        server.resolver.start(now: Clock.monotonicMilliseconds())
        var poll = PollSet()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Clock.monotonicMilliseconds() + 5_000
        while Clock.monotonicMilliseconds() < deadline {
            let now = Clock.monotonicMilliseconds()
            server.tick(now: now)
            poll.removeAll()
            _ = server.register(in: &poll, now: now)
            server.resolver.register(in: &poll)
            _ = try poll.wait(timeoutMilliseconds: 20)
            let after = Clock.monotonicMilliseconds()
            try server.handle(poll, now: after)
            server.resolver.handle(poll, now: after)
            server.resolver.tick(now: after)
            if let n = try buffer.withUnsafeMutableBytes({ try client.receive(into: $0) }) { return Array(buffer[0..<n]) }
        }
        return nil
    }

    static func query(_ name: String, type: UInt16 = DNSType.a) throws -> [UInt8] {
        [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + (try DNSFlatName.fromText(name)) + [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
    }

    static func header(_ answer: [UInt8]) throws -> DNSHeader {
        try answer.withUnsafeBytes { (p) throws(NostrError) in try DNSHeader(from: p) }
    }

    @Test func nameOutsideTheZoneIsRefusedWithoutAnUpstream() throws {
        let server = try Self.server()
        defer { server.resolver.pool.shutdown() }
        let answer = try #require(try Self.ask(server, try Self.query("example.com")))
        let h = try Self.header(answer)
        #expect(h.isResponse && h.id == 0x1234 && h.rcode == UInt8(DNSRCode.refused))
    }

    @Test func apexIsAnsweredWithoutAnyRelay() throws {
        let server = try Self.server()
        defer { server.resolver.pool.shutdown() }
        let answer = try #require(try Self.ask(server, try Self.query("nostr", type: DNSType.soa)))
        let h = try Self.header(answer)
        #expect(h.rcode == 0 && h.answerCount == 1 && h.isAuthoritative)
    }

    @Test func nameWaitingForALookupNoRelayAnswersGetsSERVFAIL() throws {
        let server = try Self.server(lookupTimeout: 300)
        defer { server.resolver.pool.shutdown() }
        let npub = NIP19.npub(try Self.context.publicKey(of: try Entropy.secretKey(context: Self.context)))
        let answer = try #require(try Self.ask(server, try Self.query(npub + ".nostr")))
        let h = try Self.header(answer)
        #expect(h.rcode == UInt8(DNSRCode.servFail) && h.id == 0x1234)
    }
}
