// bssl_bio.c — see bssl_bio.h.
#include "bssl_bio.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define READ_AHEAD 4096               // as the engine's TS_READ_AHEAD
#define BULK_READ_AHEAD (256 * 1024)  // as its TS_BULK_READ_AHEAD

struct socket_bio {
  int fd;
  char *ahead;  // |small|, or |bulk| after a large request
  size_t off;   // what was read ahead and not yet taken: ahead[off, off+len)
  size_t len;
  size_t room;  // plaintext the current read can still take
  char *bulk;   // allocated at the first large request, kept to the end
  char small[READ_AHEAD];
};

static int bio_read(BIO *bio, char *out, int len) {
  struct socket_bio *s = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (s->len > 0) {
    size_t n = s->len < (size_t)len ? s->len : (size_t)len;
    memcpy(out, s->ahead + s->off, n);
    s->off += n;
    s->len -= n;
    return (int)n;
  }
  // What BoringSSL asked for goes straight into its buffer; what follows
  // it in the socket, up to READ_AHEAD bytes, into ours. A large request is
  // a record's body: the records queued behind it are read too, as many
  // as the current read has room for, up to BULK_READ_AHEAD bytes, as the
  // engine does; without room, only the next header. Unlike the engine,
  // which gives the buffer back once drained, this keeps it for the
  // connection.
  s->ahead = s->small;
  size_t ahead = READ_AHEAD;
  if ((size_t)len >= READ_AHEAD) {
    size_t room = s->room > 16384 ? s->room - 16384 : 0;  // as the engine
    ahead = 5;
    if (room > READ_AHEAD && s->bulk == NULL) {
      s->bulk = malloc(BULK_READ_AHEAD);
    }
    if (room > READ_AHEAD && s->bulk != NULL) {
      s->ahead = s->bulk;
      ahead = room < BULK_READ_AHEAD ? room : BULK_READ_AHEAD;
    }
  }
  struct iovec iov[2] = {{out, (size_t)len}, {s->ahead, ahead}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t n = recvmsg(s->fd, &msg, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      BIO_set_retry_read(bio);
    }
    return -1;
  }
  if (n > len) {
    s->off = 0;
    s->len = (size_t)n - (size_t)len;
    n = len;
  }
  return (int)n;
}

static int bio_write(BIO *bio, const char *in, int len) {
  struct socket_bio *s = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  ssize_t n = send(s->fd, in, (size_t)len, MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return (int)n;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
  (void)bio;
  (void)num;
  (void)ptr;
  return cmd == BIO_CTRL_FLUSH;
}

static int bio_destroy(BIO *bio) {
  struct socket_bio *s = BIO_get_data(bio);
  if (s != NULL) {
    free(s->bulk);
  }
  free(s);
  BIO_set_data(bio, NULL);
  return 1;
}

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static void make_method(void) {
  method = BIO_meth_new(BIO_TYPE_SOCKET, "bench socket");
  if (method != NULL && (!BIO_meth_set_read(method, bio_read) ||
                         !BIO_meth_set_write(method, bio_write) ||
                         !BIO_meth_set_ctrl(method, bio_ctrl) ||
                         !BIO_meth_set_destroy(method, bio_destroy))) {
    BIO_meth_free(method);
    method = NULL;
  }
}

BIO *bench_socket_bio(int fd) {
  pthread_once(&method_once, make_method);
  struct socket_bio *s = calloc(1, sizeof(*s));
  BIO *bio = method != NULL && s != NULL ? BIO_new(method) : NULL;
  if (bio == NULL) {
    free(s);
    return NULL;
  }
  s->fd = fd;
  BIO_set_data(bio, s);
  BIO_set_init(bio, 1);
  return bio;
}

void bench_socket_bio_set_room(BIO *bio, size_t room) {
  struct socket_bio *s = BIO_get_data(bio);
  s->room = room;
}
