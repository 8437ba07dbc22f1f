// bssl_bio.h — the socket BIO of the programs that call BoringSSL
// themselves (connrate-bssl, echo_server-bssl, stream-bssl). BoringSSL's own
// socket BIO reads each record's header and body in two calls; this one reads
// ahead, as tlsshim's engine does (shim/engine/wire.c), so that a flight of
// small records, or a run of large ones, costs one recvmsg and the comparison
// with tlsshim is of TLS, not of system calls one side saves.
#ifndef TLSSHIM_BENCH_BSSL_BIO_H
#define TLSSHIM_BENCH_BSSL_BIO_H

#include <openssl/bio.h>

// bench_socket_bio returns a BIO reading from and writing to |fd|, blocking
// or not as |fd| is; sends never raise SIGPIPE. NULL when out of memory.
BIO *bench_socket_bio(int fd);

#endif  // TLSSHIM_BENCH_BSSL_BIO_H
