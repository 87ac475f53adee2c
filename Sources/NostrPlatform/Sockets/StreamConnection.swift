import CPlatform
import NostrCore

/// A client TCP connection (tcp(7)), optionally with TLS 1.2 on top
/// (`TLSSession`) or the `wsn://` BOLT 8 channel (`NoiseSession`), driven by the caller's poll(2) loop: nothing here blocks
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
    private var noise: NoiseSession?
    private let hostIsLiteral: Bool

    /// Resolves host (getaddrinfo, AF_UNSPEC, SOCK_STREAM; IP literals incl.
    /// "::1" without brackets skip DNS), creates a non-blocking socket with
    /// TCP_NODELAY (Nagle + delayed ACK costs 40 ms per exchange otherwise),
    /// starts connect() to the first address; tries the next address if
    /// that fails. Returns at once. With `tls`, the handshake follows the
    /// connect; a host name is sent as SNI and verified against the
    /// certificate, an IP literal is matched against its iPAddress entries.
    /// With `noise` (a `wsn://` relay; `tls` must then be nil), the BOLT 8
    /// handshake follows the connect instead, and the connection is
    /// established only once the relay proved it holds the expected key.
    ///
    /// `serverName` (with TLS): the name sent as SNI instead of `host`,
    /// when `host` is an address the caller looked up itself. `pins`
    /// (with a `TLSClientConfig(pinnedKeysOnly:)`): the SHA-256 digests of
    /// the SubjectPublicKeyInfo the server may present; anything else fails
    /// the handshake (`.tls`), and `peerKeySHA256` tells what it was.
    public convenience init(
        host: String, port: UInt16, tls: TLSClientConfig?, serverName: String? = nil,
        pins: [Bytes32] = [], noise: NoiseConfig? = nil
    ) throws(PlatformError) {
        let bare = AddressResolver.bareHost(host)
        let resolved = try AddressResolver.resolve(bare, port: port, datagram: false)
        try self.init(
            host: bare, port: port, tls: tls, addresses: resolved.addresses, isLiteral: resolved.isLiteral,
            serverName: serverName, pins: pins, noise: noise)
    }

    /// As `init(host:port:tls:...)` with the addresses of `host` already
    /// known (no getaddrinfo call): for a caller that keeps them between
    /// reconnects (`RelayPoolOptions.addressLifetimeMilliseconds`) or
    /// looked them up itself without blocking (`HostLookupSocket`). `host`
    /// is still the TLS server name.
    init(
        host: String, port: UInt16, tls: TLSClientConfig?, addresses: [SocketAddress], isLiteral: Bool,
        serverName: String? = nil, pins: [Bytes32] = [], noise: NoiseConfig? = nil
    ) throws(PlatformError) {
        let bare = AddressResolver.bareHost(host)
        self.host = bare
        self.port = port
        self.addresses = addresses
        hostIsLiteral = isLiteral
        if let tls {
            let name = serverName ?? bare
            let nameIsLiteral = serverName == nil && isLiteral
            self.tls = try TLSSession(
                config: tls, host: name, peer: AddressResolver.hostPort(bare, port),
                ipLiteral: nameIsLiteral ? addresses[0].addressBytes : nil, pins: pins)
        }
        if let noise { self.noise = try NoiseSession(config: noise, peer: AddressResolver.hostPort(bare, port)) }
        try startNextAddress()
    }

    /// An accepted connection with TLS on it, server side: the handshake
    /// runs through `advance()` as a client's does.
    public convenience init(accepted fd: Int32, peer: SocketAddress, tls: TLSServerConfig) throws(PlatformError) {
        self.init(accepted: fd, peer: peer)
        let session = try TLSSession(server: tls, peer: peer.description)
        session.fd = fd
        self.tls = session
        state = .handshaking
    }

    /// SHA-256 of the TLS server's SubjectPublicKeyInfo, once a pinning
    /// handshake has seen its certificate (kept after a refused handshake
    /// closed the connection, to say which key was refused).
    public private(set) var peerKeySHA256: Bytes32?

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

    /// Makes an accepted connection the responder of a `wsn://` channel
    /// with `config`'s key: nothing is readable or writable until the BOLT 8
    /// handshake completes; drive `advance()` as for a client. Call once,
    /// before any read or write.
    public func startNoiseResponder(_ config: NoiseConfig) throws(PlatformError) {
        precondition(state == .established && tls == nil && noise == nil, "startNoiseResponder: not a fresh accepted connection")
        let session = try NoiseSession(config: config, peer: peerDescription)
        session.fd = fd
        noise = session
        state = .handshaking
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
            if let noise { return noise.wantsWrite ? .write : .read }
            return tls?.wantsWrite == true ? .write : .read
        case .established:
            if let tls, tls.wantsWrite || tls.hasPendingOutput { return [.read, .write] }
            if let noise, noise.wantsWrite { return [.read, .write] }
            return .read
        case .closed:
            return []
        }
    }

    public var isEstablished: Bool { state == .established }
    public var isTLS: Bool { tls != nil }
    public var isNoise: Bool { noise != nil }
    /// For `wsn://`: the peer's BOLT 8 static key, once established (a
    /// client's is random per connection).
    public var noiseRemoteStatic: CompressedPublicKey? { state == .established ? noise?.remoteStatic : nil }

    /// True when TLS holds decrypted input that poll(2) cannot report: call
    /// `read` before waiting (reading until nil each turn covers this).
    public var hasBufferedInput: Bool {
        state == .established && (tls?.hasBufferedInput == true || noise?.hasBufferedInput == true)
    }

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
                if let noise {
                    noise.fd = fd
                    state = .handshaking
                    return try noiseHandshake(noise)
                }
                guard let tls else {
                    state = .established
                    return true
                }
                tls.fd = fd
                state = .handshaking
                return try handshake(tls)
            case .handshaking:
                if let noise { return try noiseHandshake(noise) }
                return try handshake(tls!)
            case .established:
                if let tls { _ = try tls.flush() }
                if let noise { _ = try noise.flush() }
                return true
            case .closed:
                throw PlatformError(.closed, path: name)
            }
        } catch {
            if let key = tls?.peerKeySHA256 { peerKeySHA256 = key }
            close()
            throw error
        }
    }

    private func noiseHandshake(_ noise: NoiseSession) throws(PlatformError) -> Bool {
        guard try noise.advanceHandshake() else { return false }
        state = .established
        return true
    }

    private func handshake(_ tls: TLSSession) throws(PlatformError) -> Bool {
        guard try tls.handshake() else { return false }
        peerKeySHA256 = tls.peerKeySHA256
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
        case .handshaking: during = noise != nil ? "in the wsn:// handshake" : "in the TLS handshake"
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
        if let noise { return try noise.read(into: buffer) }
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
        if let noise { return try noise.write(bytes) }
        let n = nd_send(fd, bytes.baseAddress, bytes.count)
        if n >= 0 { return n }
        let e = Int32(-n)
        if e == EAGAIN || e == EWOULDBLOCK { return 0 }
        throw failure(e)
    }

    /// Writes from the front of `buffer` until the stream would block or
    /// nothing is left; what was written is consumed. True when `buffer`
    /// is empty.
    public func drain(_ buffer: inout OutputBuffer) throws(PlatformError) -> Bool {
        while !buffer.isEmpty {
            let n = try buffer.withUnsafeBytes { (p) throws(PlatformError) -> Int in try write(p) }
            if n == 0 { return false }
            buffer.consume(n)
        }
        return true
    }

    private func failure(_ e: Int32) -> PlatformError { Self.failure(e, path: name) }

    static func failure(_ e: Int32, path name: String) -> PlatformError {
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
        noise = nil
        if fd >= 0 { _ = CPlatform.close(fd) }
        fd = -1
        state = .closed
    }
}
