import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

@Suite struct PollSetTests {
    @Test func reportsReadableAndWritableEndsOfAPipe() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        var polls = PollSet()
        let r = polls.add(fd: ends[0], interest: .read)
        let w = polls.add(fd: ends[1], interest: .write)
        #expect(try polls.wait(timeoutMilliseconds: 1000) == 1)
        #expect(polls.ready(r) == [])
        #expect(polls.ready(w) == .write)

        #expect(write(ends[1], "x", 1) == 1)
        polls.removeAll()
        let r2 = polls.add(fd: ends[0], interest: .read)
        #expect(try polls.wait(timeoutMilliseconds: 1000) == 1)
        #expect(polls.ready(r2) == .read)
    }

    @Test func timesOutWithZeroAndReportsHangupAndBadDescriptors() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        var polls = PollSet()
        polls.add(fd: ends[0], interest: .read)
        let start = Clock.monotonicMilliseconds()
        #expect(try polls.wait(timeoutMilliseconds: 50) == 0)
        #expect(Clock.monotonicMilliseconds() - start >= 45)

        close(ends[1])
        #expect(try polls.wait(timeoutMilliseconds: 1000) == 1)
        #expect(polls.ready(0).contains(.hangup))
        close(ends[0])

        polls.removeAll()
        polls.add(fd: -1, interest: .read)  // ignored by poll(2)
        let bad = polls.add(fd: 999_999, interest: .read)  // not open: POLLNVAL
        #expect(try polls.wait(timeoutMilliseconds: 0) == 1)
        #expect(polls.ready(bad) == .error)
    }

    @Test func pollTimeoutClampsToZero() {
        #expect(Clock.pollTimeout(until: Clock.monotonicMilliseconds() - 5) == 0)
        let t = Clock.pollTimeout(until: Clock.monotonicMilliseconds() + 10_000)
        #expect(t > 9_000 && t <= 10_000)
    }
}

@Suite struct StreamConnectionTests {
    /// Connects to a listener served in the same poll loop, sends `size`
    /// bytes, which the server echoes back and then shuts its side down:
    /// the client must read them all and then see EOF (0).
    func echo(listen address: String, connect host: String, size: Int = 6000) throws {
        let listener = try TestListener(address: address)
        let connection = try StreamConnection(host: host, port: listener.port, tls: nil)
        defer { connection.close() }
        #expect(connection.interest == .write)  // connecting

        let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var sent = 0
        var received: [UInt8] = []
        var sawEOF = false
        var server: Int32 = -1
        var echoQueue: [UInt8] = []
        var echoed = 0
        var serverShut = false
        defer { if server >= 0 { close(server) } }
        var buffer = [UInt8](repeating: 0, count: 1500)
        var polls = PollSet()
        let deadline = Clock.monotonicMilliseconds() + 10_000

        while !sawEOF {
            try #require(Clock.monotonicMilliseconds() < deadline, "echo timed out")
            polls.removeAll()
            var interest = connection.interest
            if connection.isEstablished && sent < message.count { interest.insert(.write) }
            let clientSlot = polls.add(fd: connection.fd, interest: interest)
            let listenSlot = polls.add(fd: server < 0 ? listener.fd : -1, interest: .read)
            let serverSlot = polls.add(fd: serverShut ? -1 : server, interest: echoQueue.isEmpty ? .read : [.read, .write])
            _ = try polls.wait(timeoutMilliseconds: Clock.pollTimeout(until: deadline))

            if !polls.ready(listenSlot).isEmpty, let fd = listener.accept() { server = fd }
            if !polls.ready(serverSlot).isEmpty {
                let n = buffer.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, 0) }
                if n > 0 { echoQueue += buffer[0..<n] }
                if !echoQueue.isEmpty {
                    let w = echoQueue.withUnsafeBytes { send(server, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if w > 0 {
                        echoQueue.removeFirst(w)
                        echoed += w
                    }
                }
                if echoed == message.count && !serverShut {
                    shutdown(server, Int32(SHUT_WR))
                    serverShut = true
                }
            }
            if !polls.ready(clientSlot).isEmpty || connection.isEstablished {
                guard try connection.advance() else { continue }
                while sent < message.count {
                    let n = try message.withPlatformBytes { (p) throws(PlatformError) -> Int in
                        try connection.write(UnsafeRawBufferPointer(rebasing: p[sent...]))
                    }
                    if n == 0 { break }
                    sent += n
                }
                while let n = try buffer.withMutablePlatformBytes({ (p) throws(PlatformError) -> Int? in try connection.read(into: p) }) {
                    if n == 0 {
                        sawEOF = true
                        break
                    }
                    received += buffer[0..<n]
                }
            }
        }
        #expect(received == message)
        #expect(connection.peerDescription == (address.contains(":") ? "[\(address)]:\(listener.port)" : "\(address):\(listener.port)"))
        #expect(connection.interest == .read)
    }

    @Test func echoesOverIPv4() throws {
        try echo(listen: "127.0.0.1", connect: "127.0.0.1")
    }

    @Test func echoesOverIPv6LiteralWithAndWithoutBrackets() throws {
        try echo(listen: "::1", connect: "::1")
        try echo(listen: "::1", connect: "[::1]", size: 100_000)
    }

    @Test func echoesToLocalhostByName() throws {
        try echo(listen: "127.0.0.1", connect: "localhost")
    }

    @Test func refusedConnectionIsAClearConnectError() throws {
        let port = try unusedPort()
        let connection = try StreamConnection(host: "127.0.0.1", port: port, tls: nil)
        let error = try #require(platformError { () throws(PlatformError) in try establish(connection) })
        #expect(error.code == .connect)
        #expect(error.errno == ECONNREFUSED)
        #expect(error.message == "cannot connect to 127.0.0.1:\(port): Connection refused (errno 111)")
        #expect(connection.fd == -1)
        #expect(connection.interest == [])
        // Closed: using it again says so.
        #expect(platformError { () throws(PlatformError) in try connection.advance() }?.code == .closed)
        connection.close()  // idempotent
    }

    @Test func refusedOnEveryAddressListsThem() throws {
        // Both loopback families refuse: the IPv6 attempt falls back to IPv4.
        let port = try unusedPort()
        let literal = try StreamConnection(host: "::1", port: port, tls: nil)
        let error = try #require(platformError { () throws(PlatformError) in try establish(literal) })
        #expect(error.message == "cannot connect to [::1]:\(port): Connection refused (errno 111)")

        let byName = try StreamConnection(host: "localhost", port: port, tls: nil)
        let error2 = try #require(platformError { () throws(PlatformError) in try establish(byName) })
        #expect(error2.code == .connect)
        #expect(error2.message.hasPrefix("cannot connect to localhost:\(port) (tried "))
        #expect(error2.message.contains("127.0.0.1:\(port)"))
        #expect(error2.message.hasSuffix("Connection refused (errno 111)"))
    }

    @Test func unresolvableNameIsAResolveError() throws {
        let error = try #require(
            platformError { () throws(PlatformError) in try StreamConnection(host: "nonexistent.invalid", port: 80, tls: nil) })
        #expect(error.code == .resolve)
        #expect(error.path == "nonexistent.invalid")
        #expect(error.message.hasPrefix("cannot resolve nonexistent.invalid: "))
        #expect(!error.detail.isEmpty)

        let empty = try #require(platformError { () throws(PlatformError) in try StreamConnection(host: "", port: 80, tls: nil) })
        #expect(empty.code == .resolve)
    }

    @Test func timeoutErrorNamesThePhase() throws {
        let listener = try TestListener(address: "127.0.0.1")
        let connection = try StreamConnection(host: "127.0.0.1", port: listener.port, tls: nil)
        #expect(connection.timeoutError().message == "127.0.0.1:\(listener.port): timed out connecting to 127.0.0.1:\(listener.port)")
        try establish(connection)
        #expect(connection.isEstablished)
        #expect(connection.hasBufferedInput == false)
        #expect(try connection.skipToNextAddress() == false)
    }

    @Test func socketAddressText() {
        #expect(SocketAddress(address: [127, 0, 0, 1], port: 6969)?.description == "127.0.0.1:6969")
        #expect(SocketAddress(address: [UInt8](repeating: 0, count: 15) + [1], port: 443)?.description == "[::1]:443")
        #expect(
            SocketAddress(address: [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1], port: 5353, scopeID: 2)?.description
                == "[fe80::1%2]:5353")
        #expect(SocketAddress(address: [1, 2, 3], port: 1) == nil)
        #expect(SocketAddress(address: [10, 0, 0, 1], port: 53)?.addressBytes == [10, 0, 0, 1])
        #expect(SocketAddress(address: [10, 0, 0, 1], port: 53)?.port == 53)
        #expect(AddressResolver.hostPort("::1", 443) == "[::1]:443")
        #expect(AddressResolver.bareHost("[::1]") == "::1")
    }
}
