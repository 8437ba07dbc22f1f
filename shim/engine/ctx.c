// ctx.c — one TLS context per rule, shared by every connection of that rule:
// certificates and trust store are loaded once, and client sessions are kept
// for resumption.
#include <openssl/mem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "identity.h"
#include "signatures.h"

// TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's are fixed.
static const char kCiphers12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A new client session (TLS 1.3: a ticket after the handshake) replaces the
// cached one for the same server name.
static int on_new_session(SSL *ssl, SSL_SESSION *session) {
  struct ts_tls *tls = SSL_get_ex_data(ssl, verify_ex_index());
  if (tls == NULL || tls->verify_name[0] == '\0') {
    return 0;
  }
  struct ts_tls_ctx *ctx = tls->ctx;
  pthread_mutex_lock(&ctx->cache_lock);
  struct cached_session *slot = NULL;
  for (size_t i = 0; i < TS_SESSION_CACHE_SLOTS; i++) {
    if (ctx->cache[i].session != NULL &&
        strcmp(ctx->cache[i].name, tls->verify_name) == 0) {
      slot = &ctx->cache[i];
      break;
    }
  }
  if (slot == NULL) {
    slot = &ctx->cache[ctx->cache_next];
    ctx->cache_next = (ctx->cache_next + 1) % TS_SESSION_CACHE_SLOTS;
  }
  SSL_SESSION_free(slot->session);
  slot->session = session;  // we own the reference BoringSSL handed us
  snprintf(slot->name, sizeof(slot->name), "%s", tls->verify_name);
  pthread_mutex_unlock(&ctx->cache_lock);
  return 1;
}

SSL_SESSION *ctx_session_for(struct ts_tls_ctx *ctx, const char *name) {
  SSL_SESSION *found = NULL;
  pthread_mutex_lock(&ctx->cache_lock);
  for (size_t i = 0; i < TS_SESSION_CACHE_SLOTS; i++) {
    if (ctx->cache[i].session != NULL &&
        strcmp(ctx->cache[i].name, name) == 0) {
      found = ctx->cache[i].session;
      SSL_SESSION_up_ref(found);
      break;
    }
  }
  pthread_mutex_unlock(&ctx->cache_lock);
  return found;
}

static int configure(struct ts_tls_ctx *ctx, char *err, size_t err_len) {
  const struct ts_rule *rule = ctx->rule;
  SSL_CTX *s = ctx->ssl_ctx;
  if (!SSL_CTX_set_min_proto_version(s, rule->min_version >= TLS1_3_VERSION
                                            ? TLS1_3_VERSION
                                            : TLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) ||
      !SSL_CTX_set_strict_cipher_list(s, kCiphers12) ||
      !SSL_CTX_set_verify_algorithm_prefs(s, kSignatureAlgorithms,
                                          TS_NUM_SIGNATURE_ALGORITHMS) ||
      !SSL_CTX_set_signing_algorithm_prefs(s, kSignatureAlgorithms,
                                           TS_NUM_SIGNATURE_ALGORITHMS)) {
    snprintf(err, err_len,
             "%s: cannot set TLS versions, ciphers or signature algorithms",
             ctx->label);
    return 0;
  }
  if ((rule->cert != NULL &&
       !identity_load(s, rule->cert, rule->key, ctx->label, err, err_len)) ||
      !verify_install(ctx, err, err_len)) {
    return 0;
  }
  if (rule->role == TS_ROLE_CLIENT) {
    if (rule->resumption) {
      SSL_CTX_set_session_cache_mode(
          s, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
      SSL_CTX_sess_set_new_cb(s, on_new_session);
    } else {
      SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
    }
    return 1;
  }
  if (!rule->resumption) {
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
    return 1;
  }
  // Asking for the ticket key makes BoringSSL create it now, in the process
  // that called listen(), so workers it forks later share it; it still
  // rotates it every 48 hours.
  uint8_t keys[48];
  if (!SSL_CTX_get_tlsext_ticket_keys(s, keys, sizeof(keys))) {
    snprintf(err, err_len, "%s: cannot create a session ticket key",
             ctx->label);
    return 0;
  }
  OPENSSL_cleanse(keys, sizeof(keys));
  // A client keeps one session per server name, replaced by each new ticket
  // (on_new_session), so BoringSSL's default of two tickets per handshake
  // only doubles the work of issuing and storing them.
  SSL_CTX_set_num_tickets(s, 1);
  return 1;
}

struct ts_tls_ctx *engine_ctx_new(const struct ts_rule *rule, char *err,
                                  size_t err_len) {
  struct ts_tls_ctx *ctx = calloc(1, sizeof(*ctx));
  if (ctx == NULL) {
    snprintf(err, err_len, "out of memory");
    return NULL;
  }
  ctx->rule = rule;
  snprintf(ctx->label, sizeof(ctx->label), "[%s:%s]",
           rule->role == TS_ROLE_CLIENT ? "client" : "server", rule->name);
  pthread_mutex_init(&ctx->cache_lock, NULL);
  verified_init(&ctx->verified);
  // No X509 objects per connection: a peer's chain stays DER bytes, and is
  // parsed only when verify.c must check it.
  ctx->ssl_ctx = SSL_CTX_new(TLS_with_buffers_method());
  if (ctx->ssl_ctx == NULL || !configure(ctx, err, err_len)) {
    if (ctx->ssl_ctx == NULL) {
      snprintf(err, err_len, "%s: cannot create a TLS context", ctx->label);
    }
    engine_ctx_free(ctx);
    return NULL;
  }
  fork_track(ctx);
  return ctx;
}

void engine_ctx_free(struct ts_tls_ctx *ctx) {
  if (ctx == NULL) {
    return;
  }
  fork_untrack(ctx);  // a no-op for a context that never got tracked
  for (size_t i = 0; i < TS_SESSION_CACHE_SLOTS; i++) {
    SSL_SESSION_free(ctx->cache[i].session);
  }
  SSL_CTX_free(ctx->ssl_ctx);
  X509_STORE_free(ctx->trust);
  pthread_mutex_destroy(&ctx->cache_lock);
  verified_destroy(&ctx->verified);
  free(ctx);
}
