// stream_bssl.c — stream-bssl's connection (see stream.h): the program runs
// TLS itself, with BoringSSL configured as tlsshim's engine configures it
// (bssl_ctx.c), reading as the engine reads (bssl_bio.c), with TCP_NODELAY
// as tlsshim sets it. A receive reads
// records until the buffer is full or the socket is empty, as tlsshim fills
// one read(); a send seals the block in 16 KiB records and, when the kernel
// refuses one, is repeated once the socket is writable until all are sent.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bssl_bio.h"
#include "bssl_ctx.h"
#include "stream.h"

const char stream_recv_usage[] = " CERT KEY";
const char stream_send_usage[] = " CA NAME";

struct stream {
  SSL *ssl;
  int fd;
};

static SSL_CTX *ctx;
static const char *name;  // the server's, as its certificate gives it

int stream_init(int sender, int argc, char **argv) {
  if (argc != 2) {
    return 0;
  }
  if (sender) {
    name = argv[1];
    ctx = bench_client_ctx(argv[0], 0);
  } else {
    ctx = bench_server_ctx(argv[0], argv[1], 0);
  }
  if (ctx == NULL) {
    fprintf(stderr, "stream-bssl: cannot set up TLS with %s\n", argv[0]);
    return 0;
  }
  return 1;
}

struct stream *stream_open(int fd, int sender) {
  struct stream *s = calloc(1, sizeof(*s));
  SSL *ssl = sender ? bench_client_ssl(ctx, name) : SSL_new(ctx);
  BIO *bio = bench_socket_bio(fd);
  if (s == NULL || ssl == NULL || bio == NULL) {
    free(s);
    SSL_free(ssl);
    BIO_free(bio);
    return NULL;
  }
  SSL_set_bio(ssl, bio, bio);  // |ssl| owns it now
  s->ssl = ssl;
  s->fd = fd;
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
      (sender ? SSL_connect(ssl) : SSL_accept(ssl)) != 1) {
    ERR_print_errors_fp(stderr);
    stream_free(s);
    return NULL;
  }
  return s;
}

// fail turns a BoringSSL result into -1 with errno.
static ssize_t fail(struct stream *s, int r) {
  int err = SSL_get_error(s->ssl, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
  } else if (err != SSL_ERROR_SYSCALL || errno == 0) {
    errno = EPROTO;
  }
  return -1;
}

ssize_t stream_send(struct stream *s, const void *buf, size_t len) {
  int r = SSL_write(s->ssl, buf, (int)len);
  return r > 0 ? r : fail(s, r);
}

ssize_t stream_recv(struct stream *s, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    bench_socket_bio_set_room(SSL_get_rbio(s->ssl), len - got);
    int r = SSL_read(s->ssl, (char *)buf + got, (int)(len - got));
    if (r <= 0) {
      if (got > 0) {
        break;  // the end or the error shows on the next call
      }
      if (SSL_get_error(s->ssl, r) == SSL_ERROR_ZERO_RETURN) {
        return 0;
      }
      return fail(s, r);
    }
    got += (size_t)r;
  }
  return (ssize_t)got;
}

int stream_finish(struct stream *s, const void *buf, size_t len) {
  return SSL_write(s->ssl, buf, (int)len) == (int)len &&
         SSL_shutdown(s->ssl) >= 0;
}

void stream_free(struct stream *s) {
  SSL_free(s->ssl);
  close(s->fd);
  free(s);
}
