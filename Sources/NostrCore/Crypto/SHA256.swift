import CMbedTLS

/// SHA-256 (FIPS 180-4) through mbedTLS, for NIP-01 event ids.
public enum SHA256 {
    /// The digest of `bytes`.
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Bytes32 {
        var out = Bytes32.zero
        out.withUnsafeMutableBytes { dst in
            // mbedtls_sha256_ret fails only on bad parameters (never with these).
            _ = nd_sha256(bytes.baseAddress, bytes.count, dst.baseAddress)
        }
        return out
    }

    public static func hash(_ bytes: [UInt8]) -> Bytes32 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
