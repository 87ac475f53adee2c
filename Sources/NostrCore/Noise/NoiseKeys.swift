import CSecp256k1

/// A compressed secp256k1 public key (SEC 1 §2.3.3: 0x02 or 0x03, then x),
/// the form BOLT 8 puts on the wire and hashes into the handshake.
public struct CompressedPublicKey: Equatable, Sendable {
    /// 0x02 (even y) or 0x03 (odd y).
    public var prefix: UInt8
    public var x: Bytes32

    public init(prefix: UInt8, x: Bytes32) {
        self.prefix = prefix
        self.x = x
    }

    /// An npub's x-only key (BIP-340) lifted to the point with even y, as
    /// the Design article ("Relays and transports") fixes for `wsn://`: 0x02 || x.
    public init(xOnly: Bytes32) {
        prefix = 0x02
        x = xOnly
    }

    /// Exactly 33 bytes; the prefix is checked here, the point when used.
    public init(_ bytes: some Collection<UInt8>) throws(NostrError) {
        guard bytes.count == 33, let first = bytes.first, first == 0x02 || first == 0x03 else { throw NostrError(.noiseKey) }
        prefix = first
        x = try Bytes32(bytes.dropFirst())
    }

    public var bytes: [UInt8] { [prefix] + x.bytes }
}

extension Secp256k1Context {
    /// The public key of `secret`, compressed.
    public func compressedPublicKey(of secret: SecretKey) throws(NostrError) -> CompressedPublicKey {
        var point = secp256k1_pubkey()
        let ok = secret.bytes.withUnsafeBytes { s in
            secp256k1_ec_pubkey_create(ctx, &point, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard ok == 1 else { throw NostrError(.invalidSecretKey) }
        return serialize(&point)
    }

    /// BOLT 8: "ECDH(k, rk)": SHA-256 of the compressed point k·rk
    /// (libsecp256k1's default ECDH hash is exactly that). Throws
    /// `.noiseKey` when `remote` is not a point on the curve.
    public func ecdh(secret: SecretKey, remote: CompressedPublicKey) throws(NostrError) -> Bytes32 {
        var point = try parse(compressed: remote)
        var out = Bytes32.zero
        let ok = out.withUnsafeMutableBytes { o in
            secret.bytes.withUnsafeBytes { s in
                secp256k1_ecdh(
                    ctx, o.baseAddress!.assumingMemoryBound(to: UInt8.self), &point,
                    s.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil)
            }
        }
        guard ok == 1 else { throw NostrError(.invalidSecretKey) }
        return out
    }

    /// Parses a compressed key; `.noiseKey` when x is not on the curve.
    func parse(compressed key: CompressedPublicKey) throws(NostrError) -> secp256k1_pubkey {
        var point = secp256k1_pubkey()
        let bytes = key.bytes
        let ok = bytes.withUnsafeBytes { b in
            secp256k1_ec_pubkey_parse(ctx, &point, b.baseAddress!.assumingMemoryBound(to: UInt8.self), 33)
        }
        guard ok == 1 else { throw NostrError(.noiseKey) }
        return point
    }

    func serialize(_ point: inout secp256k1_pubkey) -> CompressedPublicKey {
        var out = [UInt8](repeating: 0, count: 33)
        var length = 33
        out.withUnsafeMutableBytes { o in
            // SECP256K1_EC_COMPRESSED = SECP256K1_FLAGS_TYPE_COMPRESSION | SECP256K1_FLAGS_BIT_COMPRESSION
            _ = secp256k1_ec_pubkey_serialize(
                ctx, o.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, &point,
                UInt32((1 << 1) | (1 << 8)))
        }
        // A serialized valid point is always 33 bytes with prefix 2 or 3.
        return (try? CompressedPublicKey(out)) ?? CompressedPublicKey(prefix: 0x02, x: .zero)
    }
}
