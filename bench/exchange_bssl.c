// exchange_bssl.c — connrate-bssl's exchange (see exchange.h): the program
// makes its TLS connection itself, with BoringSSL configured as tlsshim's
// engine configures it (bssl_ctx.c), over a blocking socket with
// TCP_NODELAY, as tlsshim sets it, read ahead as the engine reads
// (bssl_bio.c). The close sends close_notify, then the FIN.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bssl_bio.h"
#include "bssl_ctx.h"
#include "exchange.h"

const char exchange_usage[] = " CA NAME full|resumed";

static SSL_CTX *ctx;
static const char *name;  // the server's, as its certificate gives it
static int resumption;
static atomic_long resumed;  // handshakes that resumed a session

int exchange_init(int argc, char **argv) {
  if (argc != 3 || (resumption = bench_resumption(argv[2])) < 0) {
    return 0;
  }
  name = argv[1];
  ctx = bench_client_ctx(argv[0], resumption);
  if (ctx == NULL) {
    fprintf(stderr, "connrate-bssl: cannot set up TLS with %s\n", argv[0]);
    return 0;
  }
  return 1;
}

int exchange(const struct addrinfo *target) {
  int fd = socket(target->ai_family, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  int one = 1;
  SSL *ssl = NULL;
  BIO *bio = NULL;
  uint8_t byte = 'x';
  int ok = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
           connect(fd, target->ai_addr, target->ai_addrlen) == 0 &&
           (ssl = bench_client_ssl(ctx, name)) != NULL &&
           (bio = bench_socket_bio(fd)) != NULL;
  if (ok) {
    SSL_set_bio(ssl, bio, bio);  // |ssl| owns it now
    ok = SSL_connect(ssl) == 1 && SSL_write(ssl, &byte, 1) == 1 &&
         SSL_read(ssl, &byte, 1) == 1 && byte == 'x';
  }
  if (ok) {
    if (SSL_session_reused(ssl)) {
      atomic_fetch_add(&resumed, 1);
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  close(fd);
  return ok;
}

// Without resumption the server may issue no ticket; with it, all but the
// few handshakes that start before the first ticket arrives must resume.
int exchange_check(long done) {
  long n = atomic_load(&resumed);
  long tickets = bench_unexpected_tickets();
  if (!resumption && (n > 0 || tickets > 0)) {
    fprintf(stderr,
            "connrate-bssl: %ld handshakes resumed, %ld tickets arrived\n", n,
            tickets);
    return 0;
  }
  if (resumption && n < done * 9 / 10) {
    fprintf(stderr, "connrate-bssl: only %ld of %ld handshakes resumed\n", n,
            done);
    return 0;
  }
  return 1;
}
