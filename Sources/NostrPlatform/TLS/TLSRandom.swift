import CMbedTLS
import CPlatform

/// A CTR_DRBG (NIST SP 800-90A) seeded from getrandom(2), for mbedTLS calls
/// that take an `f_rng`: key generation, certificate signatures, the TLS
/// server and clients. Pass `mbedtls_ctr_drbg_random` with `context` as its `p_rng`.
public final class TLSRandom {
    let context: UnsafeMutablePointer<mbedtls_ctr_drbg_context>

    /// `personalization` separates this DRBG's use (SP 800-90A §8.7.1).
    public init(personalization: StaticString) throws(PlatformError) {
        context = .allocate(capacity: 1)
        mbedtls_ctr_drbg_init(context)
        let rc = mbedtls_ctr_drbg_seed(
            context,
            { _, output, length in
                nd_getrandom(output, length) == 0 ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED
            },
            nil, personalization.utf8Start, personalization.utf8CodeUnitCount)
        guard rc == 0 else {
            throw PlatformError(.tls, path: "entropy", detail: TLSClientConfig.describe(mbedTLSError: rc), tlsError: rc)
        }
    }

    deinit {
        mbedtls_ctr_drbg_free(context)
        context.deallocate()
    }
}
