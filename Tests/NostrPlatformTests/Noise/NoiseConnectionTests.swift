import NostrCore
import Testing

@testable import NostrPlatform

/// `StreamConnection` as a `wsn://` client against an accepted connection
/// made a BOLT 8 responder, on loopback, in one poll loop.
@Suite struct NoiseConnectionTests {
    let context = try! Secp256k1Context(randomSeed: .zero)
    let relaySecret = SecretKey(bytes: try! Hex.decode32(String(repeating: "5a", count: 32)))

    /// A client and the server side it reaches, driven in one poll loop.
    final class Pair {
        let listener: TCPListener
        let client: StreamConnection
        let responder: NoiseConfig
        var server: StreamConnection?

        init(_ listener: TCPListener, _ client: StreamConnection, _ responder: NoiseConfig) {
            self.listener = listener
            self.client = client
            self.responder = responder
        }

        /// Drives both sides until `done` or 5 s.
        func pump(until done: () throws -> Bool) throws {
            var polls = PollSet()
            let deadline = Clock.monotonicMilliseconds() + 5000
            while try !done() {
                guard Clock.monotonicMilliseconds() < deadline else { Issue.record("timed out"); return }
                polls.removeAll()
                polls.add(fd: listener.fd, interest: .read)
                if client.fd >= 0 { polls.add(fd: client.fd, interest: client.interest) }
                if let s = server, s.fd >= 0 { polls.add(fd: s.fd, interest: s.interest) }
                _ = try polls.wait(timeoutMilliseconds: 200)
                if server == nil, let (fd, peer) = try listener.accept() {
                    let s = StreamConnection(accepted: fd, peer: peer)
                    try s.startNoiseResponder(responder)
                    server = s
                }
                if client.fd >= 0 { _ = try client.advance() }
                if let s = server, s.fd >= 0 { _ = try s.advance() }
            }
        }
    }

    func readAll(_ c: StreamConnection, into out: inout [UInt8]) throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while let n = try buffer.withUnsafeMutableBytes({ try c.read(into: $0) }) {
            if n == 0 { return true }
            out += buffer[0..<n]
        }
        return false
    }

    @Test func channelCarriesBytesBothWaysAndProvesTheNpub() throws {
        let listener = try TCPListener(address: try #require(SocketAddress.parse("127.0.0.1:0")))
        let npubKey = try context.publicKey(of: relaySecret)
        let client = try StreamConnection(
            host: "127.0.0.1", port: listener.address.port, tls: nil,
            noise: try NoiseConfig(initiatorTo: npubKey, context: context))
        let pair = Pair(listener, client, try NoiseConfig(responder: relaySecret, context: context))
        try pair.pump { client.isEstablished && pair.server?.isEstablished == true }
        let server = try #require(pair.server)
        #expect(client.isNoise && client.noiseRemoteStatic == CompressedPublicKey(xOnly: npubKey))
        // 200 KB one way (several BOLT 8 messages), a reply the other way.
        let data = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var sent = 0
        var received: [UInt8] = []
        try pair.pump {
            if sent < data.count {
                sent += try data[sent...].withUnsafeBytes { try client.write($0) }
            }
            _ = try readAll(server, into: &received)
            return received.count >= data.count
        }
        #expect(received == data)
        _ = try Array("pong".utf8).withUnsafeBytes { try server.write($0) }
        var back: [UInt8] = []
        try pair.pump {
            _ = try readAll(client, into: &back); return back.count >= 4
        }
        #expect(back == Array("pong".utf8))
    }

    @Test func clientExpectingAnotherKeyFailsBeforeSendingAnything() throws {
        let listener = try TCPListener(address: try #require(SocketAddress.parse("127.0.0.1:0")))
        let otherKey = try context.publicKey(of: SecretKey(bytes: try Hex.decode32(String(repeating: "5b", count: 32))))
        let client = try StreamConnection(
            host: "127.0.0.1", port: listener.address.port, tls: nil,
            noise: try NoiseConfig(initiatorTo: otherKey, context: context))
        let responder = try NoiseConfig(responder: relaySecret, context: context)
        var server: StreamConnection? = nil
        var clientError: PlatformError? = nil
        var serverError: PlatformError? = nil
        var polls = PollSet()
        let deadline = Clock.monotonicMilliseconds() + 5000
        while clientError == nil && Clock.monotonicMilliseconds() < deadline {
            // Application bytes offered before the handshake are not taken.
            #expect(try Array("secret".utf8).withUnsafeBytes { try client.write($0) } == 0)
            polls.removeAll()
            polls.add(fd: listener.fd, interest: .read)
            if client.fd >= 0 { polls.add(fd: client.fd, interest: client.interest) }
            if let s = server, s.fd >= 0 { polls.add(fd: s.fd, interest: s.interest) }
            _ = try polls.wait(timeoutMilliseconds: 200)
            if server == nil, let (fd, peer) = try listener.accept() {
                let s = StreamConnection(accepted: fd, peer: peer)
                try s.startNoiseResponder(responder)
                server = s
            }
            if let s = server, s.fd >= 0, serverError == nil {
                do { _ = try s.advance() } catch { serverError = error }
            }
            do { _ = try client.advance() } catch { clientError = error }
        }
        #expect(serverError?.code == .noise && serverError?.keyError == .noiseDecrypt)
        #expect(clientError?.code == .noise)
        #expect(!client.isEstablished)
    }
}
