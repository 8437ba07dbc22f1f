// bssl_ctx.c — see bssl_ctx.h.
#include "bssl_ctx.h"

#include <openssl/pool.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../shim/engine/identity.h"
#include "../shim/engine/signatures.h"

// The client's newest session, replaced by each new ticket, as the engine's
// cache keeps one per server name.
static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_SESSION *latest;

static int keep_session(SSL *ssl, SSL_SESSION *session) {
  (void)ssl;
  pthread_mutex_lock(&session_lock);
  SSL_SESSION_free(latest);
  latest = session;  // the reference BoringSSL handed us
  pthread_mutex_unlock(&session_lock);
  return 1;
}

// A context without resumption keeps no session; it counts the tickets
// that arrive anyway, so that a server issuing them is noticed.
static atomic_long unexpected_tickets;

static int count_ticket(SSL *ssl, SSL_SESSION *session) {
  (void)ssl;
  (void)session;
  atomic_fetch_add(&unexpected_tickets, 1);
  return 0;  // BoringSSL frees it
}

long bench_unexpected_tickets(void) { return atomic_load(&unexpected_tickets); }

int bench_resumption(const char *mode) {
  if (strcmp(mode, "resumed") == 0) {
    return 1;
  }
  return strcmp(mode, "full") == 0 ? 0 : -1;
}

void bench_session_free(void) {
  pthread_mutex_lock(&session_lock);
  SSL_SESSION_free(latest);
  latest = NULL;
  pthread_mutex_unlock(&session_lock);
}

// The first handshake verifies the chain and name; later ones accept it, as
// the engine does for a chain it has verified before (shim/engine/verify.c).
static atomic_int chain_verified;

static int check_chain(SSL *ssl) {
  X509_STORE *trust = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const STACK_OF(CRYPTO_BUFFER) *certs = SSL_get0_peer_certificates(ssl);
  STACK_OF(X509) *chain = sk_X509_new_null();
  X509_STORE_CTX *store = X509_STORE_CTX_new();
  int ok = trust != NULL && name != NULL && certs != NULL && chain != NULL &&
           store != NULL;
  for (size_t i = 0; ok && i < sk_CRYPTO_BUFFER_num(certs); i++) {
    X509 *x509 = X509_parse_from_buffer(sk_CRYPTO_BUFFER_value(certs, i));
    ok = x509 != NULL && sk_X509_push(chain, x509);
    if (!ok) {
      X509_free(x509);
    }
  }
  ok = ok && sk_X509_num(chain) > 0 &&
       X509_STORE_CTX_init(store, trust, sk_X509_value(chain, 0), chain) &&
       X509_STORE_CTX_set_default(store, "ssl_server") &&
       X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(store), name,
                                   strlen(name)) &&
       X509_verify_cert(store) == 1;
  X509_STORE_CTX_free(store);
  sk_X509_pop_free(chain, X509_free);
  return ok;
}

static enum ssl_verify_result_t verify_chain_once(SSL *ssl,
                                                  uint8_t *out_alert) {
  if (atomic_load(&chain_verified)) {
    return ssl_verify_ok;
  }
  if (!check_chain(ssl)) {
    *out_alert = SSL_AD_BAD_CERTIFICATE;
    return ssl_verify_invalid;
  }
  atomic_store(&chain_verified, 1);
  return ssl_verify_ok;
}

// new_ctx: TLS 1.2 and 1.3 with the engine's handshake signatures
// (BoringSSL's defaults would refuse an Ed25519 server).
static SSL_CTX *new_ctx(void) {
  size_t n = TS_NUM_SIGNATURE_ALGORITHMS;
  SSL_CTX *ctx = SSL_CTX_new(TLS_with_buffers_method());
  if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
      !SSL_CTX_set_verify_algorithm_prefs(ctx, kSignatureAlgorithms, n) ||
      !SSL_CTX_set_signing_algorithm_prefs(ctx, kSignatureAlgorithms, n)) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

SSL_CTX *bench_server_ctx(const char *cert_file, const char *key_file,
                          int resumption) {
  SSL_CTX *ctx = new_ctx();
  char err[512];
  if (ctx == NULL ||
      !identity_load(ctx, cert_file, key_file, "bench", err, sizeof(err))) {
    if (ctx != NULL) {
      fprintf(stderr, "%s\n", err);
    }
    SSL_CTX_free(ctx);
    return NULL;
  }
  if (resumption) {
    SSL_CTX_set_num_tickets(ctx, 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  return ctx;
}

SSL_CTX *bench_client_ctx(const char *ca_file, int resumption) {
  SSL_CTX *ctx = new_ctx();
  X509_STORE *trust = X509_STORE_new();  // kept for the process's life
  if (ctx == NULL || trust == NULL ||
      !X509_STORE_load_locations(trust, ca_file, NULL) ||
      !SSL_CTX_set_app_data(ctx, trust)) {
    X509_STORE_free(trust);
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_custom_verify(ctx, SSL_VERIFY_PEER, verify_chain_once);
  SSL_CTX_set_session_cache_mode(
      ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(ctx, resumption ? keep_session : count_ticket);
  return ctx;
}

SSL *bench_client_ssl(SSL_CTX *ctx, const char *name) {
  SSL *ssl = SSL_new(ctx);
  if (ssl == NULL) {
    return NULL;
  }
  SSL_set_connect_state(ssl);
  int ok = SSL_set_tlsext_host_name(ssl, name);  // check_chain's name too
  pthread_mutex_lock(&session_lock);
  if (ok && latest != NULL) {
    ok = SSL_set_session(ssl, latest);
  }
  pthread_mutex_unlock(&session_lock);
  if (!ok) {
    SSL_free(ssl);
    return NULL;
  }
  return ssl;
}
