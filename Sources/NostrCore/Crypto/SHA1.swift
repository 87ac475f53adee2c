import CMbedTLS

/// SHA-1 (FIPS 180-4) through mbedTLS. Used only where a protocol fixes it:
/// the WebSocket Sec-WebSocket-Accept value (RFC 6455 §4.2.2), which is not a
/// security property. Do not use it for anything else.
public enum SHA1 {
    /// The 20-byte digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        out.withUnsafeMutableBufferPointer { dst in
            bytes.withMemoryRebound(to: UInt8.self) { src in
                // mbedtls_sha1_ret fails only on bad parameters (never with these).
                _ = mbedtls_sha1_ret(src.baseAddress, src.count, dst.baseAddress)
            }
        }
        return out
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }
}
