import CMbedTLS
import CPlatform

/// What every TLS client connection shares (mbedTLS 2.28, TLS 1.2 only):
/// the trusted CA certificates, a CTR_DRBG (NIST SP 800-90A) seeded from
/// getrandom(2), and an `mbedtls_ssl_config` that always requires a valid
/// certificate chain (MBEDTLS_SSL_VERIFY_REQUIRED). One per process; each
/// `StreamConnection` keeps a reference, so it outlives them.
public final class TLSClientConfig {
    /// The bundles tried, in order, when no CA file is given: Debian,
    /// Ubuntu, Raspberry Pi OS and OpenWrt (ca-bundle); Fedora and RHEL;
    /// Alpine and the BSDs; SUSE.
    public static let systemBundles = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
        "/etc/ssl/ca-bundle.pem",
    ]

    let conf: UnsafeMutablePointer<mbedtls_ssl_config>
    let caChain: UnsafeMutablePointer<mbedtls_x509_crt>
    let random: TLSRandom
    /// The file the CA certificates came from.
    public private(set) var caFile = ""
    /// How many CA certificates were loaded from it.
    public private(set) var certificateCount = 0

    /// caFile nil: the system bundle, searched in this order:
    /// /etc/ssl/certs/ca-certificates.crt (Debian, Ubuntu, Raspberry Pi OS,
    /// OpenWrt's ca-bundle), /etc/pki/tls/certs/ca-bundle.crt,
    /// /etc/ssl/cert.pem, /etc/ssl/ca-bundle.pem; error naming the paths
    /// tried if none loads. PEM or DER; certificates in the file that
    /// mbedTLS cannot parse are skipped as long as one parses.
    public convenience init(caFile: String?) throws(PlatformError) {
        self.init(random: try TLSRandom(personalization: "nostr-dns tls client"))
        if let caFile {
            certificateCount = try load(caFile)
            self.caFile = caFile
        } else {
            try loadSystemBundle()
        }
        try configure()
    }

    /// A configuration for clients that trust keys, not CAs (`fetch`): no
    /// CA certificates; each connection passes the SHA-256 digests of the
    /// SubjectPublicKeyInfo it accepts (`StreamConnection(pins:)`), and
    /// the handshake fails unless the server's key is one of them. The
    /// groups offered are X25519, secp256r1, secp256k1 (for a certificate
    /// keyed by a nostr key) and secp384r1, as `TLSServerConfig` has them.
    public convenience init(pinnedKeysOnly: Void) throws(PlatformError) {
        self.init(random: try TLSRandom(personalization: "nostr-dns tls client"))
        caFile = "(none: keys pinned by the npub)"
        try configure()
        // VERIFY_OPTIONAL: with no CA chain, REQUIRED fails before the
        // verify callback can decide; the callback's verdict is fatal anyway.
        mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_OPTIONAL)
        mbedtls_ssl_conf_ca_chain(conf, nil, nil)
        mbedtls_ssl_conf_curves(conf, TLSClientConfig.pinningGroups)
    }

    /// The groups of `init(pinnedKeysOnly:)`, in static storage that
    /// outlives every configuration (mbedtls_ssl_conf_curves keeps the pointer).
    nonisolated(unsafe) static let pinningGroups: UnsafeMutablePointer<mbedtls_ecp_group_id> = {
        let list: [mbedtls_ecp_group_id] = [
            MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP256K1, MBEDTLS_ECP_DP_SECP384R1,
            MBEDTLS_ECP_DP_NONE,
        ]
        let p = UnsafeMutablePointer<mbedtls_ecp_group_id>.allocate(capacity: list.count)
        for (i, g) in list.enumerated() { p[i] = g }
        return p
    }()

    /// Every stored property set, nothing loaded: a throw after this runs
    /// deinit, which frees what was allocated here.
    private init(random: TLSRandom) {
        self.random = random
        conf = .allocate(capacity: 1)
        caChain = .allocate(capacity: 1)
        mbedtls_ssl_config_init(conf)
        mbedtls_x509_crt_init(caChain)
    }

    deinit {
        mbedtls_ssl_config_free(conf)
        mbedtls_x509_crt_free(caChain)
        conf.deallocate()
        caChain.deallocate()
    }

    private func loadSystemBundle() throws(PlatformError) {
        for path in TLSClientConfig.systemBundles {
            guard let count = try? load(path) else { continue }
            caFile = path
            certificateCount = count
            return
        }
        var tried = ""
        for path in TLSClientConfig.systemBundles {
            tried += (tried.isEmpty ? "" : ", ") + path
        }
        throw PlatformError(
            .certificates, path: "the system bundle (tried " + tried + ")",
            detail: "none exists or holds a certificate; pass a CA file (--ca-file PATH)")
    }

    /// mbedtls_x509_crt_parse_file(3) into the chain; returns how many
    /// certificates it now holds.
    private func load(_ path: String) throws(PlatformError) -> Int {
        // Open it first for a precise errno ("no such file", "permission denied").
        let fd: Int32
        do throws(PlatformError) {
            fd = try FileIO.open(path, O_RDONLY)
        } catch {
            throw PlatformError(
                .certificates, errno: error.errno, path: path, file: .caCertificates, detail: PlatformError.describe(errno: error.errno))
        }
        _ = CPlatform.close(fd)
        let rc = path.withCString { mbedtls_x509_crt_parse_file(caChain, $0) }
        let count = chainLength()
        // rc > 0: that many certificates failed to parse; fine if some did.
        guard rc >= 0, count > 0 else {
            let reason = rc < 0 ? TLSClientConfig.describe(mbedTLSError: rc) : "no certificate mbedTLS can parse"
            throw PlatformError(.certificates, path: path, file: .caCertificates, detail: reason, tlsError: rc < 0 ? rc : 0)
        }
        return count
    }

    private func chainLength() -> Int {
        var count = 0
        var cursor: UnsafeMutablePointer<mbedtls_x509_crt>? = caChain
        while let crt = cursor, crt.pointee.version != 0 {
            count += 1
            cursor = crt.pointee.next
        }
        return count
    }

    /// The client configuration (RFC 5246): TLS 1.2, certificate chain and
    /// host always verified, randomness from the DRBG (`TLSRandom`).
    private func configure() throws(PlatformError) {
        let rc = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)
        guard rc == 0 else {
            throw PlatformError(.tls, path: "configuration", detail: TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
        }
        mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED)
        mbedtls_ssl_conf_ca_chain(conf, caChain, nil)
        mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, random.context)
        mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3)
    }

    /// mbedtls_strerror(3) text with the code in hex, e.g.
    /// "SSL - The connection indicated an EOF (-0x7280)".
    static func describe(mbedTLSError code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 160)
        buffer.withUnsafeMutableBufferPointer { mbedtls_strerror(code, $0.baseAddress, $0.count) }
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return text + " (-0x" + hex(UInt32(bitPattern: code < 0 ? -code : code)) + ")"
    }

    private static func hex(_ value: UInt32) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        var v = value
        repeat {
            out.append(digits[Int(v & 15)])
            v >>= 4
        } while v != 0
        while out.count < 4 { out.append(UInt8(ascii: "0")) }
        return String(decoding: out.reversed(), as: UTF8.self)
    }
}
