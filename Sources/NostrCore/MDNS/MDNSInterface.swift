/// An address of a network interface with its subnet, for the on-link
/// check of RFC 6762 §11 and the host's own address records.
public struct MDNSPrefix: Equatable, Sendable {
    public var address: IPAddress
    /// The netmask's prefix length; -1 when unknown (then only the address
    /// itself counts as on the subnet).
    public var prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// True when `other` is in this subnet (same family, same first
    /// `prefixLength` bits).
    public func contains(_ other: IPAddress) -> Bool {
        switch (address, other) {
        case (.v4(let a), .v4(let b)):
            let bits = prefixLength < 0 ? 32 : min(prefixLength, 32)
            if bits == 0 { return true }
            let mask: UInt32 = bits == 32 ? ~0 : ~(~0 >> UInt32(bits))
            return a & mask == b & mask
        case (.v6(let ah, let al), .v6(let bh, let bl)):
            let bits = prefixLength < 0 ? 128 : min(prefixLength, 128)
            return MDNSPrefix.sameBits(ah, bh, min(bits, 64)) && MDNSPrefix.sameBits(al, bl, max(bits - 64, 0))
        default:
            return false
        }
    }

    static func sameBits(_ a: UInt64, _ b: UInt64, _ bits: Int) -> Bool {
        if bits == 0 { return true }
        let mask: UInt64 = bits >= 64 ? ~0 : ~(~0 >> UInt64(bits))
        return a & mask == b & mask
    }
}

/// One interface the responder serves: its index (what IP_PKTINFO
/// reports), its name (for logs) and its addresses with their subnets.
public struct MDNSInterface: Sendable {
    public var index: UInt32
    public var name: String
    public var prefixes: [MDNSPrefix] {
        didSet { addresses = MDNSInterface.addresses(of: prefixes) }
    }
    public var isLoopback: Bool
    /// The addresses, IPv4 first, kept with `prefixes` so that answering
    /// does not build the list per query.
    public private(set) var addresses: [IPAddress]

    public init(index: UInt32, name: String, prefixes: [MDNSPrefix], isLoopback: Bool = false) {
        self.index = index
        self.name = name
        self.prefixes = prefixes
        self.isLoopback = isLoopback
        addresses = MDNSInterface.addresses(of: prefixes)
    }

    static func addresses(of prefixes: [MDNSPrefix]) -> [IPAddress] {
        prefixes.filter { $0.address.isIPv4 }.map { $0.address } + prefixes.filter { !$0.address.isIPv4 }.map { $0.address }
    }

    /// The first IPv4 address (the source of what is sent on the interface).
    public var firstIPv4: IPAddress? {
        for p in prefixes where p.address.isIPv4 { return p.address }
        return nil
    }

    public var hasIPv4: Bool { firstIPv4 != nil }
    public var hasIPv6: Bool {
        for p in prefixes where !p.address.isIPv4 { return true }
        return false
    }

    /// RFC 6762 §11 ("Source Address Check"): a responder answers only a
    /// packet whose source is on the local link: an address within one of
    /// the subnets of the interface it arrived on, or a link-local address
    /// (169.254.0.0/16, RFC 3927; fe80::/10, RFC 4291 §2.5.6). Anything
    /// else came through a router (or was forged) and is ignored.
    public func isOnLink(_ source: IPAddress) -> Bool {
        if MDNSInterface.isLinkLocal(source) { return true }
        for p in prefixes where p.contains(source) { return true }
        return false
    }

    public static func isLinkLocal(_ a: IPAddress) -> Bool {
        switch a {
        case .v4(let v): return v >> 16 == 0xA9FE
        case .v6(let hi, _): return hi >> 54 == 0x3FA  // fe80::/10
        }
    }

    /// The IPv4 addresses, in the kernel's order.
    public var ipv4Addresses: [IPAddress] { prefixes.map { $0.address }.filter { $0.isIPv4 } }
    /// The IPv6 addresses, in the kernel's order.
    public var ipv6Addresses: [IPAddress] { prefixes.map { $0.address }.filter { !$0.isIPv4 } }
}
