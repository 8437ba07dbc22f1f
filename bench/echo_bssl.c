// echo_bssl.c — echo_server-bssl's echo (see echo.h): the server runs TLS
// itself, with BoringSSL configured as tlsshim's engine configures it
// (bssl_ctx.c), TCP_NODELAY, as tlsshim sets it, and reads ahead as the
// engine reads (bssl_bio.c). The handshake runs on the first read; a
// close_notify is answered with one. The echo is small: a write that would
// block ends the connection.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bssl_bio.h"
#include "bssl_ctx.h"
#include "echo.h"

const char echo_usage[] = " CERT KEY full|resumed";

static SSL_CTX *ctx;
static SSL **conns;  // by descriptor
static size_t nconns;

int echo_init(int argc, char **argv) {
  int resumption = argc == 3 ? bench_resumption(argv[2]) : -1;
  if (resumption < 0) {
    return 0;
  }
  ctx = bench_server_ctx(argv[0], argv[1], resumption);
  struct rlimit lim;
  if (ctx == NULL || getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    fprintf(stderr, "echo_server-bssl: cannot set up TLS with %s and %s\n",
            argv[0], argv[1]);
    return 0;
  }
  nconns = lim.rlim_cur;
  conns = calloc(nconns, sizeof(*conns));
  if (conns == NULL) {
    fprintf(stderr, "echo_server-bssl: no room for %zu connections\n", nconns);
    return 0;
  }
  return 1;
}

int echo_open(int fd) {
  int one = 1;
  if ((size_t)fd >= nconns ||
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
    return 0;
  }
  conns[fd] = SSL_new(ctx);
  BIO *bio = conns[fd] != NULL ? bench_socket_bio(fd) : NULL;
  if (bio == NULL) {
    return 0;
  }
  SSL_set_bio(conns[fd], bio, bio);
  SSL_set_accept_state(conns[fd]);
  return 1;
}

int echo_readable(int fd) {
  SSL *ssl = conns[fd];
  uint8_t buf[4096];
  for (;;) {
    int n = SSL_read(ssl, buf, sizeof(buf));
    if (n > 0) {
      if (SSL_write(ssl, buf, n) != n) {
        return 0;
      }
      continue;
    }
    int err = SSL_get_error(ssl, n);
    if (err == SSL_ERROR_ZERO_RETURN) {
      SSL_shutdown(ssl);
    }
    return err == SSL_ERROR_WANT_READ;
  }
}

void echo_close(int fd) {
  if ((size_t)fd >= nconns) {
    return;
  }
  SSL_free(conns[fd]);
  conns[fd] = NULL;
}
