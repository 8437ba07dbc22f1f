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

// bench_socket_bio_set_room tells |bio| how much plaintext the SSL_read
// about to be called can take, which bounds its read-ahead as tlsshim's
// engine bounds its own by the program's read (0, the default: only the
// next header beyond a large record).
void bench_socket_bio_set_room(BIO *bio, size_t room);

#endif  // TLSSHIM_BENCH_BSSL_BIO_H
