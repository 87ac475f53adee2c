/// The keys a TLS server may present for an npub name, and how standard
/// tools are told about them (the Design article, "Trust anchored in the npub").
///
/// An npub vouches for two keys:
/// - the key in its TLS key record (kind 30059, `TLSKeyRecord`), by the
///   SHA-256 of its DER SubjectPublicKeyInfo (the record's `k`);
/// - its own secp256k1 key, when a server's certificate is keyed by the
///   nostr key itself (`https-demo --alt`): an EC public key on secp256k1
///   (RFC 5480 §2.1.1, named curve 1.3.132.0.10, SEC 2 §2.4.1) whose point
///   is the even-y lift of the npub (BIP-340 `lift_x`). Its SPKI follows
///   from the npub alone, so no record is needed beyond the address.
public enum NpubTLSKey {
    /// DER prefix of an uncompressed secp256k1 SubjectPublicKeyInfo
    /// (RFC 5280 §4.1.2.7, RFC 5480 §2):
    /// SEQUENCE(86) { SEQUENCE(16) { OID id-ecPublicKey 1.2.840.10045.2.1,
    /// OID secp256k1 1.3.132.0.10 }, BIT STRING(66) 00 … }, then the 65
    /// bytes 04 || x || y.
    static let spkiPrefix: [UInt8] = [
        0x30, 0x56, 0x30, 0x10,
        0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
        0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A,
        0x03, 0x42, 0x00,
    ]

    /// The DER SubjectPublicKeyInfo of the npub's own key (88 bytes).
    public static func subjectPublicKeyInfo(of publicKey: Bytes32, context: Secp256k1Context) throws(NostrError) -> [UInt8] {
        spkiPrefix + (try context.uncompressedEvenPoint(of: publicKey))
    }

    /// Its SHA-256: the `k` a TLS key record would hold for it, the TLSA
    /// 3 1 1 data, and what curl's `--pinnedpubkey sha256//` takes in base64.
    public static func spkiSHA256(of publicKey: Bytes32, context: Secp256k1Context) throws(NostrError) -> Bytes32 {
        SHA256.hash(try subjectPublicKeyInfo(of: publicKey, context: context))
    }

    /// curl's pin for several keys: "sha256//<base64>;sha256//<base64>"
    /// (CURLOPT_PINNEDPUBLICKEY: hashes separated by ";").
    public static func curlPin(_ hashes: [Bytes32]) -> String {
        var out = ""
        for (i, h) in hashes.enumerated() {
            out += (i == 0 ? "" : ";") + "sha256//" + Base64.encodedString(h.bytes)
        }
        return out
    }

    /// The owner name of a TLSA record for a TCP port (RFC 6698 §3):
    /// "_443._tcp.<host>.".
    public static func tlsaOwner(host: String, port: UInt16) -> String {
        "_" + String(port) + "._tcp." + host + "."
    }

    /// TLSA rdata in presentation form for DANE-EE, SPKI, SHA-256 (RFC 6698
    /// §2.2, RFC 7218): "3 1 1 <hex>".
    public static func tlsaData(_ hash: Bytes32) -> String {
        "3 1 1 " + hash.hex
    }
}
