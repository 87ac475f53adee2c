import NostrCore
import Testing

@testable import NostrPlatform

@Suite struct ServerSocketTests {
    @Test func listenAddressesParseLikeURLAuthorities() {
        #expect(SocketAddress.parse("127.0.0.1:5300")?.description == "127.0.0.1:5300")
        #expect(SocketAddress.parse("[::1]:53")?.description == "[::1]:53")
        #expect(SocketAddress.parse("0.0.0.0:0")?.port == 0)
        for bad in [
            "", "127.0.0.1", "::1:53", "[::1]", "[127.0.0.1]:53", "localhost:53", "1.2.3.4:65536",
            "1.2.3.4:", ":53", "1.2.3.4:+53", "[::1]:123456", "1.2.3.4:5x",
        ] {
            #expect(SocketAddress.parse(bad) == nil, "\(bad)")
        }
    }

    /// A TCP listener on a kernel-chosen port accepts a StreamConnection;
    /// bytes go both ways through the accepted side.
    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func tcpListenerAcceptsAndAcceptedStreamCarriesBytes(_ listen: String) throws {
        let listener = try TCPListener(address: try #require(SocketAddress.parse(listen)))
        #expect(listener.address.port != 0)
        #expect(try listener.accept() == nil)
        let client = try StreamConnection(
            host: SocketAddress.text(of: listener.address.addressBytes),
            port: listener.address.port, tls: nil)
        var server: StreamConnection?
        var polls = PollSet()
        let deadline = Clock.monotonicMilliseconds() + 5000
        while server == nil || !client.isEstablished {
            #expect(Clock.monotonicMilliseconds() < deadline)
            polls.removeAll()
            polls.add(fd: listener.fd, interest: .read)
            polls.add(fd: client.fd, interest: client.interest)
            _ = try polls.wait(timeoutMilliseconds: 1000)
            if let (fd, peer) = try listener.accept() {
                #expect(peer.isIPv6 == listener.address.isIPv6)
                server = StreamConnection(accepted: fd, peer: peer)
            }
            _ = try client.advance()
        }
        let accepted = try #require(server)
        #expect(accepted.isEstablished)
        _ = try [UInt8]("ping".utf8).withUnsafeBytes { try client.write($0) }
        var buffer = [UInt8](repeating: 0, count: 16)
        var got: Int? = nil
        while got == nil {
            polls.removeAll()
            polls.add(fd: accepted.fd, interest: .read)
            _ = try polls.wait(timeoutMilliseconds: 1000)
            got = try buffer.withUnsafeMutableBytes { try accepted.read(into: $0) }
        }
        #expect(Array(buffer[0..<got!]) == Array("ping".utf8))
        listener.close()
        #expect(throws: PlatformError.self) { try listener.accept() }
    }

    @Test func aSecondListenerOnTheSamePortIsRefused() throws {
        let first = try TCPListener(address: try #require(SocketAddress.parse("127.0.0.1:0")))
        let taken = try #require(SocketAddress.parse("127.0.0.1:" + String(first.address.port)))
        #expect(throws: PlatformError.self) { try TCPListener(address: taken) }
    }

    /// A datagram to the server socket arrives with its source, and the
    /// answer sent to that source reaches the connected client.
    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func udpServerSocketAnswersTheSource(_ listen: String) throws {
        let server = try UDPServerSocket(address: try #require(SocketAddress.parse(listen)))
        let client = try UDPSocket(host: SocketAddress.text(of: server.address.addressBytes), port: server.address.port)
        _ = try [UInt8]("query".utf8).withUnsafeBytes { try client.send($0) }
        var polls = PollSet()
        polls.add(fd: server.fd, interest: .read)
        #expect(try polls.wait(timeoutMilliseconds: 2000) == 1)
        var source = server.address
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = try #require(try buffer.withUnsafeMutableBytes { try server.receive(into: $0, from: &source) })
        #expect(Array(buffer[0..<n]) == Array("query".utf8))
        #expect(source.port != server.address.port)
        #expect(try [UInt8]("answer".utf8).withUnsafeBytes { try server.send($0, to: source) })
        polls.removeAll()
        polls.add(fd: client.fd, interest: .read)
        #expect(try polls.wait(timeoutMilliseconds: 2000) == 1)
        let m = try #require(try buffer.withUnsafeMutableBytes { try client.receive(into: $0) })
        #expect(Array(buffer[0..<m]) == Array("answer".utf8))
        #expect(try buffer.withUnsafeMutableBytes { try server.receive(into: $0, from: &source) } == nil)
    }
}
