/// The unpredictable values a WebSocket client sends: the Sec-WebSocket-Key
/// nonce (RFC 6455 §4.1) and a fresh masking key per frame (§5.3, §10.3),
/// all derived from one 32-byte random seed supplied by the caller.
///
/// The derivation is SHA-256(seed || counter) with a 64-bit little-endian
/// counter, used as a PRF: block 0 gives the 16-byte key, blocks 1, 2, …
/// give eight 4-byte masking keys each. Without the seed, the masking keys
/// cannot be predicted from the ones already seen (which is what §10.3 needs
/// against cache poisoning of intermediaries).
struct WebSocketKeyStream {
    private let seed: Bytes32
    private var counter: UInt64 = 1
    private var block: Bytes32 = .zero
    private var used = 32

    init(seed: Bytes32) { self.seed = seed }

    /// Block `index` of the stream.
    private func block(_ index: UInt64) -> Bytes32 {
        var input = (seed.storage, index.littleEndian)
        return withUnsafeBytes(of: &input) { SHA256.hash($0) }
    }

    /// The 16 random bytes of the Sec-WebSocket-Key (before base64).
    func handshakeNonce() -> [UInt8] {
        let b = block(0)
        return b.withUnsafeBytes { Array($0[0..<16]) }
    }

    /// The next masking key, first key byte in the high 8 bits.
    mutating func nextMask() -> UInt32 {
        if used == 32 {
            block = block(counter)
            counter &+= 1
            used = 0
        }
        let at = used
        used += 4
        return block.withUnsafeBytes { p in
            UInt32(p[at]) << 24 | UInt32(p[at + 1]) << 16 | UInt32(p[at + 2]) << 8 | UInt32(p[at + 3])
        }
    }
}
