/// Where an address leads, for deciding whether a name published by
/// someone else may point at it (issue 16 item 4, DNS rebinding; the
/// Security article). Classified from the IANA IPv4 and IPv6
/// Special-Purpose Address Registries (RFC 6890) and RFC 4291 §2.
///
/// An IPv6 address that embeds an IPv4 address a host or a translator
/// turns into an IPv4 destination is classified by the embedded address:
/// IPv4-mapped `::ffff:0:0/96` (RFC 4291 §2.5.5.2), IPv4-compatible
/// `::/96` (deprecated, §2.5.5.1; `::` and `::1` themselves excepted),
/// SIIT IPv4-translated `::ffff:0:0:0/96` (RFC 2765 §2.1), the NAT64
/// well-known prefix `64:ff9b::/96` (RFC 6052 §2.1) and local-use prefix
/// `64:ff9b:1::/48` (RFC 8215, address in the last 32 bits as with /96),
/// and 6to4 `2002::/16` (RFC 3056 §2, address in bits 16–47). So
/// `::ffff:127.0.0.1` is loopback and `64:ff9b::c0a8:101` is private.
public enum AddressScope: UInt8, Equatable, Sendable {
    /// Reachable beyond the local networks (documentation ranges
    /// included: they lead nowhere, and examples use them).
    case global
    /// A local network: RFC 1918 10/8, 172.16/12, 192.168/16; shared
    /// address space (CGNAT) 100.64/10 (RFC 6598); benchmarking 198.18/15
    /// (RFC 2544; used for "fake IP" proxies); IETF protocol assignments
    /// 192.0.0/24 (RFC 6890 §2.2.2); unique local fc00::/7 (RFC 4193);
    /// deprecated site-local fec0::/10 (RFC 3879).
    case privateNetwork
    /// 127/8 (RFC 1122 §3.2.1.3), ::1 (RFC 4291 §2.5.3): this host.
    case loopback
    /// 0/8 "this host on this network" (RFC 1122 §3.2.1.3; Linux connects
    /// 0.0.0.0 to this host), :: (RFC 4291 §2.5.2).
    case unspecified
    /// 169.254/16 (RFC 3927), fe80::/10 (RFC 4291 §2.5.6): the link, where
    /// cloud metadata services (169.254.169.254) and routers listen.
    case linkLocal
    /// 224/4 (RFC 5771), ff00::/8 (RFC 4291 §2.7).
    case multicast
    /// The limited broadcast 255.255.255.255 (RFC 919 §7).
    case broadcast
    /// 240/4 reserved for future use (RFC 1112 §4), the broadcast aside.
    case reserved

    /// The scope of `address` (see the type's notes).
    public init(_ address: IPAddress) {
        switch address {
        case .v4(let a):
            self = AddressScope.ofV4(a)
        case .v6(let hi, let lo):
            if let v4 = AddressScope.embeddedV4(hi, lo) {
                self = AddressScope.ofV4(v4)
            } else {
                self = AddressScope.ofV6(hi, lo)
            }
        }
    }

    /// Never answered from a record someone else signed, whoever it is:
    /// loopback, unspecified, link-local, multicast, broadcast, reserved.
    public var isDangerous: Bool { self != .global && self != .privateNetwork }

    /// The word the `-v` log uses for it.
    public var name: String {
        switch self {
        case .global: return "global"
        case .privateNetwork: return "private"
        case .loopback: return "loopback"
        case .unspecified: return "unspecified"
        case .linkLocal: return "link-local"
        case .multicast: return "multicast"
        case .broadcast: return "broadcast"
        case .reserved: return "reserved"
        }
    }

    static func ofV4(_ a: UInt32) -> AddressScope {
        @inline(__always) func within(_ prefix: UInt32, _ length: UInt32) -> Bool {
            (a ^ prefix) >> (32 - length) == 0
        }
        if a == 0xFFFF_FFFF { return .broadcast }
        if within(0x0000_0000, 8) { return .unspecified }
        if within(0x7F00_0000, 8) { return .loopback }
        if within(0xA9FE_0000, 16) { return .linkLocal }
        if within(0xE000_0000, 4) { return .multicast }
        if within(0xF000_0000, 4) { return .reserved }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) || within(0x6440_0000, 10)
            || within(0xC612_0000, 15) || within(0xC000_0000, 24)
        {
            return .privateNetwork
        }
        return .global
    }

    static func ofV6(_ hi: UInt64, _ lo: UInt64) -> AddressScope {
        @inline(__always) func within(_ prefix: UInt64, _ length: UInt64) -> Bool {
            (hi ^ prefix) >> (64 - length) == 0
        }
        if hi == 0 && lo == 0 { return .unspecified }
        if hi == 0 && lo == 1 { return .loopback }
        if within(0xFF00_0000_0000_0000, 8) { return .multicast }
        if within(0xFE80_0000_0000_0000, 10) { return .linkLocal }
        if within(0xFEC0_0000_0000_0000, 10) || within(0xFC00_0000_0000_0000, 7) { return .privateNetwork }
        return .global
    }

    /// The IPv4 address an IPv6 address leads to, for the embeddings of
    /// the type's notes; nil for other addresses.
    static func embeddedV4(_ hi: UInt64, _ lo: UInt64) -> UInt32? {
        let low32 = UInt32(truncatingIfNeeded: lo)
        if hi == 0 {
            let top = lo >> 32
            // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible; not :: or ::1).
            if top == 0xFFFF { return low32 }
            if top == 0 && low32 > 1 { return low32 }
            // ::ffff:0:a.b.c.d (SIIT translated).
            if top == 0xFFFF_0000 { return low32 }
            return nil
        }
        // 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215).
        if hi == 0x0064_FF9B_0000_0000 && lo >> 32 == 0 { return low32 }
        if hi >> 16 == 0x0064_FF9B_0001 { return low32 }
        // 2002:AABB:CCDD::/48 (6to4).
        if hi >> 48 == 0x2002 { return UInt32(truncatingIfNeeded: hi >> 16) }
        return nil
    }
}
