import CPlatform

/// A non-blocking UDP socket (udp(7)) connect()ed to one peer, e.g. a STUN
/// server (RFC 5389): `send` needs no address, and datagrams from anyone
/// else are dropped by the kernel. Poll `fd` for `.read`.
public final class UDPSocket {
    public private(set) var fd: Int32 = -1
    /// The address connected to.
    public let peer: SocketAddress
    private let name: String

    /// Resolves host (getaddrinfo, AF_UNSPEC, SOCK_DGRAM; IP literals skip
    /// DNS) and connects to the first address a socket can be connected to
    /// (one with no route, e.g. IPv6 on an IPv4-only host, is skipped).
    public convenience init(host: String, port: UInt16) throws(PlatformError) {
        let bare = AddressResolver.bareHost(host)
        let resolved = try AddressResolver.resolve(bare, port: port, datagram: true)
        try self.init(connectingTo: resolved.addresses, name: AddressResolver.hostPort(bare, port))
    }

    /// Connects to the first of `addresses` a socket can be connected to
    /// (one with no route is skipped); `name` ("host:port") is for messages.
    public init(connectingTo addresses: [SocketAddress], name: String) throws(PlatformError) {
        self.name = name
        var lastErrno: Int32 = 0
        var chosen: SocketAddress?
        for address in addresses {
            let socket = nd_socket(address.family, 1)
            guard socket >= 0 else {
                lastErrno = -socket
                continue
            }
            let e = address.withSockaddr { nd_connect(socket, $0, $1) }
            if e == 0 {
                fd = socket
                chosen = address
                break
            }
            lastErrno = e
            _ = CPlatform.close(socket)
        }
        guard let chosen else {
            throw PlatformError(.connect, errno: lastErrno, path: name)
        }
        peer = chosen
    }

    deinit { close() }

    /// Sends one datagram. Returns false when the socket buffer is full
    /// (EAGAIN) and the datagram was not sent; UDP callers retransmit anyway.
    /// `.connect` when an earlier datagram drew an ICMP port unreachable.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer) throws(PlatformError) -> Bool {
        guard fd >= 0 else { throw PlatformError(.closed, path: name) }
        let n = nd_send(fd, bytes.baseAddress, bytes.count)
        if n >= 0 { return true }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return false }
        throw failure(e)
    }

    /// One datagram into `buffer` (truncated if longer); nil would block.
    /// `.connect` when the peer's port is unreachable (ECONNREFUSED).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int? {
        guard fd >= 0 else { throw PlatformError(.closed, path: name) }
        let n = nd_recv(fd, buffer.baseAddress, buffer.count)
        if n >= 0 { return n }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return nil }
        throw failure(e)
    }

    private func failure(_ e: Int32) -> PlatformError {
        if e == ECONNREFUSED { return PlatformError(.connect, errno: e, path: name, detail: "port unreachable") }
        return PlatformError(.io, errno: e, path: name)
    }

    /// Idempotent.
    public func close() {
        if fd >= 0 { _ = CPlatform.close(fd) }
        fd = -1
    }
}
