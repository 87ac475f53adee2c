import CMbedTLS
import CPlatform
import NostrCore

/// What every TLS server connection shares (mbedTLS 2.28): the certificate
/// and its key, a DRBG, and an `mbedtls_ssl_config` for the server side of
/// TLS 1.2 (RFC 5246) only, with ECDHE-ECDSA suites (RFC 8422 §6, RFC 5289,
/// RFC 7905) and these groups for ECDHE and the certificate's curve, in
/// order of preference: X25519 (RFC 8422 §5.1.1), secp256r1, secp256k1,
/// secp384r1. secp256k1 is what a certificate keyed by the nostr key needs;
/// RFC 8422 deprecates it, so clients must offer it themselves (curl
/// `--curves secp256k1:X25519:P-256`). TLS 1.3 has no signature scheme for
/// secp256k1 (RFC 8446 §4.2.3), and mbedTLS 2.28 no TLS 1.3 server anyway.
/// One per process; each `StreamConnection` keeps a reference.
public final class TLSServerConfig {
    let conf: UnsafeMutablePointer<mbedtls_ssl_config>
    let certificate: UnsafeMutablePointer<mbedtls_x509_crt>
    let key: TLSPrivateKey
    let random: TLSRandom
    let curves: UnsafeMutablePointer<mbedtls_ecp_group_id>
    let suites: UnsafeMutablePointer<Int32>
    /// SHA-256 of the certificate's DER SubjectPublicKeyInfo.
    public let spkiSHA256: Bytes32

    static let groupList: [mbedtls_ecp_group_id] = [
        MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP256K1, MBEDTLS_ECP_DP_SECP384R1,
        MBEDTLS_ECP_DP_NONE,
    ]
    static let suiteList: [Int32] = [
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        0,
    ]

    /// `certificatePEM`: the certificate (PEM text) whose public key is `key`'s.
    public init(certificatePEM: [UInt8], key: TLSPrivateKey, random: TLSRandom) throws(PlatformError) {
        conf = .allocate(capacity: 1)
        certificate = .allocate(capacity: 1)
        curves = .allocate(capacity: TLSServerConfig.groupList.count)
        suites = .allocate(capacity: TLSServerConfig.suiteList.count)
        self.key = key
        self.random = random
        mbedtls_ssl_config_init(conf)
        mbedtls_x509_crt_init(certificate)
        for (i, g) in TLSServerConfig.groupList.enumerated() { curves[i] = g }
        for (i, s) in TLSServerConfig.suiteList.enumerated() { suites[i] = s }
        var pem = certificatePEM
        if pem.last != 0 { pem.append(0) }
        var rc = mbedtls_x509_crt_parse(certificate, pem, pem.count)
        guard rc == 0, certificate.pointee.pk_raw.len > 0 else {
            spkiSHA256 = .zero
            throw PlatformError(
                .certificates, path: "the server certificate", detail: TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
        }
        spkiSHA256 = SHA256.hash(UnsafeRawBufferPointer(start: certificate.pointee.pk_raw.p, count: certificate.pointee.pk_raw.len))
        rc = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)
        guard rc == 0 else { throw TLSPrivateKey.failure("TLS server configuration", rc) }
        mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, random.context)
        mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3)
        mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3)
        mbedtls_ssl_conf_curves(conf, curves)
        mbedtls_ssl_conf_ciphersuites(conf, suites)
        rc = mbedtls_ssl_conf_own_cert(conf, certificate, key.pk)
        guard rc == 0 else { throw TLSPrivateKey.failure("the server certificate and key", rc) }
    }

    deinit {
        mbedtls_ssl_config_free(conf)
        mbedtls_x509_crt_free(certificate)
        conf.deallocate()
        certificate.deallocate()
        curves.deallocate()
        suites.deallocate()
    }
}
