import CPlatform

/// One IPv4 or IPv6 address of a network interface, from getifaddrs(3).
public struct InterfaceAddress: Equatable, Sendable {
    /// The interface name, e.g. "eth0", "br-lan", "lo".
    public var interface: String
    /// 4 or 16 bytes, network order.
    public var address: [UInt8]
    /// IFF_UP (netdevice(7)).
    public var isUp: Bool
    /// IFF_LOOPBACK.
    public var isLoopback: Bool
    /// IFF_MULTICAST.
    public var isMulticast: Bool
    /// if_nametoindex(3): the interface index (IPV6_MULTICAST_IF, scope ids).
    public var index: UInt32
    /// The netmask's prefix length (24 for 255.255.255.0); -1 when the
    /// kernel gave no netmask.
    public var prefixLength: Int

    public init(
        interface: String, address: [UInt8], isUp: Bool, isLoopback: Bool, isMulticast: Bool, index: UInt32,
        prefixLength: Int = -1
    ) {
        self.interface = interface
        self.address = address
        self.isUp = isUp
        self.isLoopback = isLoopback
        self.isMulticast = isMulticast
        self.index = index
        self.prefixLength = prefixLength
    }

    public var isIPv4: Bool { address.count == 4 }
    public var isIPv6: Bool { address.count == 16 }

    /// The address as text: "192.168.1.2", "fe80::1".
    public var addressText: String { SocketAddress.text(of: address) }

    /// Names compare as bytes, as the kernel compares them.
    public static func == (a: InterfaceAddress, b: InterfaceAddress) -> Bool {
        a.address == b.address && a.isUp == b.isUp && a.isLoopback == b.isLoopback
            && a.isMulticast == b.isMulticast && a.index == b.index && a.prefixLength == b.prefixLength
            && a.interface.utf8.elementsEqual(b.interface.utf8)
    }

    /// Every AF_INET and AF_INET6 address of every interface, in the
    /// kernel's order (other families, e.g. AF_PACKET, are left out).
    public static func all() throws(PlatformError) -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0 else { throw PlatformError(.io, errno: nd_errno(), path: "getifaddrs") }
        defer { freeifaddrs(list) }
        var out: [InterfaceAddress] = []
        var bytes = [UInt8](repeating: 0, count: 16)
        var cursor = list
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let sa = entry.pointee.ifa_addr, let namePointer = entry.pointee.ifa_name else { continue }
            let length = bytes.withUnsafeMutableBufferPointer { nd_sockaddr_info(UnsafeRawPointer(sa), $0.baseAddress, nil, nil) }
            guard length == 4 || length == 16 else { continue }
            let flags = entry.pointee.ifa_flags
            out.append(
                InterfaceAddress(
                    interface: String(cString: namePointer),
                    address: Array(bytes[0..<Int(length)]),
                    isUp: nd_iff_is_up(flags) != 0,
                    isLoopback: nd_iff_is_loopback(flags) != 0,
                    isMulticast: nd_iff_is_multicast(flags) != 0,
                    index: if_nametoindex(namePointer),
                    prefixLength: Int(nd_netmask_prefix(UnsafeRawPointer(entry.pointee.ifa_netmask)))))
        }
        return out
    }
}
