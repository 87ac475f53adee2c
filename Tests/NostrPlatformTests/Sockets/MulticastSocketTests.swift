import Foundation
import Glibc
import NostrCore
import Testing

@testable import NostrPlatform

/// The mDNS socket layer on loopback only (never a real interface): two
/// sockets share a test port (SO_REUSEPORT, as the responder shares 5353
/// with avahi), join 224.0.0.251 on lo by index, and see each other's
/// datagrams with the arrival interface, destination and TTL.
@Suite struct MulticastSocketTests {
    func loopbackIndex() -> UInt32 { if_nametoindex("lo") }

    func receive(_ s: MulticastSocket, _ buffer: inout [UInt8]) throws -> ReceivedDatagram? {
        var polls = PollSet()
        polls.add(fd: s.fd, interest: .read)
        guard try polls.wait(timeoutMilliseconds: 3000) == 1 else { return nil }
        return try buffer.withMutablePlatformBytes { (p) throws(PlatformError) -> ReceivedDatagram? in try s.receive(into: p) }
    }

    @Test func twoSocketsShareThePortAndHearMulticastOnLoopbackWithTTL255() throws {
        let port = try unusedPort()
        let a = try MulticastSocket(ipv6: false, port: port, loop: true)
        let b = try MulticastSocket(ipv6: false, port: port, loop: true)
        let lo = loopbackIndex()
        try a.join(interfaceIndex: lo, name: "lo")
        try b.join(interfaceIndex: lo, name: "lo")
        try b.join(interfaceIndex: lo, name: "lo")  // twice is fine
        #expect(b.joinedInterfaces == [lo])
        let ping = Array("mdns-ping".utf8)
        let sent = try ping.withPlatformBytes { (p) throws(PlatformError) -> Bool in
            try a.send(p, to: MulticastSocket.groupIPv4, port: port, interfaceIndex: lo, source: .v4(0x7F00_0001))
        }
        #expect(sent)
        var buffer = [UInt8](repeating: 0, count: 64)
        let got = try #require(try receive(b, &buffer))
        #expect(Array(buffer[0..<got.length]) == ping)
        #expect(got.interfaceIndex == lo)
        #expect(got.destination == MulticastSocket.groupIPv4)
        #expect(got.destinationIsMulticast)
        #expect(got.hopLimit == 255)
        #expect(got.sourcePort == port)
        #expect(got.source == .v4(0x7F00_0001))
        #expect(!got.truncated)
    }

    @Test func unicastOnIPv6LoopbackReportsDestinationAndHopLimit() throws {
        let port = try unusedPort("::1")
        let server = try MulticastSocket(ipv6: true, port: port, loop: false)
        let client = try MulticastSocket(ipv6: true, port: 0, loop: false)
        let lo = loopbackIndex()
        let loopback = IPAddress.v6(0, 1)
        let ping = Array("ping6".utf8)
        _ = try ping.withPlatformBytes { (p) throws(PlatformError) -> Bool in
            try client.send(p, to: loopback, port: port, interfaceIndex: lo)
        }
        var buffer = [UInt8](repeating: 0, count: 64)
        let got = try #require(try receive(server, &buffer))
        #expect(Array(buffer[0..<got.length]) == ping)
        #expect(got.destination == loopback)
        #expect(!got.destinationIsMulticast)
        #expect(got.interfaceIndex == lo)
        #expect(got.hopLimit == 255)
        #expect(got.source == loopback)
    }

    @Test func aLongDatagramIsReportedTruncated() throws {
        let port = try unusedPort()
        let server = try MulticastSocket(ipv6: false, port: port, loop: false)
        let client = try MulticastSocket(ipv6: false, port: 0, loop: false)
        let big = [UInt8](repeating: 0x41, count: 100)
        _ = try big.withPlatformBytes { (p) throws(PlatformError) -> Bool in
            try client.send(p, to: .v4(0x7F00_0001), port: port, interfaceIndex: 0)
        }
        var small = [UInt8](repeating: 0, count: 10)
        let got = try #require(try receive(server, &small))
        #expect(got.truncated)
    }

    @Test func interfaceSelectionSkipsLoopbackUnlessNamed() throws {
        let lo = InterfaceAddress(
            interface: "lo", address: [127, 0, 0, 1], isUp: true, isLoopback: true, isMulticast: false,
            index: 1, prefixLength: 8)
        let eth = InterfaceAddress(
            interface: "eth0", address: [192, 168, 1, 2], isUp: true, isLoopback: false,
            isMulticast: true, index: 2, prefixLength: 24)
        let eth6 = InterfaceAddress(
            interface: "eth0", address: [0xfe, 0x80] + Array(repeating: 0, count: 13) + [2], isUp: true,
            isLoopback: false, isMulticast: true, index: 2, prefixLength: 64)
        let down = InterfaceAddress(
            interface: "wlan0", address: [10, 0, 0, 2], isUp: false, isLoopback: false,
            isMulticast: true, index: 3, prefixLength: 8)
        let noMulticast = InterfaceAddress(
            interface: "tun0", address: [10, 8, 0, 2], isUp: true, isLoopback: false,
            isMulticast: false, index: 4, prefixLength: 24)
        let all = [lo, eth, eth6, down, noMulticast]
        let chosen = try MDNSInterfaceSelection.select([], from: all)
        #expect(chosen.map { $0.name } == ["eth0"])
        #expect(chosen[0].prefixes.count == 2)
        #expect(chosen[0].isOnLink(.v4(0xC0A8_01FE)))
        #expect(!chosen[0].isOnLink(.v4(0xC0A8_0201)))
        let named = try MDNSInterfaceSelection.select(["lo"], from: all)
        #expect(named.map { $0.name } == ["lo"])
        #expect(named[0].isLoopback)
        let missing = platformError { () throws(PlatformError) in _ = try MDNSInterfaceSelection.select(["nope0"], from: all) }
        #expect(missing?.errno == ENODEV)
        #expect(missing?.message.contains("interface nope0") == true)
        let isDown = platformError { () throws(PlatformError) in _ = try MDNSInterfaceSelection.select(["wlan0"], from: all) }
        #expect(isDown?.errno == ENETDOWN)
    }

    @Test func realInterfacesHavePrefixLengths() throws {
        let all = try InterfaceAddress.all()
        let lo = try #require(all.first { $0.interface == "lo" && $0.isIPv4 })
        #expect(lo.prefixLength == 8)
    }
}
