// bssl_ctx.h — BoringSSL contexts configured as tlsshim's engine configures
// them, for the benchmark programs that call BoringSSL themselves
// (bench/handshake, connrate-bssl, echo_server-bssl, stream-bssl): what they measure is
// then BoringSSL doing what it does under tlsshim, without tlsshim.
#ifndef TLSSHIM_BENCH_BSSL_CTX_H
#define TLSSHIM_BENCH_BSSL_CTX_H

#include <openssl/ssl.h>

// bench_server_ctx returns a server context presenting the chain in
// |cert_file| with |key_file|; with |resumption| it issues one session
// ticket per handshake, without it none (tlsshim's `resumption = no`).
// NULL, with BoringSSL's errors queued, on failure.
SSL_CTX *bench_server_ctx(const char *cert_file, const char *key_file,
                          int resumption);

// bench_client_ctx returns a client context trusting |ca_file|. Like
// tlsshim's cache of verified chains (per server name), it verifies the
// server's chain and name in the first handshake only; the handshake
// signature is checked every time. With |resumption| it keeps the newest
// session, which bench_client_ssl offers; without, it keeps none and counts
// the tickets that arrive all the same (bench_unexpected_tickets). NULL on
// failure.
SSL_CTX *bench_client_ctx(const char *ca_file, int resumption);

// bench_unexpected_tickets: how many tickets reached a client context made
// without resumption (none should: such a client's server issues none).
long bench_unexpected_tickets(void);

// bench_client_ssl returns a client connection to |name| (SNI and the
// certificate's name), offering the newest session when there is one.
SSL *bench_client_ssl(SSL_CTX *ctx, const char *name);

// bench_resumption reads the programs' mode argument: 1 for "resumed", 0
// for "full", -1 for anything else.
int bench_resumption(const char *mode);

// bench_session_free drops the kept session.
void bench_session_free(void);

#endif  // TLSSHIM_BENCH_BSSL_CTX_H
