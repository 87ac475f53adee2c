import CSecp256k1

/// Full curve points of x-only keys, for the certificate whose key is the
/// nostr key itself (`NpubTLSKey`) and the `wsn://` relay's BOLT 8 static
/// key (`NoiseSession`).
extension Secp256k1Context {
    /// The point with even y whose x is `publicKey` (BIP-340 `lift_x`), as
    /// the 65-byte uncompressed SEC 1 encoding 04 || x || y (SEC 1 v2 §2.3.3).
    /// `.invalidPublicKey` when no point has that x.
    public func uncompressedEvenPoint(of publicKey: Bytes32) throws(NostrError) -> [UInt8] {
        var compressed = [UInt8](repeating: 0x02, count: 33)
        publicKey.withUnsafeBytes { p in
            for i in 0..<32 { compressed[i + 1] = p[i] }
        }
        var point = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(ctx, &point, compressed, 33) == 1 else { throw NostrError(.invalidPublicKey) }
        var out = [UInt8](repeating: 0, count: 65)
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(ctx, &out, &length, &point, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return out
    }

    /// The secret whose point is `lift_x` of the x-only public key: `secret`
    /// itself when its point has even y, else n − secret (BIP-340 "Default
    /// Signing" negates it the same way). An ECDSA key made from it has the
    /// public point `uncompressedEvenPoint(of: publicKey(of: secret))`.
    public func evenYSecret(_ secret: SecretKey) throws(NostrError) -> SecretKey {
        var pair = try keypair(secret)
        var xonly = secp256k1_xonly_pubkey()
        var parity: Int32 = 0
        guard secp256k1_keypair_xonly_pub(ctx, &xonly, &parity, &pair) == 1 else { throw NostrError(.invalidSecretKey) }
        guard parity == 1 else { return secret }
        var bytes = secret.bytes.bytes
        let ok = secp256k1_ec_seckey_negate(ctx, &bytes)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        guard ok == 1 else { throw NostrError(.invalidSecretKey) }
        return SecretKey(bytes: try Bytes32(bytes))
    }
}
