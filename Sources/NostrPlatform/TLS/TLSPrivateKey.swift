import CMbedTLS
import CPlatform
import NostrCore

/// The private key of a TLS server certificate (an `mbedtls_pk_context`):
/// either an ECDSA P-256 key (FIPS 186-4, SEC 2 secp256r1) kept in its own
/// file beside the nostr key file, or the nostr secp256k1 key itself (the
/// `--alt` certificate, `NpubTLSKey`).
public final class TLSPrivateKey {
    let pk: UnsafeMutablePointer<mbedtls_pk_context>

    /// The largest key file read (a SEC 1 PEM P-256 key is about 230 bytes).
    public static let maxFileBytes = 4096

    private init() {
        pk = .allocate(capacity: 1)
        mbedtls_pk_init(pk)
    }

    deinit {
        // mbedtls_pk_free zeroizes the key material.
        mbedtls_pk_free(pk)
        pk.deallocate()
    }

    /// A new P-256 key from `random`.
    public static func generateP256(random: TLSRandom) throws(PlatformError) -> TLSPrivateKey {
        let key = TLSPrivateKey()
        var rc = mbedtls_pk_setup(key.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
        guard rc == 0 else { throw failure("setting up a key", rc) }
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key.pk.pointee), mbedtls_ctr_drbg_random, random.context)
        guard rc == 0 else { throw failure("generating a P-256 key", rc) }
        return key
    }

    /// The ECDSA key on secp256k1 whose secret is the nostr secret, taken
    /// with even y (`Secp256k1Context.evenYSecret`) so that its public point
    /// is the BIP-340 lift of the npub and its SPKI follows from the npub.
    public static func nostrKey(_ secret: SecretKey, context: Secp256k1Context, random: TLSRandom) throws(PlatformError) -> TLSPrivateKey {
        let even: SecretKey
        do throws(NostrError) { even = try context.evenYSecret(secret) } catch {
            throw PlatformError(.badKey, detail: error.reason)
        }
        let key = TLSPrivateKey()
        var rc = mbedtls_pk_setup(key.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
        guard rc == 0 else { throw failure("setting up a key", rc) }
        guard let ec = mbedtls_pk_ec(key.pk.pointee) else { throw failure("setting up a key", MBEDTLS_ERR_PK_BAD_INPUT_DATA) }
        rc = mbedtls_ecp_group_load(&ec.pointee.grp, MBEDTLS_ECP_DP_SECP256K1)
        guard rc == 0 else { throw failure("loading secp256k1", rc) }
        var scalar = even.bytes.bytes
        rc = mbedtls_mpi_read_binary(&ec.pointee.d, scalar, scalar.count)
        for i in scalar.indices { scalar[i] = 0 }
        guard rc == 0 else { throw failure("reading the nostr key", rc) }
        rc = mbedtls_ecp_mul(&ec.pointee.grp, &ec.pointee.Q, &ec.pointee.d, &ec.pointee.grp.G, mbedtls_ctr_drbg_random, random.context)
        guard rc == 0 else { throw failure("computing the public point", rc) }
        return key
    }

    /// Reads a PEM or DER private key (mbedtls_pk_parse_key: SEC 1 or
    /// PKCS #8, unencrypted). The file must be a regular file, not a
    /// symbolic link, without permission bits for group or others, as the
    /// nostr key file (`KeyFile.load`).
    public static func load(path: String) throws(PlatformError) -> TLSPrivateKey {
        var bytes = try SecretFile.read(path: path, limit: maxFileBytes, file: .tlsKey)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        if bytes.first == 0x2D { bytes.append(0) }  // PEM is parsed NUL-terminated
        let key = TLSPrivateKey()
        let rc = mbedtls_pk_parse_key(key.pk, bytes, bytes.count, nil, 0)
        guard rc == 0 else {
            throw PlatformError(.badKey, path: path, file: .tlsKey, detail: TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
        }
        return key
    }

    /// Writes the key as SEC 1 PEM ("EC PRIVATE KEY") to a new file (mode
    /// 0600, never overwriting, `SecretFile.create`).
    public func save(path: String) throws(PlatformError) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        defer { for i in buffer.indices { buffer[i] = 0 } }
        let rc = mbedtls_pk_write_key_pem(pk, &buffer, buffer.count)
        guard rc == 0, let end = buffer.firstIndex(of: 0) else { throw TLSPrivateKey.failure("writing the key", rc) }
        try SecretFile.create(path: path, bytes: Array(buffer[..<end]), file: .tlsKey)
    }

    /// The key at `path`, or a new P-256 key saved there when there is no
    /// file (`created` says which).
    public static func loadOrCreateP256(path: String, random: TLSRandom) throws(PlatformError) -> (key: TLSPrivateKey, created: Bool) {
        do throws(PlatformError) {
            return (try load(path: path), false)
        } catch {
            guard error.code == .notFound else { throw error }
        }
        let key = try generateP256(random: random)
        try key.save(path: path)
        return (key, true)
    }

    /// The DER SubjectPublicKeyInfo of the public key (RFC 5280 §4.1.2.7).
    public func subjectPublicKeyInfo() throws(PlatformError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 256)
        // mbedtls_pk_write_pubkey_der writes at the end of the buffer and
        // returns the length.
        let n = mbedtls_pk_write_pubkey_der(pk, &buffer, buffer.count)
        guard n > 0 else { throw TLSPrivateKey.failure("writing the public key", n) }
        return Array(buffer[(buffer.count - Int(n))...])
    }

    static func failure(_ what: String, _ rc: Int32) -> PlatformError {
        PlatformError(.tls, path: what, detail: TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
    }
}
