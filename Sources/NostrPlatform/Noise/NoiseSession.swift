import CPlatform
import NostrCore

/// The keys of one side of a `wsn://` channel (the Design article, "Relays and
/// transports"; BOLT 8 Noise_XK).
public struct NoiseConfig {
    public let context: Secp256k1Context
    /// This side's static key. A client uses a fresh random one per
    /// connection (the relay is authenticated, the client is not); a relay
    /// its nostr key, negated to even y when needed.
    public let localStatic: SecretKey
    /// For an initiator: the relay's key, its npub lifted to even y.
    public let remoteStatic: CompressedPublicKey?

    /// A client that will accept only the relay whose npub encodes `relayKey`.
    public init(initiatorTo relayKey: Bytes32, context: Secp256k1Context) throws(NostrError) {
        self.context = context
        localStatic = try Entropy.secretKey(context: context)
        remoteStatic = CompressedPublicKey(xOnly: relayKey)
    }

    /// A relay (gateway) answering with its nostr key `secret`.
    public init(responder secret: SecretKey, context: Secp256k1Context) throws(NostrError) {
        self.context = context
        localStatic = try context.evenYSecret(secret)
        remoteStatic = nil
    }
}

/// BOLT 8 over a non-blocking socket: the I/O half of `NoiseHandshake` and
/// `NoiseTransport`, used by `StreamConnection` as its third transport
/// beside plain TCP and TLS. Handshake acts are read with exactly the bytes
/// they need, so nothing of the peer's is consumed early; application bytes
/// are sealed into messages of at most 65535 bytes and queued until the
/// socket takes them.
final class NoiseSession {
    var fd: Int32 = -1
    let peer: String
    private var handshake: NoiseHandshake
    private var transport: NoiseTransport?
    private var act: [UInt8] = []
    private var outbound = OutputBuffer()
    private var plaintext: [UInt8] = []
    private var plaintextStart = 0
    private var ciphertext = [UInt8](repeating: 0, count: 16 * 1024)

    /// Sealed bytes queued beyond this make `write` report "would block".
    static let maxOutbound = 256 * 1024

    init(config: NoiseConfig, peer: String) throws(PlatformError) {
        self.peer = peer
        do throws(NostrError) {
            let ephemeral = try Entropy.secretKey(context: config.context)
            if let remote = config.remoteStatic {
                handshake = try NoiseHandshake(initiator: config.localStatic, remote: remote, ephemeral: ephemeral, context: config.context)
                outbound = OutputBuffer(try handshake.start())
            } else {
                handshake = try NoiseHandshake(responder: config.localStatic, ephemeral: ephemeral, context: config.context)
            }
        } catch {
            throw PlatformError(.noise, path: peer, keyError: error.code)
        }
    }

    var isEstablished: Bool { transport != nil }
    var wantsWrite: Bool { !outbound.isEmpty }
    var hasBufferedInput: Bool { plaintextStart < plaintext.count || (transport?.bufferedBytes ?? 0) > 0 }
    /// The peer's static key once the handshake is done.
    var remoteStatic: CompressedPublicKey? { handshake.remoteStatic }

    /// Drives the handshake: sends what is queued, reads the act awaited.
    /// True once the channel is established. An EOF or a refused act throws
    /// `.noise`. For an initiator, a relay that hangs up during the
    /// handshake has proved nothing: it may be busy or stopping (a gateway
    /// making room for other clients) as well as hold another key, and the
    /// message says so; a wrong act two, which only another key sends, is
    /// "the relay does not hold the npub's key".
    func advanceHandshake() throws(PlatformError) -> Bool {
        _ = try flush()
        while transport == nil {
            if handshake.isComplete {
                transport = handshake.transport()
                _ = try flush()  // act three may still be queued: it goes before any message
                return true
            }
            let need = handshake.actLength
            if act.count < need {
                var chunk = [UInt8](repeating: 0, count: need - act.count)
                let n = chunk.withUnsafeMutableBytes { nd_recv(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    let e = Int32(-n)
                    if e == EAGAIN || e == EWOULDBLOCK { return false }
                    throw PlatformError(.closed, errno: e, path: peer, detail: "during the wsn:// handshake")
                }
                if n == 0 {
                    throw PlatformError(
                        .noise, path: peer,
                        detail: handshake.role == .initiator
                            ? "the relay closed the connection before proving the npub's key (busy, shutting down, or holding another key)"
                            : "the client closed the connection during the handshake")
                }
                act.append(contentsOf: chunk[0..<n])
                if act.count < need { continue }
            }
            do throws(NostrError) {
                let reply = try act.withBytes { (a) throws(NostrError) in try handshake.receive(a) }
                act.removeAll()
                outbound.append(contentsOf: reply)
            } catch {
                throw PlatformError(
                    .noise, path: peer, keyError: error.code,
                    detail: handshake.role == .initiator ? "the relay does not hold the npub's key" : "")
            }
            _ = try flush()
        }
        return true
    }

    /// Sends queued bytes until the socket would block; true when none remain.
    func flush() throws(PlatformError) -> Bool {
        while !outbound.isEmpty {
            let n = outbound.withUnsafeBytes { o in nd_send(fd, o.baseAddress, o.count) }
            if n < 0 {
                let e = Int32(-n)
                if e == EAGAIN || e == EWOULDBLOCK { return false }
                throw StreamConnection.failure(e, path: peer)
            }
            outbound.consume(n)
        }
        return true
    }

    /// Seals `bytes` and queues them; 0 when too much is queued already.
    func write(_ bytes: UnsafeRawBufferPointer) throws(PlatformError) -> Int {
        guard var t = transport else { return 0 }
        if outbound.count >= Self.maxOutbound {
            guard try flush() || outbound.count < Self.maxOutbound else { return 0 }
        }
        transport = nil  // moved out so sealing does not copy its buffers
        outbound.appending { (out, _) in t.sealChunked(bytes, appendingTo: &out) }
        transport = t
        _ = try flush()
        return bytes.count
    }

    /// Plaintext into `buffer`: nil when none is ready, 0 at EOF.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int? {
        guard var t = transport else { return nil }
        transport = nil
        defer { transport = t }
        while true {
            if plaintextStart < plaintext.count {
                let n = min(buffer.count, plaintext.count - plaintextStart)
                let start = plaintextStart
                plaintext.withUnsafeBytes { p in
                    buffer.baseAddress!.copyMemory(from: p.baseAddress! + start, byteCount: n)
                }
                plaintextStart += n
                if plaintextStart == plaintext.count {
                    plaintext.removeAll(keepingCapacity: true)
                    plaintextStart = 0
                }
                return n
            }
            do throws(NostrError) {
                if try t.nextMessage(appendingTo: &plaintext) { continue }
            } catch {
                throw PlatformError(.noise, path: peer, keyError: error.code)
            }
            let n = ciphertext.withUnsafeMutableBytes { nd_recv(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = Int32(-n)
                if e == EAGAIN || e == EWOULDBLOCK { return nil }
                throw StreamConnection.failure(e, path: peer)
            }
            if n == 0 { return 0 }
            ciphertext.withUnsafeBytes { c in t.receive(UnsafeRawBufferPointer(rebasing: c[0..<n])) }
        }
    }
}
