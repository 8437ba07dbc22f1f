// signatures.h — the handshake signatures tlsshim makes and accepts. Shared
// by the engine (ctx.c) and bench/handshake.c, which must measure BoringSSL
// configured as the engine configures it.
//
// BoringSSL's defaults plus Ed25519, which it leaves out unless asked, so
// that a server or client holding an Ed25519 key can be reached; without
// SHA-1, which RFC 9155 retires. For signing, BoringSSL keeps the entries
// that fit the key.
#ifndef TLSSHIM_ENGINE_SIGNATURES_H
#define TLSSHIM_ENGINE_SIGNATURES_H

#include <openssl/ssl.h>

static const uint16_t kSignatureAlgorithms[] = {
    SSL_SIGN_ECDSA_SECP256R1_SHA256, SSL_SIGN_ED25519,
    SSL_SIGN_RSA_PSS_RSAE_SHA256,    SSL_SIGN_RSA_PKCS1_SHA256,
    SSL_SIGN_ECDSA_SECP384R1_SHA384, SSL_SIGN_RSA_PSS_RSAE_SHA384,
    SSL_SIGN_RSA_PKCS1_SHA384,       SSL_SIGN_RSA_PSS_RSAE_SHA512,
    SSL_SIGN_RSA_PKCS1_SHA512,
};

#define TS_NUM_SIGNATURE_ALGORITHMS \
  (sizeof(kSignatureAlgorithms) / sizeof(kSignatureAlgorithms[0]))

#endif  // TLSSHIM_ENGINE_SIGNATURES_H
