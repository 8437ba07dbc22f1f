// identity.c — a rule's own certificate chain and key, given to its context.
//
// Contexts are made with TLS_with_buffers_method (ctx.c), which keeps
// certificates as DER bytes and never builds X509 objects for a connection;
// so the chain is read here from PEM into CRYPTO_BUFFERs once, and handed
// with the key to SSL_CTX_set_chain_and_key, which checks that they match.
#include "identity.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pool.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

// The most certificates a chain file may hold: a leaf and its intermediates.
#define MAX_CHAIN 16

static void reason(char *buf, size_t len) {
  uint32_t code = ERR_peek_last_error();
  const char *text = code == 0 ? NULL : ERR_reason_error_string(code);
  snprintf(buf, len, "%s", text != NULL ? text : "unknown error");
  ERR_clear_error();
}

// read_chain fills |certs| with the PEM certificates of |path|, leaf first.
// Returns how many, or 0 with a reason in |why|.
static size_t read_chain(const char *path, CRYPTO_BUFFER **certs, char *why,
                         size_t why_len) {
  FILE *f = fopen(path, "re");
  if (f == NULL) {
    snprintf(why, why_len, "%s", strerror(errno));
    return 0;
  }
  size_t n = 0;
  int failed = 0;
  for (;;) {
    // Both skip blocks of other kinds: the file may hold the key. The leaf
    // may also be a TRUSTED CERTIFICATE block, as OpenSSL writes them.
    X509 *x509 = n == 0 ? PEM_read_X509_AUX(f, NULL, NULL, NULL)
                        : PEM_read_X509(f, NULL, NULL, NULL);
    if (x509 == NULL) {
      uint32_t e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
          ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
        reason(why, why_len);  // a damaged block, not the end of the file
        failed = 1;
      }
      break;
    }
    uint8_t *der = NULL;
    int len = n < MAX_CHAIN ? i2d_X509(x509, &der) : 0;
    X509_free(x509);
    CRYPTO_BUFFER *cert =
        len > 0 ? CRYPTO_BUFFER_new(der, (size_t)len, NULL) : NULL;
    OPENSSL_free(der);
    if (cert == NULL) {
      if (n < MAX_CHAIN) {
        snprintf(why, why_len, "out of memory");
      } else {
        snprintf(why, why_len, "more than %d certificates", MAX_CHAIN);
      }
      failed = 1;
      break;
    }
    certs[n++] = cert;
  }
  ERR_clear_error();
  fclose(f);
  if (!failed && n == 0) {
    snprintf(why, why_len, "no PEM certificate in it");
    failed = 1;
  }
  if (failed) {
    for (size_t i = 0; i < n; i++) {
      CRYPTO_BUFFER_free(certs[i]);
    }
    return 0;
  }
  return n;
}

static EVP_PKEY *read_key(const char *path, char *why, size_t why_len) {
  FILE *f = fopen(path, "re");
  if (f == NULL) {
    snprintf(why, why_len, "%s", strerror(errno));
    return NULL;
  }
  EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  if (key == NULL) {
    reason(why, why_len);
  }
  return key;
}

int identity_load(SSL_CTX *ssl_ctx, const char *cert_path, const char *key_path,
                  const char *label, char *err, size_t err_len) {
  char why[200];
  CRYPTO_BUFFER *certs[MAX_CHAIN];
  size_t n = read_chain(cert_path, certs, why, sizeof(why));
  if (n == 0) {
    snprintf(err, err_len, "%s: cannot load cert %s: %s", label, cert_path,
             why);
    return 0;
  }
  EVP_PKEY *key = read_key(key_path, why, sizeof(why));
  int ok = key != NULL;
  if (!ok) {
    snprintf(err, err_len, "%s: cannot load key %s: %s", label, key_path, why);
  } else if (!SSL_CTX_set_chain_and_key(ssl_ctx, certs, n, key, NULL)) {
    ok = 0;
    reason(why, sizeof(why));
    if (strcmp(why, "CERTIFICATE_AND_PRIVATE_KEY_MISMATCH") == 0 ||
        strcmp(why, "KEY_VALUES_MISMATCH") == 0) {
      snprintf(err, err_len, "%s: key %s does not match cert %s", label,
               key_path, cert_path);
    } else {
      snprintf(err, err_len, "%s: cannot use cert %s with key %s: %s", label,
               cert_path, key_path, why);
    }
  }
  EVP_PKEY_free(key);
  for (size_t i = 0; i < n; i++) {
    CRYPTO_BUFFER_free(certs[i]);
  }
  return ok;
}
