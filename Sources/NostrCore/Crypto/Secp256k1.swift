import CSecp256k1

/// A secp256k1 secret key (32 bytes, in [1, n-1]).
public struct SecretKey: Equatable, Sendable {
    public var bytes: Bytes32
    public init(bytes: Bytes32) { self.bytes = bytes }
}

/// A parsed x-only public key (BIP-340): the curve point, ready for
/// verification, so that a key used many times is decompressed once.
public struct ParsedPublicKey: Sendable {
    /// The libsecp256k1 form, for direct C calls (benchmarks).
    public var key: secp256k1_xonly_pubkey
}

/// A libsecp256k1 context. One per process is enough: after creation and
/// randomization it is only read, which libsecp256k1 allows from any thread.
///
/// Randomization (`secp256k1_context_randomize`) blinds the signing
/// computations against side channels; the seed comes from the caller
/// (getrandom in the platform layer) so the core stays free of I/O.
public final class Secp256k1Context: @unchecked Sendable {
    /// The libsecp256k1 context, for direct C calls (benchmarks).
    public let ctx: OpaquePointer

    public init(randomSeed: Bytes32) throws(NostrError) {
        guard let ctx = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            throw NostrError(.entropy)
        }
        self.ctx = ctx
        let ok = randomSeed.withUnsafeBytes { seed in
            secp256k1_context_randomize(ctx, seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard ok == 1 else { throw NostrError(.entropy) }
    }

    deinit { secp256k1_context_destroy(ctx) }

    /// True if `secret` is a valid secret key (non-zero and below the group order).
    public func isValid(secret: SecretKey) -> Bool {
        secret.bytes.withUnsafeBytes { s in
            secp256k1_ec_seckey_verify(ctx, s.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
        }
    }

    @usableFromInline
    func keypair(_ secret: SecretKey) throws(NostrError) -> secp256k1_keypair {
        var pair = secp256k1_keypair()
        let ok = secret.bytes.withUnsafeBytes { s in
            secp256k1_keypair_create(ctx, &pair, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard ok == 1 else { throw NostrError(.invalidSecretKey) }
        return pair
    }

    /// The BIP-340 x-only public key of `secret` (what an npub encodes).
    public func publicKey(of secret: SecretKey) throws(NostrError) -> Bytes32 {
        var pair = try keypair(secret)
        var xonly = secp256k1_xonly_pubkey()
        var out = Bytes32.zero
        guard secp256k1_keypair_xonly_pub(ctx, &xonly, nil, &pair) == 1 else {
            throw NostrError(.invalidSecretKey)
        }
        out.withUnsafeMutableBytes { o in
            _ = secp256k1_xonly_pubkey_serialize(ctx, o.baseAddress!.assumingMemoryBound(to: UInt8.self), &xonly)
        }
        return out
    }

    /// Lifts a 32-byte x-only key to a curve point; throws if no point has that x.
    @inline(__always)
    public func parse(publicKey: Bytes32) throws(NostrError) -> ParsedPublicKey {
        var key = secp256k1_xonly_pubkey()
        let ok = publicKey.withUnsafeBytes { p in
            secp256k1_xonly_pubkey_parse(ctx, &key, p.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard ok == 1 else { throw NostrError(.invalidPublicKey) }
        return ParsedPublicKey(key: key)
    }

    /// BIP-340 signature of `message` (any length) with auxiliary randomness
    /// `auxRand` (BIP-340 "Default Signing": 32 fresh random bytes).
    public func sign(message: UnsafeRawBufferPointer, secret: SecretKey, auxRand: Bytes32) throws(NostrError) -> Bytes64 {
        var pair = try keypair(secret)
        var sig = Bytes64.zero
        var aux = auxRand
        let ok = aux.withUnsafeMutableBytes { a in
            sig.withUnsafeMutableBytes { s in
                var extra = secp256k1_schnorrsig_extraparams()
                // SECP256K1_SCHNORRSIG_EXTRAPARAMS_MAGIC, { 0xda, 0x6f, 0xb3, 0x8c }
                extra.magic = (0xda, 0x6f, 0xb3, 0x8c)
                extra.noncefp = nil
                extra.ndata = a.baseAddress
                return secp256k1_schnorrsig_sign_custom(
                    ctx, s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                    &pair, &extra)
            }
        }
        guard ok == 1 else { throw NostrError(.signingFailed) }
        return sig
    }

    /// Signs a 32-byte digest (a NIP-01 event id).
    public func sign(digest: Bytes32, secret: SecretKey, auxRand: Bytes32) throws(NostrError) -> Bytes64 {
        try digest.withUnsafeBytes { (m) throws(NostrError) in try sign(message: m, secret: secret, auxRand: auxRand) }
    }

    /// BIP-340 verification of `signature` over `message` by an already parsed key.
    @inline(__always)
    public func verify(signature: Bytes64, message: UnsafeRawBufferPointer, publicKey: ParsedPublicKey) -> Bool {
        var key = publicKey.key
        return signature.withUnsafeBytes { s in
            secp256k1_schnorrsig_verify(
                ctx, s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, &key) == 1
        }
    }

    /// BIP-340 verification by a 32-byte x-only key; false if the key is not on the curve.
    public func verify(signature: Bytes64, message: UnsafeRawBufferPointer, publicKey: Bytes32) -> Bool {
        guard let parsed = try? parse(publicKey: publicKey) else { return false }
        return verify(signature: signature, message: message, publicKey: parsed)
    }

    public func verify(signature: Bytes64, digest: Bytes32, publicKey: Bytes32) -> Bool {
        digest.withUnsafeBytes { m in verify(signature: signature, message: m, publicKey: publicKey) }
    }
}
