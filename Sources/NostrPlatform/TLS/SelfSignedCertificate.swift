import CMbedTLS
import NostrCore

/// A self-signed X.509 v3 certificate (RFC 5280) made with mbedTLS's
/// x509write: subject and issuer `CN=<cn>`, a random positive 127-bit
/// serial (§4.1.2.2), ECDSA with SHA-256, basicConstraints cA FALSE,
/// keyUsage digitalSignature, and a subjectAltName with the host's DNS
/// names and IP addresses (§4.2.1.6; mbedTLS 2.28 has no setter for it, so
/// `X509Fields.subjectAltName` encodes the value).
///
/// Trust never rests on this certificate: clients check the SHA-256 of its
/// SubjectPublicKeyInfo against what the npub signed (DANE-EE semantics,
/// RFC 7671 §5.1, which ignore names and dates). So it is made afresh at
/// every start, from the kept key.
public enum SelfSignedCertificate {
    /// The certificate as PEM text.
    public static func make(
        key: TLSPrivateKey, commonName: String, dnsNames: [String], addresses: [IPAddress],
        notBefore: Int64, notAfter: Int64, random: TLSRandom
    ) throws(PlatformError) -> [UInt8] {
        var crt = mbedtls_x509write_cert()
        mbedtls_x509write_crt_init(&crt)
        defer { mbedtls_x509write_crt_free(&crt) }
        var serial = mbedtls_mpi()
        mbedtls_mpi_init(&serial)
        defer { mbedtls_mpi_free(&serial) }

        var serialBytes = [UInt8](repeating: 0, count: 16)
        do throws(NostrError) {
            try serialBytes.withMutableBytes { (p) throws(NostrError) in try Entropy.fill(p) }
        } catch {
            throw PlatformError(.io, path: "entropy", detail: error.reason)
        }
        serialBytes[0] = serialBytes[0] & 0x7F | 0x40  // positive, and 16 bytes long
        var rc = mbedtls_mpi_read_binary(&serial, serialBytes, serialBytes.count)
        guard rc == 0 else { throw failure("serial", rc) }
        rc = mbedtls_x509write_crt_set_serial(&crt, &serial)
        guard rc == 0 else { throw failure("serial", rc) }

        mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3)
        mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256)
        mbedtls_x509write_crt_set_subject_key(&crt, key.pk)
        mbedtls_x509write_crt_set_issuer_key(&crt, key.pk)
        let name = "CN=" + commonName
        rc = name.withCString { mbedtls_x509write_crt_set_subject_name(&crt, $0) }
        guard rc == 0 else { throw failure("subject name", rc) }
        rc = name.withCString { mbedtls_x509write_crt_set_issuer_name(&crt, $0) }
        guard rc == 0 else { throw failure("issuer name", rc) }
        let from = X509Fields.validityText(notBefore)
        let to = X509Fields.validityText(notAfter)
        rc = from.withCString { f in to.withCString { t in mbedtls_x509write_crt_set_validity(&crt, f, t) } }
        guard rc == 0 else { throw failure("validity", rc) }
        rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)
        guard rc == 0 else { throw failure("basicConstraints", rc) }
        rc = mbedtls_x509write_crt_set_key_usage(&crt, UInt32(MBEDTLS_X509_KU_DIGITAL_SIGNATURE))
        guard rc == 0 else { throw failure("keyUsage", rc) }
        let san = X509Fields.subjectAltName(dnsNames: dnsNames, addresses: addresses)
        let oid = X509Fields.subjectAltNameOID.map { CChar(bitPattern: $0) }
        rc = mbedtls_x509write_crt_set_extension(&crt, oid, oid.count, 0, san, san.count)
        guard rc == 0 else { throw failure("subjectAltName", rc) }

        var buffer = [UInt8](repeating: 0, count: 4096)
        rc = mbedtls_x509write_crt_pem(&crt, &buffer, buffer.count, mbedtls_ctr_drbg_random, random.context)
        guard rc == 0, let end = buffer.firstIndex(of: 0) else { throw failure("writing", rc) }
        return Array(buffer[..<end])
    }

    static func failure(_ what: String, _ rc: Int32) -> PlatformError {
        PlatformError(.tls, path: "certificate " + what, detail: TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
    }
}
