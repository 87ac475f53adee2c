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

/* ---- TLS client glue (NostrPlatform/TLSSession.swift) ---- */

/* Declared only in mbedtls/ssl_internal.h, exported by libmbedtls 2.28. Needed
 * for one case the public API cannot express: output that mbedTLS queued on
 * its own (an alert sent from inside mbedtls_ssl_read, which then returned
 * WANT_WRITE) must be flushed before new application data is written;
 * otherwise mbedtls_ssl_write takes the new call for the retry of an earlier
 * one and reports the new bytes written without sending them. */
int mbedtls_ssl_flush_output(mbedtls_ssl_context *ssl);

/* Bytes mbedTLS has encrypted but not yet handed to the socket. */
static inline size_t nd_ssl_pending_output(const mbedtls_ssl_context *ssl) {
    return ssl->out_left;
}

/* The description byte of the last alert received (RFC 5246 §7.2), for error
 * messages after MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE; -1 when unknown. */
static inline int nd_ssl_last_alert(const mbedtls_ssl_context *ssl) {
    if (ssl->in_msg == NULL || ssl->in_msgtype != MBEDTLS_SSL_MSG_ALERT || ssl->in_msglen < 2) return -1;
    return ssl->in_msg[1];
}

/* mbedtls_ssl_read/write take `unsigned char *`; these take `void *` so Swift
 * can pass a raw buffer without binding its memory (as nd_sha256 above). */
static inline int nd_ssl_read(mbedtls_ssl_context *ssl, void *buffer, size_t length) {
    return mbedtls_ssl_read(ssl, (unsigned char *)buffer, length);
}

static inline int nd_ssl_write(mbedtls_ssl_context *ssl, const void *buffer, size_t length) {
    return mbedtls_ssl_write(ssl, (const unsigned char *)buffer, length);
}

/* ---- The wsn:// transport (NostrCore/NoiseCipher.swift, BOLT 8) ---- */

/* ChaCha20-Poly1305 (RFC 8439) in one call per message: the context lives on
 * the C stack so Swift needs neither the struct layout nor its init/free
 * pairing, and the buffers are `void *` as above. Returns mbedTLS's result
 * (0, or MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED when the tag does not verify). */
static inline int nd_chachapoly_seal(const void *key32, const void *nonce12, const void *ad, size_t ad_length,
                                     const void *input, size_t length, void *output, void *tag16) {
    mbedtls_chachapoly_context ctx;
    mbedtls_chachapoly_init(&ctx);
    int r = mbedtls_chachapoly_setkey(&ctx, (const unsigned char *)key32);
    if (r == 0)
        r = mbedtls_chachapoly_encrypt_and_tag(&ctx, length, (const unsigned char *)nonce12,
                                               (const unsigned char *)ad, ad_length,
                                               (const unsigned char *)input, (unsigned char *)output,
                                               (unsigned char *)tag16);
    mbedtls_chachapoly_free(&ctx);
    return r;
}

static inline int nd_chachapoly_open(const void *key32, const void *nonce12, const void *ad, size_t ad_length,
                                     const void *tag16, const void *input, size_t length, void *output) {
    mbedtls_chachapoly_context ctx;
    mbedtls_chachapoly_init(&ctx);
    int r = mbedtls_chachapoly_setkey(&ctx, (const unsigned char *)key32);
    if (r == 0)
        r = mbedtls_chachapoly_auth_decrypt(&ctx, length, (const unsigned char *)nonce12,
                                            (const unsigned char *)ad, ad_length,
                                            (const unsigned char *)tag16, (const unsigned char *)input,
                                            (unsigned char *)output);
    mbedtls_chachapoly_free(&ctx);
    return r;
}

/* HKDF-SHA256 (RFC 5869) with empty info, 64 bytes out: the md_info lookup
 * returns a pointer to a const C struct that Swift would have to import. */
static inline int nd_hkdf_sha256_64(const void *salt, size_t salt_length, const void *ikm, size_t ikm_length,
                                    void *output64) {
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (md == NULL) return -1;
    return mbedtls_hkdf(md, (const unsigned char *)salt, salt_length, (const unsigned char *)ikm, ikm_length,
                        NULL, 0, (unsigned char *)output64, 64);
}

#endif
