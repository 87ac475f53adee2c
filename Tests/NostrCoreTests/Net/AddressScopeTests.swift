import Testing

@testable import NostrCore

/// `AddressScope`: where an address leads (RFC 6890 registries), the
/// classification behind the DNS rebinding defence (issue 16 item 4).
@Suite struct AddressScopeTests {
    static func scope(_ text: String) -> AddressScope { AddressScope(try! IPAddress(parsing: text)) }

    /// Every address the issue saw answered for `rebind.<npub>.nostr`, and
    /// their neighbours, with the scope each must get.
    static let rebindingTargets: [(String, AddressScope)] = [
        ("127.0.0.1", .loopback), ("127.255.255.254", .loopback), ("127.1.2.3", .loopback),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified),
        ("255.255.255.255", .broadcast),
        ("224.0.0.251", .multicast), ("239.255.255.250", .multicast), ("224.0.0.1", .multicast),
        ("169.254.169.254", .linkLocal), ("169.254.0.1", .linkLocal),
        ("240.0.0.1", .reserved), ("255.255.255.254", .reserved),
        ("::1", .loopback), ("::", .unspecified),
        ("fe80::1", .linkLocal), ("febf:ffff::1", .linkLocal),
        ("ff02::1", .multicast), ("ff02::fb", .multicast), ("ff05::1:3", .multicast),
        // IPv4 embedded in IPv6: judged by the IPv4 address.
        ("::ffff:127.0.0.1", .loopback), ("::ffff:0.0.0.0", .unspecified), ("::ffff:169.254.169.254", .linkLocal),
        ("::ffff:255.255.255.255", .broadcast), ("::ffff:224.0.0.251", .multicast),
        ("::127.0.0.1", .loopback), ("::ffff:0:127.0.0.1", .loopback),
        ("64:ff9b::127.0.0.1", .loopback), ("64:ff9b::a9fe:a9fe", .linkLocal),
        ("64:ff9b:1::7f00:1", .loopback), ("2002:7f00:1::1", .loopback), ("2002:a9fe:a9fe::", .linkLocal),
        ("2002::", .unspecified),
    ]

    @Test(arguments: rebindingTargets)
    func rebindingTargetsAreClassifiedDangerous(_ text: String, _ expected: AddressScope) {
        #expect(Self.scope(text) == expected, "\(text)")
        #expect(Self.scope(text).isDangerous, "\(text)")
    }

    static let privateNetworks: [String] = [
        "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.168.0.0",
        "100.64.0.1", "100.127.255.255", "198.18.0.1", "198.19.255.255", "192.0.0.8",
        "fc00::1", "fd12:3456:789a::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::1",
        "::ffff:10.0.0.1", "::ffff:192.168.1.1", "64:ff9b::c0a8:101", "64:ff9b::10.1.2.3", "2002:c0a8:101::1",
        "::ffff:100.64.0.1",
    ]

    @Test(arguments: privateNetworks)
    func privateNetworksArePrivateNotDangerous(_ text: String) {
        #expect(Self.scope(text) == .privateNetwork, "\(text)")
        #expect(!Self.scope(text).isDangerous)
    }

    /// The boundaries: the first address past each range is global.
    static let globalAddresses: [String] = [
        "1.0.0.0", "9.255.255.255", "11.0.0.0", "126.255.255.255", "128.0.0.0", "172.15.255.255",
        "172.32.0.0", "192.167.255.255", "192.169.0.0", "100.63.255.255", "100.128.0.0", "169.253.255.255",
        "169.255.0.0", "223.255.255.255", "198.17.255.255", "198.20.0.0", "192.0.1.0",
        "192.0.2.1", "198.51.100.7", "203.0.113.7", "93.184.216.34",  // documentation and real: answered
        "2001:db8::1", "2606:4700::1111", "::2:0:0:1", "fbff:ffff::1", "fe00::1", "2002:5db8:d822::1",
        "::ffff:93.184.216.34", "64:ff9b::93.184.216.34", "64:ff9b:0:0:1::1",
    ]

    @Test(arguments: globalAddresses)
    func boundariesAndPublicAddressesAreGlobal(_ text: String) {
        #expect(Self.scope(text) == .global, "\(text)")
    }

    @Test func everyScopeHasALogName() {
        let all: [AddressScope] = [.global, .privateNetwork, .loopback, .unspecified, .linkLocal, .multicast, .broadcast, .reserved]
        #expect(Set(all.map { $0.name }).count == all.count)
        #expect(all.filter { !$0.isDangerous } == [.global, .privateNetwork])
    }
}
