import CPlatform

/// An IPv4 or IPv6 socket address (sockaddr_in / sockaddr_in6, ip(7),
/// ipv6(7)) kept in a `sockaddr_storage`. C shims in platform.h read and
/// build it, so Swift never depends on the layout of the sockaddr structs.
public struct SocketAddress: Sendable {
    var storage: sockaddr_storage
    var length: UInt32

    /// From raw address bytes (4 for IPv4, 16 for IPv6, network order) and a
    /// port; `scopeID` is the interface index of an IPv6 link-local address.
    /// nil for any other length.
    public init?(address: [UInt8], port: UInt16, scopeID: UInt32 = 0) {
        var storage = sockaddr_storage()
        let length = address.withUnsafeBufferPointer { a in
            withUnsafeMutableBytes(of: &storage) { s in
                nd_sockaddr_make(s.baseAddress, a.baseAddress, Int32(a.count), port, scopeID)
            }
        }
        guard length != 0 else { return nil }
        self.storage = storage
        self.length = length
    }

    /// Copies the first `length` bytes at `pointer` (a sockaddr from the C
    /// library, e.g. addrinfo.ai_addr or ifaddrs.ifa_addr).
    init?(copying pointer: UnsafeRawPointer, length: Int) {
        guard length > 0, length <= MemoryLayout<sockaddr_storage>.size else { return nil }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { $0.baseAddress!.copyMemory(from: pointer, byteCount: length) }
        self.storage = storage
        self.length = UInt32(length)
        guard isIPv4 || isIPv6 else { return nil }
    }

    /// Address bytes (4 or 16), port and IPv6 scope id, via `nd_sockaddr_info`.
    private func info() -> (bytes: [UInt8], port: UInt16, scopeID: UInt32) {
        var bytes = [UInt8](repeating: 0, count: 16)
        var port: UInt16 = 0
        var scope: UInt32 = 0
        var s = storage
        let n = withUnsafeBytes(of: &s) { p in
            bytes.withUnsafeMutableBufferPointer { b in nd_sockaddr_info(p.baseAddress, b.baseAddress, &port, &scope) }
        }
        bytes.removeSubrange(Int(n)...)
        return (bytes, port, scope)
    }

    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public var addressBytes: [UInt8] { info().bytes }
    public var port: UInt16 { info().port }
    public var scopeID: UInt32 { info().scopeID }
    public var isIPv4: Bool { Int32(storage.ss_family) == AF_INET }
    public var isIPv6: Bool { Int32(storage.ss_family) == AF_INET6 }
    /// AF_INET or AF_INET6, for socket(2).
    public var family: Int32 { Int32(storage.ss_family) }

    /// "127.0.0.1:6969", "[::1]:443", "[fe80::1%2]:5353" (inet_ntop(3),
    /// RFC 5952 text, scope as interface index).
    public var description: String {
        let (bytes, port, scope) = info()
        var text = SocketAddress.text(of: bytes)
        if bytes.count == 16 {
            if scope != 0 { text += "%" + String(scope) }
            text = "[" + text + "]"
        }
        return text + ":" + String(port)
    }

    /// inet_ntop(3) text of 4 or 16 address bytes ("" for another length).
    public static func text(of address: [UInt8]) -> String {
        let family: Int32
        switch address.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return ""
        }
        var buffer = [CChar](repeating: 0, count: 48)  // INET6_ADDRSTRLEN is 46
        let ok = address.withUnsafeBytes { a in
            buffer.withUnsafeMutableBufferPointer { b in
                inet_ntop(family, a.baseAddress, b.baseAddress, UInt32(b.count)) != nil
            }
        }
        guard ok else { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Runs `body` with the sockaddr pointer and length for a C call.
    func withSockaddr<R>(_ body: (UnsafeRawPointer, UInt32) -> R) -> R {
        var s = storage
        return withUnsafeBytes(of: &s) { body($0.baseAddress!, length) }
    }
}
