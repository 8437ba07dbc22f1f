// wire.c — the BIO between BoringSSL and the socket.
//
// Reads fill what BoringSSL asks for and read ahead, in the same recvmsg(),
// into a per-connection buffer (see receive) that later reads drain first
// and that is given up once drained; tls.c keeps that buffer from hiding a
// whole record from readiness.
//
// Writes send each sealed record from BoringSSL's own buffer and never ask it
// to retry: what the kernel does not take at once (the rest of one record;
// tls.c stops sealing there) is kept in a per-connection buffer and sent by
// wire_flush. So SSL_write never sees a partial write, and the preload never
// has to repeat a write with the same arguments.
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "engine.h"

static BIO_METHOD *wire_method;
static pthread_once_t wire_once = PTHREAD_ONCE_INIT;

static struct ts_tls *tls_of(BIO *bio) { return BIO_get_data(bio); }

static void drop_input(struct ts_tls *tls) {
  if (tls->in_bulk) {
    spare_give(tls->in);
  } else if (tls->in != tls->in_header) {
    free(tls->in);
  }
  tls->in = NULL;
  tls->in_bulk = 0;
  tls->in_off = 0;
  tls->in_len = 0;
}

// take_input serves BoringSSL from the read-ahead buffer.
static int take_input(struct ts_tls *tls, char *buf, int len) {
  size_t n = tls->in_len < (size_t)len ? tls->in_len : (size_t)len;
  memcpy(buf, tls->in + tls->in_off, n);
  tls->in_off += n;
  tls->in_len -= n;
  if (tls->in_len == 0) {
    drop_input(tls);
  }
  return (int)n;
}

// receive fills |buf| with up to |len| bytes and reads ahead into |tls->in|:
// the kernel copies straight into BoringSSL's buffer, and what lies beyond
// the request is copied again later. BoringSSL asks for a record's header,
// then for its body. A request for a large body, in a read whose room
// exceeds a whole record by more than TS_READ_AHEAD, reads ahead that
// excess, up to TS_BULK_READ_AHEAD: the records of a bulk sender that are
// already queued, and no more than the program asked for, so the kernel's
// buffers still hold the rest and TCP's flow control still holds the sender
// back. The record being read may fill up to TS_RECORD_MAX of the room,
// however much of it was read already; the records after it bring no more
// plaintext than their ciphertext, so the read takes all that was read
// ahead and the buffer is drained, and given back, before the read returns. A
// recvmsg per record instead costs a system call and a window update each (see
// engine.h). Otherwise a large body reads only the next header ahead. Any other
// request reads TS_READ_AHEAD ahead, to take a flight of small records at once.
static ssize_t receive(struct ts_tls *tls, char *buf, int len) {
  struct iovec iov[2] = {{buf, (size_t)len}, {NULL, 0}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 1};
  size_t ahead = TS_READ_AHEAD;
  if ((size_t)len >= TS_READ_AHEAD) {
    size_t room =
        tls->read_room > TS_RECORD_MAX ? tls->read_room - TS_RECORD_MAX : 0;
    tls->in = room > TS_READ_AHEAD ? spare_take() : NULL;
    tls->in_bulk = tls->in != NULL;
    ahead = room < TS_BULK_READ_AHEAD ? room : TS_BULK_READ_AHEAD;
    if (tls->in == NULL) {
      tls->in = tls->in_header;
      ahead = sizeof(tls->in_header);
    }
  } else {
    tls->in = malloc(TS_READ_AHEAD);
  }
  if (tls->in != NULL) {  // without it, read exactly what was asked
    iov[1] = (struct iovec){tls->in, ahead};
    msg.msg_iovlen = 2;
  }
  ssize_t n = engine_io->recvmsg(tls->fd, &msg, 0);
  tls->ahead_full = n > 0 && (size_t)n == (size_t)len + iov[1].iov_len;
  if (n > len) {
    tls->in_off = 0;
    tls->in_len = (size_t)n - (size_t)len;
    n = len;
  } else {
    int saved = errno;
    drop_input(tls);
    errno = saved;
  }
  return n;
}

static int wire_read(BIO *bio, char *buf, int len) {
  struct ts_tls *tls = tls_of(bio);
  BIO_clear_retry_flags(bio);
  if (len <= 0) {
    return 0;
  }
  if (tls->in_len > 0) {
    return take_input(tls, buf, len);
  }
  if (tls->in_only) {
    BIO_set_retry_read(bio);
    return -1;
  }
  for (;;) {
    ssize_t n = receive(tls, buf, len);
    if (n > 0) {
      if (!tls->got_first_byte) {
        tls->first_byte = (uint8_t)buf[0];
        tls->got_first_byte = 1;
      }
      return (int)n;
    }
    if (n == 0) {
      tls->saw_eof = 1;
      return 0;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(bio);
      return -1;
    }
    tls->sock_errno = errno;
    return -1;
  }
}

int wire_more_queued(const struct ts_tls *tls) {
  return tls->in_len > 0 || tls->ahead_full;
}

void wire_end_read(struct ts_tls *tls) {
  // By receive's sums a read drains its bulk buffer, unless it ended at a
  // close_notify or an error, after which nothing is read: drop the rest.
  if (tls->in_bulk) {
    drop_input(tls);
  }
}

int wire_has_record(const struct ts_tls *tls) {
  if (tls->in_len < 5) {
    return 0;
  }
  const uint8_t *h = tls->in + tls->in_off;
  return tls->in_len >= 5 + (((size_t)h[3] << 8) | h[4]);
}

// send_some sends from |buf| until the kernel would block. Returns the count
// sent, or -1 on a socket error (recorded); a socket that failed a send
// fails every later one the same way.
static ssize_t send_some(struct ts_tls *tls, const uint8_t *buf, size_t len) {
  size_t sent = 0;
  if (tls->send_errno != 0) {
    tls->sock_errno = tls->send_errno;
    return -1;
  }
  while (sent < len) {
    int flags = MSG_NOSIGNAL | (tls->cork || tls->more ? MSG_MORE : 0);
    ssize_t n = engine_io->send(tls->fd, buf + sent, len - sent, flags);
    if (n > 0) {
      sent += (size_t)n;
      if (!(flags & MSG_MORE)) {
        tls->flight_corked = 0;  // this send pushed it out too
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    }
    tls->sock_errno = n < 0 ? errno : EPIPE;
    tls->send_errno = tls->sock_errno;
    return -1;
  }
  return (ssize_t)sent;
}

static int buffer_append(struct ts_tls *tls, const uint8_t *buf, size_t len) {
  if (tls->out_off > 0 && tls->out_len > 0) {
    memmove(tls->out, tls->out + tls->out_off, tls->out_len);
  }
  tls->out_off = 0;
  uint8_t *grown = realloc(tls->out, tls->out_len + len);
  if (grown == NULL) {
    return 0;
  }
  memcpy(grown + tls->out_len, buf, len);
  tls->out = grown;
  tls->out_len += len;
  return 1;
}

static int wire_write(BIO *bio, const char *buf, int len) {
  struct ts_tls *tls = tls_of(bio);
  BIO_clear_retry_flags(bio);
  const uint8_t *bytes = (const uint8_t *)buf;
  size_t sent = 0;
  if (tls->out_len == 0 && !(tls->hold && tls->got_first_byte)) {
    ssize_t n = send_some(tls, bytes, (size_t)len);
    if (n < 0) {
      return -1;
    }
    sent = (size_t)n;
  }
  if (sent < (size_t)len && !buffer_append(tls, bytes + sent, len - sent)) {
    tls->sock_errno = ENOMEM;  // part of a record may be out: fatal
    tls->send_errno = ENOMEM;
    return -1;
  }
  return len;
}

static long wire_ctrl(BIO *bio, int cmd, long num, void *ptr) {
  (void)bio;
  (void)num;
  (void)ptr;
  // BoringSSL flushes after each flight; the buffer is flushed by the caller.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int wire_create(BIO *bio) {
  BIO_set_init(bio, 1);
  return 1;
}

static void make_method(void) {
  BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "tlsshim socket");
  if (m != NULL && BIO_meth_set_read(m, wire_read) &&
      BIO_meth_set_write(m, wire_write) && BIO_meth_set_ctrl(m, wire_ctrl) &&
      BIO_meth_set_create(m, wire_create)) {
    wire_method = m;
  }
}

int wire_attach(struct ts_tls *tls) {
  pthread_once(&wire_once, make_method);
  if (wire_method == NULL) {
    return 0;
  }
  BIO *bio = BIO_new(wire_method);
  if (bio == NULL) {
    return 0;
  }
  BIO_set_data(bio, tls);
  SSL_set_bio(tls->ssl, bio, bio);  // one reference, both directions
  return 1;
}

enum ts_io wire_flush(struct ts_tls *tls) {
  if (tls->send_errno != 0) {
    // A record that failed mid-write is lost: the write after it must fail.
    tls->sock_errno = tls->send_errno;
    return TS_IO_FAILED;
  }
  if (tls->out_len == 0) {
    return TS_IO_DONE;
  }
  ssize_t n = send_some(tls, tls->out + tls->out_off, tls->out_len);
  if (n < 0) {
    return TS_IO_FAILED;
  }
  tls->out_off += (size_t)n;
  tls->out_len -= (size_t)n;
  if (tls->out_len > 0) {
    return TS_IO_WANT_WRITE;
  }
  // An idle connection keeps no buffer.
  free(tls->out);
  tls->out = NULL;
  tls->out_off = 0;
  return TS_IO_DONE;
}

void wire_free(struct ts_tls *tls) {
  drop_input(tls);
  free(tls->out);
  tls->out = NULL;
  tls->out_len = 0;
  tls->out_off = 0;
}
