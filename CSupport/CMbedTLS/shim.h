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

#endif
