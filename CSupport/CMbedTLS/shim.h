/*
 * CMbedTLS: the parts of mbedTLS 2.28 (Debian's libmbedtls-dev) that nostr-dns
 * uses: SHA-256 for event ids, and (for the relay transports) ssl, x509,
 * ctr_drbg, chachapoly and hkdf.
 *
 * Why a shim: mbedTLS has no module map of its own; this umbrella gives the
 * host build and the Embedded cross build one module name. The static inline
 * wrappers below exist only because Swift cannot call the C API comfortably
 * as it stands (see each comment). No protocol logic lives here.
 */
#ifndef NOSTR_DNS_CMBEDTLS_SHIM_H
#define NOSTR_DNS_CMBEDTLS_SHIM_H

#include <stddef.h>
#include <mbedtls/version.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha1.h>
#include <mbedtls/base64.h>
#include <mbedtls/pk.h>
#include <mbedtls/md.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/ssl.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/error.h>

/* Takes `const void *` so Swift can pass any buffer's base address without
 * binding memory to `unsigned char`; mbedtls_sha256_ret wants `const unsigned char *`. */
static inline int nd_sha256(const void *input, size_t length, void *output32) {
    return mbedtls_sha256_ret((const unsigned char *)input, length, (unsigned char *)output32, 0);
}

static inline int nd_sha256_update(mbedtls_sha256_context *ctx, const void *input, size_t length) {
    return mbedtls_sha256_update_ret(ctx, (const unsigned char *)input, length);
}

static inline int nd_sha256_finish(mbedtls_sha256_context *ctx, void *output32) {
    return mbedtls_sha256_finish_ret(ctx, (unsigned char *)output32);
}

#endif
