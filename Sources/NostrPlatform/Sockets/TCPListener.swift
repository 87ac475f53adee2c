import CPlatform

/// A listening TCP socket (tcp(7), listen(2)), non-blocking: poll `fd` for
/// `.read`, then call `accept()` until it returns nil. Each accepted
/// connection becomes a `StreamConnection(accepted:peer:)`.
public final class TCPListener {
    public private(set) var fd: Int32 = -1
    /// The address bound (with the port the kernel chose when 0 was asked).
    public let address: SocketAddress

    /// Binds and listens (SO_REUSEADDR; IPV6_V6ONLY for IPv6). `.io` with
    /// EADDRINUSE or EACCES when the port is taken or privileged.
    public init(address: SocketAddress, backlog: Int32 = 128) throws(PlatformError) {
        let socket = address.withSockaddr { nd_bind_socket(address.family, 0, $0, $1, backlog) }
        guard socket >= 0 else { throw PlatformError(.io, errno: -socket, path: "listen on " + address.description) }
        fd = socket
        self.address = SocketAddress.bound(to: socket) ?? address
    }

    deinit { close() }

    /// The error says this host cannot bind that address family or address
    /// at all (EAFNOSUPPORT: IPv6 disabled; EADDRNOTAVAIL), as opposed to a
    /// port in use: a default wildcard listener may then be skipped.
    public static func isUnavailable(_ error: PlatformError) -> Bool {
        error.errno == EAFNOSUPPORT || error.errno == EADDRNOTAVAIL
    }

    /// The next waiting connection, non-blocking and close-on-exec, with its
    /// peer; nil when none is waiting. Errors that concern one connection
    /// only (ECONNABORTED, EMFILE, ENFILE, ENOBUFS, ENOMEM) are thrown as
    /// `.io`: the listener stays usable.
    public func accept() throws(PlatformError) -> (fd: Int32, peer: SocketAddress)? {
        guard fd >= 0 else { throw PlatformError(.closed, path: address.description) }
        var storage = sockaddr_storage()
        var length: UInt32 = 0
        let c = withUnsafeMutableBytes(of: &storage) { nd_accept(fd, $0.baseAddress, &length) }
        if c < 0 {
            let e = -c
            if e == EAGAIN || e == EWOULDBLOCK { return nil }
            throw PlatformError(.io, errno: e, path: "accept on " + address.description)
        }
        guard let peer = withUnsafeBytes(of: &storage, { SocketAddress(copying: $0.baseAddress!, length: Int(length)) }) else {
            _ = CPlatform.close(c)
            return nil
        }
        return (c, peer)
    }

    /// Idempotent.
    public func close() {
        if fd >= 0 { _ = CPlatform.close(fd) }
        fd = -1
    }
}

/// An unconnected, bound UDP socket (udp(7)) for a server: each datagram
/// comes with its source, and each answer goes to an address. Poll `fd`
/// for `.read`.
public final class UDPServerSocket {
    public private(set) var fd: Int32 = -1
    /// The address bound (with the port the kernel chose when 0 was asked).
    public let address: SocketAddress

    /// Binds (SO_REUSEADDR; IPV6_V6ONLY for IPv6). `.io` with EADDRINUSE or
    /// EACCES when the port is taken or privileged.
    public init(address: SocketAddress) throws(PlatformError) {
        let socket = address.withSockaddr { nd_bind_socket(address.family, 1, $0, $1, 0) }
        guard socket >= 0 else { throw PlatformError(.io, errno: -socket, path: "listen on " + address.description) }
        fd = socket
        self.address = SocketAddress.bound(to: socket) ?? address
    }

    deinit { close() }

    /// One datagram into `buffer` (truncated if longer: check the length you
    /// get against what you expect) and its source; nil would block.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, from source: inout SocketAddress) throws(PlatformError) -> Int? {
        guard fd >= 0 else { throw PlatformError(.closed, path: address.description) }
        var length: UInt32 = 0
        let n = withUnsafeMutableBytes(of: &source.storage) { nd_recvfrom(fd, buffer.baseAddress, buffer.count, $0.baseAddress, &length) }
        if n < 0 {
            let e = Int32(-n)
            if e == EAGAIN || e == EWOULDBLOCK { return nil }
            throw PlatformError(.io, errno: e, path: address.description)
        }
        source.length = length
        return n
    }

    /// Sends one datagram to `destination`. Returns false when the socket
    /// buffer is full (EAGAIN) and it was not sent.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) throws(PlatformError) -> Bool {
        guard fd >= 0 else { throw PlatformError(.closed, path: address.description) }
        let n = destination.withSockaddr { nd_sendto(fd, bytes.baseAddress, bytes.count, $0, $1) }
        if n >= 0 { return true }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return false }
        throw PlatformError(.io, errno: e, path: destination.description)
    }

    /// Idempotent.
    public func close() {
        if fd >= 0 { _ = CPlatform.close(fd) }
        fd = -1
    }
}
