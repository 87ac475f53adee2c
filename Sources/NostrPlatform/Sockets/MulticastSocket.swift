import CPlatform
import NostrCore

/// One datagram received on a `MulticastSocket`, with what the kernel said
/// about it (recvmsg(2) ancillary data, ip(7) IP_PKTINFO / IP_RECVTTL,
/// ipv6(7) IPV6_RECVPKTINFO / IPV6_RECVHOPLIMIT). No heap allocation.
public struct ReceivedDatagram: Sendable {
    /// The payload length in the caller's buffer.
    public var length: Int
    /// Where it came from.
    public var source: IPAddress
    public var sourcePort: UInt16
    /// The scope id of an IPv6 link-local source (its interface index).
    public var sourceScopeID: UInt32
    /// The address it was sent to: the mDNS group, or one of ours (unicast).
    public var destination: IPAddress
    /// The interface it arrived on (0 if the kernel did not say).
    public var interfaceIndex: UInt32
    /// The IPv4 TTL or IPv6 hop limit it arrived with; -1 if unknown.
    public var hopLimit: Int
    /// The datagram was longer than the buffer (MSG_TRUNC).
    public var truncated: Bool

    /// Sent to 224.0.0.0/4 or ff00::/8.
    public var destinationIsMulticast: Bool {
        switch destination {
        case .v4(let a): return a >> 28 == 0xE
        case .v6(let hi, _): return hi >> 56 == 0xFF
        }
    }
}

/// A UDP socket for Multicast DNS (RFC 6762) on one address family: bound
/// to port 5353 of every address with SO_REUSEADDR and SO_REUSEPORT (so it
/// coexists with avahi-daemon), member of 224.0.0.251 or ff02::fb on the
/// interfaces it is told to join, sending with IP TTL / hop limit 255
/// (RFC 6762 §11) out of the interface it is told. Poll `fd` for `.read`.
public final class MulticastSocket {
    /// RFC 6762 §3: the mDNS port.
    public static let port: UInt16 = 5353
    /// RFC 6762 §3: the IPv4 and IPv6 link-local mDNS groups.
    public static let groupIPv4 = IPAddress.v4(0xE000_00FB)
    public static let groupIPv6 = IPAddress.v6(0xFF02_0000_0000_0000, 0xFB)

    public private(set) var fd: Int32 = -1
    public let isIPv6: Bool
    public let port: UInt16
    private var joined: [UInt32] = []

    /// `loop`: IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP, so that a querier
    /// on this host hears the answers. `port` other than 5353 is for tests.
    /// `.io` with the errno when the socket cannot be made or bound.
    public init(ipv6: Bool, port: UInt16 = MulticastSocket.port, loop: Bool = true) throws(PlatformError) {
        isIPv6 = ipv6
        self.port = port
        let s = nd_mdns_socket(ipv6 ? AF_INET6 : AF_INET, port, loop ? 1 : 0)
        guard s >= 0 else {
            throw PlatformError(.io, errno: -s, path: "mDNS socket on " + (ipv6 ? "[::]:" : "0.0.0.0:") + String(port))
        }
        fd = s
    }

    deinit { close() }

    /// The group this socket's family uses.
    public var group: IPAddress { isIPv6 ? Self.groupIPv6 : Self.groupIPv4 }

    /// Joins the group on the interface with this index (if_nametoindex);
    /// `address`, an IPv4 address of that interface, helps where the index
    /// is lost (qemu-user). Joining twice is not an error.
    public func join(interfaceIndex: UInt32, name: String, address: IPAddress? = nil) throws(PlatformError) {
        guard fd >= 0 else { throw PlatformError(.closed, path: name) }
        guard !joined.contains(interfaceIndex) else { return }
        let family = isIPv6 ? AF_INET6 : AF_INET
        let e: Int32
        if !isIPv6, let address, address.isIPv4 {
            e = address.withBytes { a in
                nd_mdns_membership(fd, family, interfaceIndex, 1, a.baseAddress?.assumingMemoryBound(to: UInt8.self))
            }
        } else {
            e = nd_mdns_membership(fd, family, interfaceIndex, 1, nil)
        }
        guard e == 0 || e == EADDRINUSE else {
            throw PlatformError(.io, errno: e, path: "join " + (isIPv6 ? "ff02::fb" : "224.0.0.251") + " on " + name)
        }
        joined.append(interfaceIndex)
    }

    /// Leaves the group on an interface joined before (errors ignored: the
    /// interface may be gone).
    public func leave(interfaceIndex: UInt32) {
        guard fd >= 0, let i = joined.firstIndex(of: interfaceIndex) else { return }
        _ = nd_mdns_membership(fd, isIPv6 ? AF_INET6 : AF_INET, interfaceIndex, 0, nil)
        joined.remove(at: i)
    }

    /// The interfaces joined.
    public var joinedInterfaces: [UInt32] { joined }

    /// One datagram into `buffer` with its source, arrival interface,
    /// destination and hop limit; nil would block.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> ReceivedDatagram? {
        guard fd >= 0 else { throw PlatformError(.closed, path: "mDNS socket") }
        var info = nd_datagram_info()
        let n = nd_recvmsg_info(fd, buffer.baseAddress, buffer.count, &info)
        if n < 0 {
            let e = Int32(-n)
            if e == EAGAIN || e == EWOULDBLOCK { return nil }
            throw PlatformError(.io, errno: e, path: "mDNS socket")
        }
        let length = Int(info.address_length)
        guard length == 4 || length == 16 else { return nil }
        let source = withUnsafeBytes(of: &info.source) { p in
            (try? IPAddress(bytes: UnsafeRawBufferPointer(rebasing: p[0..<length]))) ?? .v4(0)
        }
        let destination = withUnsafeBytes(of: &info.destination) { p in
            (try? IPAddress(bytes: UnsafeRawBufferPointer(rebasing: p[0..<length]))) ?? .v4(0)
        }
        return ReceivedDatagram(
            length: n, source: source, sourcePort: info.source_port, sourceScopeID: info.scope_id,
            destination: destination, interfaceIndex: info.ifindex, hopLimit: Int(info.hop_limit),
            truncated: info.truncated != 0)
    }

    /// Sends one datagram to `address`:`port` out of interface
    /// `interfaceIndex` (IP_PKTINFO / IPV6_PKTINFO), so multicast never
    /// follows the default route. `scopeID` is for an IPv6 link-local
    /// destination. `source`, an address of that interface of the same
    /// family, is the source address (without it the kernel may pick
    /// another interface's IPv4 address). Returns false when the socket
    /// buffer is full (EAGAIN).
    @discardableResult
    public func send(
        _ bytes: UnsafeRawBufferPointer, to address: IPAddress, port: UInt16, interfaceIndex: UInt32,
        scopeID: UInt32 = 0, source: IPAddress? = nil
    ) throws(PlatformError) -> Bool {
        guard fd >= 0 else { throw PlatformError(.closed, path: "mDNS socket") }
        var storage = sockaddr_storage()
        let n: Int = address.withBytes { a in
            let length = withUnsafeMutableBytes(of: &storage) { s in
                nd_sockaddr_make(s.baseAddress, a.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(a.count), port, scopeID)
            }
            return withUnsafeBytes(of: &storage) { s in
                guard let source, source.isIPv4 == address.isIPv4 else {
                    return nd_sendmsg_ifindex(fd, bytes.baseAddress, bytes.count, s.baseAddress, length, interfaceIndex, nil)
                }
                return source.withBytes { from in
                    nd_sendmsg_ifindex(
                        fd, bytes.baseAddress, bytes.count, s.baseAddress, length, interfaceIndex,
                        from.baseAddress?.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        if n >= 0 { return true }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return false }
        throw PlatformError(.io, errno: e, path: "send to " + address.text + " on interface " + String(interfaceIndex))
    }

    /// Idempotent.
    public func close() {
        if fd >= 0 { _ = CPlatform.close(fd) }
        fd = -1
        joined.removeAll()
    }
}
