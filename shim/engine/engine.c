// engine.c — the table the preload calls, and what describes a connection.
#include "engine.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

const struct ts_engine_io *engine_io;

static int engine_init(const struct ts_engine_io *io) {
  engine_io = io;
  CRYPTO_library_init();
  return verify_ex_index() >= 0;
}

static size_t engine_pending(const struct ts_tls *tls) {
  return (size_t)SSL_pending(tls->ssl);
}

static int engine_has_output(const struct ts_tls *tls) {
  return tls->out_len > 0;
}

static int engine_handshake_done(const struct ts_tls *tls) {
  return tls->handshake_done;
}

static const char *engine_error(const struct ts_tls *tls, int *out_errno) {
  *out_errno = tls->reason_errno != 0 ? tls->reason_errno : ECONNRESET;
  return tls->reason[0] != '\0' ? tls->reason : "unknown TLS failure";
}

// peer_name is the CN of the peer's certificate, parsed from the DER bytes
// the connection keeps (ctx.c), or "none".
static void peer_name(const struct ts_tls *tls, char *out, size_t len) {
  const STACK_OF(CRYPTO_BUFFER) *certs = SSL_get0_peer_certificates(tls->ssl);
  X509 *peer = certs == NULL || sk_CRYPTO_BUFFER_num(certs) == 0
                   ? NULL
                   : X509_parse_from_buffer(sk_CRYPTO_BUFFER_value(certs, 0));
  if (peer == NULL) {
    snprintf(out, len, "none");
    return;
  }
  char cn[256];
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
                                sizeof(cn)) < 0) {
    snprintf(cn, sizeof(cn), "(no CN)");
  }
  snprintf(out, len, "CN=%s", cn);
  X509_free(peer);
}

static void engine_describe(const struct ts_tls *tls, char *buf, size_t len) {
  const SSL_CIPHER *cipher = SSL_get_current_cipher(tls->ssl);
  const char *group = SSL_get_curve_name(SSL_get_curve_id(tls->ssl));
  char peer[300];
  peer_name(tls, peer, sizeof(peer));
  if (tls->ctx->rule->role == TS_ROLE_CLIENT) {
    snprintf(buf, len, "%s %s %s, peer %s verified as %s%s, resumed=%s",
             SSL_get_version(tls->ssl),
             cipher != NULL ? SSL_CIPHER_standard_name(cipher) : "?",
             group != NULL ? group : "-", peer, tls->verify_name,
             tls->chain_from_cache ? " (chain verified earlier)" : "",
             SSL_session_reused(tls->ssl) ? "yes" : "no");
  } else {
    snprintf(buf, len, "%s %s %s, client certificate %s%s, resumed=%s",
             SSL_get_version(tls->ssl),
             cipher != NULL ? SSL_CIPHER_standard_name(cipher) : "?",
             group != NULL ? group : "-", peer,
             strcmp(peer, "none") == 0 ? ""
             : tls->chain_from_cache   ? " (verified, chain verified earlier)"
                                       : " (verified)",
             SSL_session_reused(tls->ssl) ? "yes" : "no");
  }
}

static const struct ts_engine kEngine = {
    .abi_version = TS_ENGINE_ABI_VERSION,
    .init = engine_init,
    .ctx_new = engine_ctx_new,
    .ctx_free = engine_ctx_free,
    .tls_new = engine_tls_new,
    .tls_free = engine_tls_free,
    .handshake = engine_handshake,
    .read = engine_read,
    .write = engine_write,
    .push_flight = engine_push_flight,
    .flush = engine_flush,
    .close_notify = engine_close_notify,
    .pending = engine_pending,
    .readable = engine_readable,
    .has_output = engine_has_output,
    .handshake_done = engine_handshake_done,
    .error = engine_error,
    .describe = engine_describe,
};

__attribute__((visibility("default"))) const struct ts_engine *tlsshim_engine(
    void);
const struct ts_engine *tlsshim_engine(void) { return &kEngine; }
