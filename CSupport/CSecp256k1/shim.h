/*
 * CSecp256k1: the parts of libsecp256k1 (Debian's libsecp256k1-dev, 0.2+) that
 * nostr-dns uses: BIP-340 Schnorr signatures (schnorrsig), x-only keys and
 * keypairs (extrakeys) and ECDH (for the wsn:// Noise handshake).
 *
 * Why a shim header instead of the library's headers directly: one umbrella
 * that both SwiftPM's system-library target and the Embedded cross build
 * (`swiftc -I CSupport/CSecp256k1`) can import with the same module name.
 * No protocol logic lives here.
 */
#ifndef NOSTR_DNS_CSECP256K1_SHIM_H
#define NOSTR_DNS_CSECP256K1_SHIM_H

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <secp256k1_ecdh.h>

#endif
