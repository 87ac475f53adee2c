import CMbedTLS

/// The symmetric primitives of the `wsn://` transport, as BOLT 8 names them
/// ("Handshake State", "Lightning Message Specification"):
/// `encryptWithAD`/`decryptWithAD` (ChaCha20-Poly1305, RFC 8439, with a
/// 96-bit nonce of 32 zero bits then the 64-bit little-endian counter) and
/// `HKDF(salt, ikm)` (RFC 5869 with SHA-256, empty info, 64 bytes split in two).
public enum NoiseCrypto {
    /// Poly1305 tag length.
    public static let tagLength = 16

    /// BOLT 8: "encryptWithAD(k, n, ad, plaintext)". Writes the ciphertext
    /// and then the 16-byte tag into `out`, which must hold
    /// `plaintext.count + 16` bytes.
    @inline(__always)
    public static func encrypt(
        key: Bytes32, nonce: UInt64, ad: UnsafeRawBufferPointer,
        plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) {
        precondition(out.count == plaintext.count + tagLength, "NoiseCrypto.encrypt: output size")
        var n = nonceBytes(nonce)
        withUnsafeBytes(of: &n) { np in
            key.withUnsafeBytes { k in
                // Fails only on bad parameters, which these never are.
                _ = nd_chachapoly_seal(
                    k.baseAddress, np.baseAddress, ad.baseAddress, ad.count,
                    plaintext.baseAddress, plaintext.count,
                    out.baseAddress, out.baseAddress! + plaintext.count)
            }
        }
    }

    /// BOLT 8: "decryptWithAD(k, n, ad, ciphertext)". `ciphertext` ends with
    /// its tag; `out` must hold `ciphertext.count - 16` bytes. Throws
    /// `.noiseDecrypt` when the tag does not verify (nothing is usable then).
    @inline(__always)
    public static func decrypt(
        key: Bytes32, nonce: UInt64, ad: UnsafeRawBufferPointer,
        ciphertext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) throws(NostrError) {
        guard ciphertext.count >= tagLength, out.count == ciphertext.count - tagLength else { throw NostrError(.noiseDecrypt) }
        let length = ciphertext.count - tagLength
        var n = nonceBytes(nonce)
        let r = withUnsafeBytes(of: &n) { np in
            key.withUnsafeBytes { k in
                nd_chachapoly_open(
                    k.baseAddress, np.baseAddress, ad.baseAddress, ad.count,
                    ciphertext.baseAddress! + length, ciphertext.baseAddress, length,
                    out.baseAddress)
            }
        }
        guard r == 0 else { throw NostrError(.noiseDecrypt) }
    }

    /// BOLT 8: "HKDF(salt, ikm)": 64 bytes of HKDF-SHA256 with empty info,
    /// returned as the first and second 32 bytes.
    public static func hkdf(salt: Bytes32, ikm: UnsafeRawBufferPointer) -> (Bytes32, Bytes32) {
        var out = Bytes64.zero
        out.withUnsafeMutableBytes { o in
            salt.withUnsafeBytes { s in
                // Fails only on bad parameters or a build without SHA-256.
                _ = nd_hkdf_sha256_64(s.baseAddress, 32, ikm.baseAddress, ikm.count, o.baseAddress)
            }
        }
        return (out.low, out.high)
    }

    public static func hkdf(salt: Bytes32, ikm: Bytes32) -> (Bytes32, Bytes32) {
        ikm.withUnsafeBytes { hkdf(salt: salt, ikm: $0) }
    }

    /// BOLT 8: "the nonce n encoded as 32 zero bits, followed by a
    /// little-endian 64-bit value".
    @inline(__always)
    static func nonceBytes(_ n: UInt64) -> (UInt32, UInt32, UInt32) {
        (0, UInt32(truncatingIfNeeded: n).littleEndian, UInt32(truncatingIfNeeded: n >> 32).littleEndian)
    }

    /// SHA-256 of `a || b`, the handshake hash update `h = SHA-256(h || data)`.
    static func mixHash(_ h: Bytes32, _ data: UnsafeRawBufferPointer) -> Bytes32 {
        var joined = [UInt8](repeating: 0, count: 32 + data.count)
        joined.withUnsafeMutableBytes { j in
            h.withUnsafeBytes { j.copyMemory(from: $0) }
            if data.count > 0 { UnsafeMutableRawBufferPointer(rebasing: j[32...]).copyMemory(from: data) }
        }
        return SHA256.hash(joined)
    }

    static func mixHash(_ h: Bytes32, _ data: [UInt8]) -> Bytes32 {
        data.withUnsafeBytes { mixHash(h, $0) }
    }
}

/// One direction of an established BOLT 8 channel: its key, nonce and
/// chaining key, rotated as BOLT 8 "Lightning Message Key Rotation" says:
/// "once a key has been used for 1000 encryptions (or decryptions)",
/// `ck', k' = HKDF(ck, k)` and the nonce starts again from 0.
public struct NoiseCipherState: Sendable {
    public private(set) var key: Bytes32
    public private(set) var chainingKey: Bytes32
    public private(set) var nonce: UInt64 = 0

    /// BOLT 8 rotates after this many uses of one key.
    public static let rotationInterval: UInt64 = 1000

    public init(key: Bytes32, chainingKey: Bytes32) {
        self.key = key
        self.chainingKey = chainingKey
    }

    /// Encrypts with the current key and nonce (empty associated data), then
    /// advances the nonce, rotating the key after 1000 uses.
    @inline(__always)
    public mutating func seal(_ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        NoiseCrypto.encrypt(
            key: key, nonce: nonce, ad: UnsafeRawBufferPointer(start: nil, count: 0),
            plaintext: plaintext, into: out)
        advance()
    }

    /// Decrypts and authenticates; advances only on success (a failure ends
    /// the channel anyway).
    @inline(__always)
    public mutating func open(_ ciphertext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(NostrError) {
        try NoiseCrypto.decrypt(
            key: key, nonce: nonce, ad: UnsafeRawBufferPointer(start: nil, count: 0),
            ciphertext: ciphertext, into: out)
        advance()
    }

    @inline(__always)
    mutating func advance() {
        nonce &+= 1  // at most 1000: rotation resets it below
        if nonce == Self.rotationInterval {
            (chainingKey, key) = NoiseCrypto.hkdf(salt: chainingKey, ikm: key)
            nonce = 0
        }
    }
}
