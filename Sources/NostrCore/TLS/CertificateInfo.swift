import CMbedTLS

/// What the TLS key record (kind 30059) needs from a certificate: the
/// SHA-256 of its DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), which is
/// also the data of a DANE TLSA 3 1 1 record (RFC 6698 §2.1: usage 3
/// DANE-EE, selector 1 SPKI, matching type 1 SHA-256), and its notAfter
/// time (RFC 5280 §4.1.2.5). Parsed by mbedTLS's X.509 reader.
public struct CertificateInfo: Equatable, Sendable {
    public var spkiSHA256: Bytes32
    /// notAfter as Unix seconds (UTC).
    public var notAfter: Int64

    /// Reads the first certificate of a PEM (or DER) file's bytes.
    public init(pem: [UInt8]) throws(NostrError) {
        var input = pem
        // mbedtls_x509_crt_parse wants PEM text NUL-terminated (its length
        // counts the NUL); DER is passed as is.
        let isPEM = input.count > 10 && input[0] == 0x2D
        if isPEM && input.last != 0 { input.append(0) }
        var crt = mbedtls_x509_crt()
        mbedtls_x509_crt_init(&crt)
        defer { mbedtls_x509_crt_free(&crt) }
        let rc = input.withUnsafeBufferPointer { mbedtls_x509_crt_parse(&crt, $0.baseAddress, $0.count) }
        // A positive result counts certificates that failed to parse within a
        // bundle; the first one must have parsed.
        guard rc == 0 || (rc > 0 && crt.version != 0), crt.pk_raw.len > 0 else { throw NostrError(.certificate) }
        spkiSHA256 = SHA256.hash(UnsafeRawBufferPointer(start: crt.pk_raw.p, count: crt.pk_raw.len))
        let t = crt.valid_to
        notAfter = Self.unixTime(
            year: Int64(t.year), month: Int64(t.mon), day: Int64(t.day),
            hour: Int64(t.hour), minute: Int64(t.min), second: Int64(t.sec))
    }

    /// Seconds since 1970-01-01T00:00:00Z of a proleptic Gregorian UTC date
    /// ("days from civil", Howard Hinnant's algorithm).
    static func unixTime(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }
}
