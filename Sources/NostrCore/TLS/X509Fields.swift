/// The pieces of a self-signed certificate that mbedTLS 2.28's x509write
/// cannot make itself: the subjectAltName extension value and validity
/// times in the form `mbedtls_x509write_crt_set_validity` takes.
public enum X509Fields {
    /// OID 2.5.29.17, id-ce-subjectAltName (RFC 5280 §4.2.1.6), DER content octets.
    public static let subjectAltNameOID: [UInt8] = [0x55, 0x1D, 0x11]

    /// The extension value: GeneralNames ::= SEQUENCE OF GeneralName, with
    /// dNSName [2] IA5String for each name and iPAddress [7] OCTET STRING
    /// (4 or 16 bytes, network order) for each address (RFC 5280 §4.2.1.6).
    /// Names must be ASCII (IA5String); others are skipped.
    public static func subjectAltName(dnsNames: [String], addresses: [IPAddress]) -> [UInt8] {
        var content: [UInt8] = []
        for name in dnsNames where !name.utf8.isEmpty && name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            appendTLV(0x82, Array(name.utf8), to: &content)
        }
        for a in addresses { appendTLV(0x87, a.bytes, to: &content) }
        var out: [UInt8] = []
        appendTLV(0x30, content, to: &out)
        return out
    }

    /// DER tag, definite length (X.690 §8.1.3) and content.
    static func appendTLV(_ tag: UInt8, _ content: [UInt8], to out: inout [UInt8]) {
        out.append(tag)
        let n = content.count
        if n < 0x80 {
            out.append(UInt8(n))
        } else if n <= 0xFF {
            out.append(0x81); out.append(UInt8(n))
        } else {
            out.append(0x82); out.append(UInt8(n >> 8)); out.append(UInt8(n & 0xFF))
        }
        out.append(contentsOf: content)
    }

    /// "YYYYMMDDhhmmss" (UTC) for a Unix time, as mbedTLS takes validity
    /// times; years 1950–9999 (RFC 5280 §4.1.2.5 encodes them as UTCTime
    /// or GeneralizedTime). The inverse of `CertificateInfo.unixTime`
    /// ("civil from days", Howard Hinnant's algorithm).
    public static func validityText(_ unix: Int64) -> String {
        var days = unix / 86_400
        var rest = unix % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        var out: [UInt8] = []
        func put(_ v: Int64, _ width: Int) {
            var digits: [UInt8] = []
            var x = v
            for _ in 0..<width { digits.append(UInt8(0x30 + x % 10)); x /= 10 }
            out.append(contentsOf: digits.reversed())
        }
        put(min(max(year, 0), 9999), 4)
        put(month, 2); put(day, 2)
        put(rest / 3600, 2); put(rest / 60 % 60, 2); put(rest % 60, 2)
        return String(decoding: out, as: UTF8.self)
    }
}
