import CPlatform
import NostrCore

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

extension SocketAddress {
    /// "ADDR:PORT" as `--listen` and `--upstream` take it: "127.0.0.1:5300",
    /// "[::1]:5300", "0.0.0.0:53", "[::]:53" (IPv6 in brackets, RFC 3986
    /// §3.2.2). nil for anything else, a host name included.
    public static func parse(_ text: String) -> SocketAddress? {
        let bytes = Array(text.utf8)
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")), colon > 0, colon + 1 < bytes.count,
            bytes.count - colon - 1 <= 5
        else { return nil }
        var port: UInt32 = 0
        for b in bytes[(colon + 1)...] {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            port = port * 10 + UInt32(b - UInt8(ascii: "0"))
        }
        guard port <= 65535 else { return nil }
        var host = bytes[..<colon]
        if host.first == UInt8(ascii: "[") {
            guard host.last == UInt8(ascii: "]"), host.count > 2 else { return nil }
            host = host.dropFirst().dropLast()
            guard host.contains(UInt8(ascii: ":")) else { return nil }
        } else if host.contains(UInt8(ascii: ":")) {
            return nil
        }
        guard let ip = try? IPAddress(parsing: host) else { return nil }
        return SocketAddress(address: ip.bytes, port: UInt16(port))
    }

    /// The address a socket is bound to (getsockname(2)).
    public static func bound(to fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length: UInt32 = 0
        let e = withUnsafeMutableBytes(of: &storage) { nd_getsockname(fd, $0.baseAddress, &length) }
        guard e == 0 else { return nil }
        return withUnsafeBytes(of: &storage) { SocketAddress(copying: $0.baseAddress!, length: Int(length)) }
    }
}
