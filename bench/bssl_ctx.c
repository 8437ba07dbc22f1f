// bssl_ctx.c — see bssl_ctx.h.
#include "bssl_ctx.h"

#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

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

// The first handshake verifies the chain; later ones accept it, as the
// engine does for a chain it has verified before.
static atomic_int chain_verified;

static int verify_chain_once(X509_STORE_CTX *store, void *arg) {
  (void)arg;
  if (atomic_load(&chain_verified)) {
    return 1;
  }
  int ok = X509_verify_cert(store) == 1;
  if (ok) {
    atomic_store(&chain_verified, 1);
  }
  return ok;
}

// new_ctx: TLS 1.2 and 1.3 with the engine's handshake signatures
// (BoringSSL's defaults would refuse an Ed25519 server).
static SSL_CTX *new_ctx(void) {
  size_t n = TS_NUM_SIGNATURE_ALGORITHMS;
  SSL_CTX *ctx = SSL_CTX_new(TLS_method());
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
  if (ctx == NULL || !SSL_CTX_use_certificate_chain_file(ctx, cert_file) ||
      !SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM)) {
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
  if (ctx == NULL || !SSL_CTX_load_verify_locations(ctx, ca_file, NULL)) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  SSL_CTX_set_cert_verify_callback(ctx, verify_chain_once, NULL);
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
  int ok = SSL_set_tlsext_host_name(ssl, name) &&
           X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), name, strlen(name));
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
