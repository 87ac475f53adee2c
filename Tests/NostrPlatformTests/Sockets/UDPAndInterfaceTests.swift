import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

@Suite struct UDPSocketTests {
    func roundTrip(_ address: String) throws {
        let v6 = address.contains(":")
        let server = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(server) }
        let port = try bindLoopback(server, v6: v6, address: address)

        let client = try UDPSocket(host: address, port: port)
        defer { client.close() }
        #expect(client.peer.port == port)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withMutablePlatformBytes { (p) throws(PlatformError) -> Int? in try client.receive(into: p) } == nil)
        let ping = Array("ping".utf8)
        #expect(try ping.withPlatformBytes { (p) throws(PlatformError) -> Bool in try client.send(p) })

        // The server answers from where it got the datagram.
        var from = sockaddr_storage()
        var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let n = withUnsafeMutablePointer(to: &from) { f in
            f.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                buffer.withUnsafeMutableBytes { recvfrom(server, $0.baseAddress, $0.count, 0, sa, &fromLength) }
            }
        }
        #expect(Array(buffer[0..<n]) == ping)
        let pong = Array("pong".utf8)
        _ = withUnsafePointer(to: &from) { f in
            f.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                pong.withUnsafeBytes { sendto(server, $0.baseAddress, $0.count, 0, sa, fromLength) }
            }
        }

        var polls = PollSet()
        polls.add(fd: client.fd, interest: .read)
        #expect(try polls.wait(timeoutMilliseconds: 5000) == 1)
        #expect(polls.ready(0) == .read)
        let got = try buffer.withMutablePlatformBytes { (p) throws(PlatformError) -> Int? in try client.receive(into: p) }
        #expect(got == 4)
        #expect(Array(buffer[0..<4]) == pong)
    }

    @Test func roundTripOnIPv4Loopback() throws { try roundTrip("127.0.0.1") }
    @Test func roundTripOnIPv6Loopback() throws { try roundTrip("::1") }

    @Test func unreachablePortIsReported() throws {
        let port = try unusedPort()
        let client = try UDPSocket(host: "127.0.0.1", port: port)
        let ping = Array("ping".utf8)
        _ = try ping.withPlatformBytes { (p) throws(PlatformError) -> Bool in try client.send(p) }
        var polls = PollSet()
        polls.add(fd: client.fd, interest: .read)
        _ = try polls.wait(timeoutMilliseconds: 2000)  // the ICMP error makes it readable
        var buffer = [UInt8](repeating: 0, count: 16)
        let error = try #require(
            platformError { () throws(PlatformError) in
                try buffer.withMutablePlatformBytes { (p) throws(PlatformError) -> Int? in try client.receive(into: p) }
            })
        #expect(error.code == .connect)
        #expect(error.errno == ECONNREFUSED)
        client.close()
        client.close()
        #expect(client.fd == -1)
    }

    @Test func unresolvableHost() {
        #expect(platformError { () throws(PlatformError) in try UDPSocket(host: "nonexistent.invalid", port: 3478) }?.code == .resolve)
    }
}

@Suite struct InterfaceAddressTests {
    @Test func loopbackIsListed() throws {
        let all = try InterfaceAddress.all()
        let lo = try #require(all.first { $0.address == [127, 0, 0, 1] })
        #expect(lo.interface == "lo")
        #expect(lo.isLoopback)
        #expect(lo.isUp)
        #expect(lo.index == if_nametoindex("lo"))
        #expect(lo.index > 0)
        #expect(lo.addressText == "127.0.0.1")
        #expect(all.allSatisfy { $0.address.count == 4 || $0.address.count == 16 })
        if let v6 = all.first(where: { $0.isIPv6 && $0.interface == "lo" }) {
            #expect(v6.addressText == "::1")
        }
    }
}
