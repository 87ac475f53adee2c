import CPlatform

/// A client TCP connection (tcp(7)), optionally with TLS 1.2 on top
/// (`TLSSession`), driven by the caller's poll(2) loop: nothing here blocks
/// except the name lookup in `init` (getaddrinfo(3)).
///
/// Each loop turn: poll `fd` for `interest`; when it fires, call `advance()`
/// until it returns true, then `read` until it returns nil and `write`
/// what is queued. `fd` can change while connecting (the next address is
/// tried on failure), so read it again every turn.
public final class StreamConnection {
    private enum State {
        case connecting
        case handshaking
        case established
        case closed
    }

    /// The host as given (an IPv6 literal without brackets).
    public let host: String
    public let port: UInt16
    public private(set) var fd: Int32 = -1
    private var state = State.connecting
    private let addresses: [SocketAddress]
    private var nextAddress = 0
    private var current: SocketAddress?
    /// Addresses whose connect failed, and the last errno.
    private var failed: [String] = []
    private var lastErrno: Int32 = 0
    private var tls: TLSSession?
    private let hostIsLiteral: Bool

    /// Resolves host (getaddrinfo, AF_UNSPEC, SOCK_STREAM; IP literals incl.
    /// "::1" without brackets skip DNS), creates a non-blocking socket with
    /// TCP_NODELAY (Nagle + delayed ACK costs 40 ms per exchange otherwise),
    /// starts connect() to the first address; tries the next address if
    /// that fails. Returns at once. With `tls`, the handshake follows the
    /// connect; a host name is sent as SNI and verified against the
    /// certificate, an IP literal is matched against its iPAddress entries.
    public convenience init(host: String, port: UInt16, tls: TLSClientConfig?) throws(PlatformError) {
        let bare = AddressResolver.bareHost(host)
        let resolved = try AddressResolver.resolve(bare, port: port, datagram: false)
        try self.init(host: bare, port: port, tls: tls, addresses: resolved.addresses, isLiteral: resolved.isLiteral)
    }

    /// As `init(host:port:tls:)` with the addresses of `host` already
    /// known (no getaddrinfo call): for a caller that keeps them between
    /// reconnects (`RelayPoolOptions.addressLifetimeMilliseconds`). `host`
    /// is still the TLS server name.
    init(host: String, port: UInt16, tls: TLSClientConfig?, addresses: [SocketAddress], isLiteral: Bool) throws(PlatformError) {
        let bare = AddressResolver.bareHost(host)
        self.host = bare
        self.port = port
        self.addresses = addresses
        hostIsLiteral = isLiteral
        if let tls {
            self.tls = try TLSSession(
                config: tls, host: bare, peer: AddressResolver.hostPort(bare, port),
                ipLiteral: isLiteral ? addresses[0].addressBytes : nil)
        }
        try startNextAddress()
    }

    /// A connection a `TCPListener` accepted: already established, plain
    /// TCP (TLS servers wrap it themselves), with TCP_NODELAY.
    public init(accepted fd: Int32, peer: SocketAddress) {
        let text = SocketAddress.text(of: peer.addressBytes)
        host = text
        port = peer.port
        self.fd = fd
        addresses = [peer]
        nextAddress = 1
        current = peer
        hostIsLiteral = true
        state = .established
        _ = nd_tcp_nodelay(fd)
    }

    deinit { close() }

    /// What to poll for now: write while connecting; read or write as the
    /// TLS handshake wants; read when established (plus write while TLS
    /// holds unsent output). Add `.write` yourself when you have bytes to
    /// send. Empty once closed.
    public var interest: PollInterest {
        switch state {
        case .connecting:
            return .write
        case .handshaking:
            return tls?.wantsWrite == true ? .write : .read
        case .established:
            if let tls, tls.wantsWrite || tls.hasPendingOutput { return [.read, .write] }
            return .read
        case .closed:
            return []
        }
    }

    public var isEstablished: Bool { state == .established }
    public var isTLS: Bool { tls != nil }

    /// True when TLS holds decrypted input that poll(2) cannot report: call
    /// `read` before waiting (reading until nil each turn covers this).
    public var hasBufferedInput: Bool { state == .established && tls?.hasBufferedInput == true }

    /// The address being connected or connected to: "127.0.0.1:6969" /
    /// "[::1]:443"; "host:port" before any.
    public var peerDescription: String {
        current?.description ?? AddressResolver.hostPort(host, port)
    }

    /// "host:port" as the user named it, for messages.
    private var name: String { AddressResolver.hostPort(host, port) }

    /// Drives connect and then the TLS handshake (mbedtls_ssl_handshake,
    /// non-blocking: WANT_READ/WANT_WRITE). Returns true once established.
    /// Call when poll says fd is ready (calling early is harmless). Throws
    /// `.connect` when no address accepted, `.tls` when the handshake failed;
    /// the connection is then closed.
    public func advance() throws(PlatformError) -> Bool {
        do throws(PlatformError) {
            switch state {
            case .connecting:
                // A non-blocking connect is done when the socket is writable
                // (or in error); SO_ERROR then holds its result (connect(2)).
                guard !PollSet.readyNow(fd: fd, interest: .write).isEmpty else { return false }
                let error = nd_socket_error(fd)
                guard error == 0 else {
                    attemptFailed(error)
                    try startNextAddress()
                    return false
                }
                guard let tls else {
                    state = .established
                    return true
                }
                tls.fd = fd
                state = .handshaking
                return try handshake(tls)
            case .handshaking:
                return try handshake(tls!)
            case .established:
                if let tls { _ = try tls.flush() }
                return true
            case .closed:
                throw PlatformError(.closed, path: name)
            }
        } catch {
            close()
            throw error
        }
    }

    private func handshake(_ tls: TLSSession) throws(PlatformError) -> Bool {
        guard try tls.handshake() else { return false }
        state = .established
        return true
    }

    /// While connecting: gives up on the current address and starts the
    /// next (for a caller-side per-address timeout, e.g. an IPv6 route that
    /// drops packets). Returns false, changing nothing, when no other
    /// address remains or the connect is over.
    public func skipToNextAddress() throws(PlatformError) -> Bool {
        guard state == .connecting, nextAddress < addresses.count else { return false }
        attemptFailed(ETIMEDOUT)
        do throws(PlatformError) {
            try startNextAddress()
        } catch {
            close()
            throw error
        }
        return true
    }

    /// A `.timeout` error naming the peer and what was under way, for a
    /// caller whose deadline passed.
    public func timeoutError() -> PlatformError {
        let during: String
        switch state {
        case .connecting: during = "connecting to " + peerDescription
        case .handshaking: during = "in the TLS handshake"
        case .established, .closed: during = ""
        }
        return PlatformError(.timeout, path: name, detail: during)
    }

    private func attemptFailed(_ error: Int32) {
        _ = CPlatform.close(fd)
        fd = -1
        lastErrno = error
        if let current { failed.append(current.description) }
    }

    /// Starts connect(2) to the next address that takes it; `.connect` when
    /// none is left.
    private func startNextAddress() throws(PlatformError) {
        while nextAddress < addresses.count {
            let address = addresses[nextAddress]
            nextAddress += 1
            current = address
            let socket = nd_socket(address.family, 0)
            guard socket >= 0 else {
                lastErrno = -socket
                failed.append(address.description)
                continue
            }
            fd = socket
            _ = nd_tcp_nodelay(socket)  // an optimisation: its failure is not fatal
            let e = address.withSockaddr { nd_connect(socket, $0, $1) }
            if e == 0 || e == EINPROGRESS {
                state = .connecting
                return
            }
            attemptFailed(e)
        }
        state = .closed
        var tried = ""
        if !hostIsLiteral || failed.count > 1 {
            for (i, address) in failed.enumerated() { tried += (i == 0 ? "tried " : ", ") + address }
        }
        throw PlatformError(.connect, errno: lastErrno, path: name, detail: tried)
    }

    /// nil: would block; 0: orderly EOF (for TLS, close_notify or EOF); >0
    /// bytes read. Before the connection is established: nil. `.closed`
    /// when the peer reset it or after `close()`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int? {
        switch state {
        case .connecting, .handshaking: return nil
        case .closed: throw PlatformError(.closed, path: name)
        case .established: break
        }
        precondition(buffer.count > 0, "StreamConnection.read: empty buffer")
        if let tls { return try tls.read(into: buffer) }
        let n = nd_recv(fd, buffer.baseAddress, buffer.count)
        if n >= 0 { return n }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return nil }
        throw failure(e)
    }

    /// Bytes accepted (0 when it would block). For TLS, honour mbedTLS's
    /// rule that after WANT_WRITE the same buffer must be passed again: the
    /// session keeps a copy of a record mbedTLS could not send yet and
    /// passes it again itself (on the next write, or `advance()`), so the
    /// caller never has to; `interest` includes `.write` meanwhile. At
    /// most one TLS record (16 KB) per call. Before the connection is
    /// established: 0.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(PlatformError) -> Int {
        switch state {
        case .connecting, .handshaking: return 0
        case .closed: throw PlatformError(.closed, path: name)
        case .established: break
        }
        guard bytes.count > 0 else { return 0 }
        if let tls { return try tls.write(bytes) }
        let n = nd_send(fd, bytes.baseAddress, bytes.count)
        if n >= 0 { return n }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return 0 }
        throw failure(e)
    }

    private func failure(_ e: Int32) -> PlatformError {
        if e == ECONNRESET || e == EPIPE || e == ETIMEDOUT || e == ENOTCONN {
            return PlatformError(.closed, errno: e, path: name)
        }
        return PlatformError(.io, errno: e, path: name)
    }

    /// Idempotent. For TLS, sends close_notify first, best effort (one
    /// try, no waiting). Frees the TLS session and closes the socket.
    public func close() {
        if state == .established, let tls { tls.closeNotify() }
        tls = nil
        if fd >= 0 { _ = CPlatform.close(fd) }
        fd = -1
        state = .closed
    }
}
