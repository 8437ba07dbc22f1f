// identity.h — a certificate chain and key, loaded for a context to present
// (identity.c). Needs only BoringSSL, so the benchmark's own BoringSSL
// programs load their certificates exactly as the engine does.
#ifndef TLSSHIM_ENGINE_IDENTITY_H
#define TLSSHIM_ENGINE_IDENTITY_H

#include <openssl/ssl.h>
#include <stddef.h>

// identity_load gives |ssl_ctx| the PEM chain in |cert_path| (leaf first)
// and the key in |key_path|. Returns 1, or 0 with a reason naming |label|
// and the file in |err|.
int identity_load(SSL_CTX *ssl_ctx, const char *cert_path, const char *key_path,
                  const char *label, char *err, size_t err_len);

#endif  // TLSSHIM_ENGINE_IDENTITY_H
