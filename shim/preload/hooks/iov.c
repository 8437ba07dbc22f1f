// iov.c — the scatter/gather calls: readv, writev, recvmsg, sendmsg,
// sendmmsg, recvmmsg, preadv2 and pwritev2.
//
// Several buffers are gathered into one so that a header and a body become
// one TLS record rather than two, and a read fills the buffers in order.
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "../inherit.h"
#include "hook.h"

// Gathering stops at this many bytes; a blocking write of more goes on with
// the next chunk, a non-blocking one returns a short count, as the kernel may.
#define GATHER_MAX (256 * 1024)

static size_t iov_total(const struct iovec *iov, int iovcnt) {
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) {
    total += iov[i].iov_len;
  }
  return total;
}

static void scatter(const struct iovec *iov, int iovcnt, const char *src,
                    size_t len) {
  for (int i = 0; i < iovcnt && len > 0; i++) {
    size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;
    memcpy(iov[i].iov_base, src, n);
    src += n;
    len -= n;
  }
}

// gather copies up to |max| bytes starting |skip| bytes into the iovecs.
static size_t gather(const struct iovec *iov, int iovcnt, size_t skip,
                     char *dst, size_t max) {
  size_t copied = 0;
  for (int i = 0; i < iovcnt && copied < max; i++) {
    size_t len = iov[i].iov_len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    size_t n = len - skip < max - copied ? len - skip : max - copied;
    memcpy(dst + copied, (const char *)iov[i].iov_base + skip, n);
    copied += n;
    skip = 0;
  }
  return copied;
}

static ssize_t conn_recv_iov(struct ts_conn *conn, int fd,
                             const struct iovec *iov, int iovcnt, int flags) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) {
    return -EINVAL;
  }
  if (iovcnt == 1) {
    return ts_conn_recv(conn, fd, iov[0].iov_base, iov[0].iov_len, flags);
  }
  size_t total = iov_total(iov, iovcnt);
  if (total > GATHER_MAX) {
    total = GATHER_MAX;
  }
  char *buf = malloc(total == 0 ? 1 : total);
  if (buf == NULL) {
    return -ENOMEM;
  }
  ssize_t r = ts_conn_recv(conn, fd, buf, total, flags);
  if (r > 0) {
    scatter(iov, iovcnt, buf, (size_t)r);
  }
  free(buf);
  return r;
}

static ssize_t conn_send_iov(struct ts_conn *conn, int fd,
                             const struct iovec *iov, int iovcnt, int flags) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) {
    return -EINVAL;
  }
  if (iovcnt == 1) {
    return ts_conn_send(conn, fd, iov[0].iov_base, iov[0].iov_len, flags);
  }
  size_t total = iov_total(iov, iovcnt);
  size_t chunk_max = total < GATHER_MAX ? total : GATHER_MAX;
  char *buf = malloc(chunk_max == 0 ? 1 : chunk_max);
  if (buf == NULL) {
    return -ENOMEM;
  }
  size_t sent = 0;
  ssize_t r = 0;
  while (sent < total) {
    size_t n = gather(iov, iovcnt, sent, buf, chunk_max);
    r = ts_conn_send(conn, fd, buf, n, flags);
    if (r <= 0) {
      break;
    }
    sent += (size_t)r;
    if ((size_t)r < n) {
      break;  // a non-blocking short write: report what went
    }
  }
  free(buf);
  return sent > 0 ? (ssize_t)sent : r;
}

TS_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(readv)(fd, iov, iovcnt);
  }
  ssize_t r = conn_recv_iov(conn, fd, iov, iovcnt, 0);
  ts_conn_put(conn);
  return ts_hook_ret(r);
}

TS_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(writev)(fd, iov, iovcnt);
  }
  ssize_t r = conn_send_iov(conn, fd, iov, iovcnt, 0);
  ts_conn_put(conn);
  return ts_hook_send_ret(r, 0);
}

// The socket's error queue (MSG_ERRQUEUE) holds nothing of the stream: the
// kernel answers for it.
TS_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  struct ts_conn *conn = (flags & MSG_ERRQUEUE) != 0 ? NULL : ts_conn_get(fd);
  if (conn == NULL) {
    ssize_t r = TS_REAL(recvmsg)(fd, msg, flags);
    if (r >= 0 && msg->msg_controllen > 0) {
      ts_inherit_received(msg);  // descriptors sent by another process
    }
    return r;
  }
  ssize_t r =
      msg->msg_iovlen > IOV_MAX
          ? -EMSGSIZE
          : conn_recv_iov(conn, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
  ts_conn_put(conn);
  if (r >= 0) {
    // A connected TCP socket reports no address; TLS carries no ancillary
    // data the program could use.
    msg->msg_namelen = 0;
    msg->msg_controllen = 0;
    msg->msg_flags = 0;
  }
  return ts_hook_ret(r);
}

// fastopen_conn is ts_conn_get for a send that may be TCP Fast Open to a
// covered address (hook.h: ts_hook_fastopen_connect). Returns the connection
// to send through, or NULL for the kernel, or NULL with |*out_err| set.
static struct ts_conn *fastopen_conn(int fd, const struct msghdr *msg,
                                     int flags, int *out_err) {
  struct ts_conn *conn = ts_conn_get(fd);
  *out_err = 0;
  if (conn != NULL || (flags & MSG_FASTOPEN) == 0 || msg == NULL ||
      msg->msg_name == NULL) {
    return conn;
  }
  int c = ts_hook_fastopen_connect(fd, (const struct sockaddr *)msg->msg_name,
                                   msg->msg_namelen);
  if (c < 0) {
    *out_err = c;
    return NULL;
  }
  return c == 0 ? ts_conn_get(fd) : NULL;
}

TS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  int err = 0;
  struct ts_conn *conn = fastopen_conn(fd, msg, flags, &err);
  if (err != 0) {
    return ts_hook_ret(err);
  }
  if (conn == NULL) {
    if (msg != NULL && msg->msg_controllen > 0) {
      ts_inherit_sent(msg);  // descriptors sent to another process
    }
    return TS_REAL(sendmsg)(fd, msg, flags);
  }
  ssize_t r = msg->msg_iovlen > IOV_MAX
                  ? -EMSGSIZE
                  : conn_send_iov(conn, fd, msg->msg_iov, (int)msg->msg_iovlen,
                                  flags & ~MSG_FASTOPEN);
  ts_conn_put(conn);
  return ts_hook_send_ret(r, flags);
}

// The message-vector calls take each message as one sendmsg or recvmsg, in
// order, as the kernel does on a TCP socket; the kernel's cap on their
// number is kept.
TS_EXPORT int sendmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen,
                       int flags) {
  int err = 0;
  struct ts_conn *conn = fastopen_conn(
      fd, vlen > 0 && msgs != NULL ? &msgs[0].msg_hdr : NULL, flags, &err);
  if (err != 0) {
    return (int)ts_hook_ret(err);
  }
  if (conn == NULL) {
    for (unsigned int i = 0; msgs != NULL && i < vlen; i++) {
      if (msgs[i].msg_hdr.msg_controllen > 0) {
        ts_inherit_sent(&msgs[i].msg_hdr);
      }
    }
    return TS_REAL(sendmmsg)(fd, msgs, vlen, flags);
  }
  flags &= ~MSG_FASTOPEN;
  if (vlen > UIO_MAXIOV) {
    vlen = UIO_MAXIOV;
  }
  ssize_t r = 0;
  unsigned int done = 0;
  while (done < vlen) {
    const struct msghdr *h = &msgs[done].msg_hdr;
    if (h->msg_iovlen > IOV_MAX) {
      r = -EMSGSIZE;
      break;
    }
    size_t want = iov_total(h->msg_iov, (int)h->msg_iovlen);
    r = conn_send_iov(conn, fd, h->msg_iov, (int)h->msg_iovlen, flags);
    if (r < 0) {
      break;
    }
    msgs[done++].msg_len = (unsigned int)r;
    if ((size_t)r < want) {
      break;  // a short write ends the call, as in the kernel
    }
  }
  ts_conn_put(conn);
  return done > 0 ? (int)done : (int)ts_hook_send_ret(r, flags);
}

// recvmmsg: with MSG_WAITFORONE, or a timeout, only the first message
// waits (the kernel, too, looks at the timeout only between messages); the
// time left is written back, as the kernel does.
TS_EXPORT int recvmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen,
                       int flags, struct timespec *timeout) {
  struct ts_conn *conn = (flags & MSG_ERRQUEUE) != 0 ? NULL : ts_conn_get(fd);
  if (conn == NULL) {
    int n = TS_REAL(recvmmsg)(fd, msgs, vlen, flags, timeout);
    for (int i = 0; i < n; i++) {
      if (msgs[i].msg_hdr.msg_controllen > 0) {
        ts_inherit_received(&msgs[i].msg_hdr);
      }
    }
    return n;
  }
  if (timeout != NULL && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                          timeout->tv_nsec >= 1000000000L)) {
    ts_conn_put(conn);
    errno = EINVAL;
    return -1;
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  if (vlen > UIO_MAXIOV) {
    vlen = UIO_MAXIOV;
  }
  int each = flags & ~MSG_WAITFORONE;
  ssize_t r = 0;
  unsigned int done = 0;
  while (done < vlen) {
    struct msghdr *h = &msgs[done].msg_hdr;
    if (h->msg_iovlen > IOV_MAX) {
      r = -EMSGSIZE;
      break;
    }
    r = conn_recv_iov(conn, fd, h->msg_iov, (int)h->msg_iovlen, each);
    if (r < 0) {
      break;
    }
    msgs[done++].msg_len = (unsigned int)r;
    h->msg_namelen = 0;
    h->msg_controllen = 0;
    h->msg_flags = 0;
    if (r == 0) {
      break;  // the end of the stream
    }
    if ((flags & MSG_WAITFORONE) != 0 || timeout != NULL) {
      each |= MSG_DONTWAIT;
    }
  }
  ts_conn_put(conn);
  if (timeout != NULL && done > 0) {  // an error leaves it, as in the kernel
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t left = ((int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec) -
                   ((int64_t)(now.tv_sec - start.tv_sec) * 1000000000 +
                    (now.tv_nsec - start.tv_nsec));
    if (left < 0) {
      left = 0;
    }
    timeout->tv_sec = (time_t)(left / 1000000000);
    timeout->tv_nsec = (long)(left % 1000000000);
  }
  return done > 0 ? (int)done : (int)ts_hook_ret(r);
}

// preadv2 and pwritev2 with offset -1 are readv and writev: RWF_NOWAIT
// does not wait, RWF_NOSIGNAL raises no SIGPIPE, and the flags that mean
// nothing to a socket are taken; any other flag is refused as the kernel
// refuses it. A socket refuses any other offset itself (ESPIPE).
#define RWF_NOSIGNAL_BIT 0x100  // RWF_NOSIGNAL, newer than glibc 2.36's headers
#define RWF_KNOWN                                                              \
  (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND | \
   RWF_NOSIGNAL_BIT)

static int rwf_to_msg(int flags) {
  return ((flags & RWF_NOWAIT) != 0 ? MSG_DONTWAIT : 0) |
         ((flags & RWF_NOSIGNAL_BIT) != 0 ? MSG_NOSIGNAL : 0);
}

typedef ssize_t (*rwv2_fn)(int, const struct iovec *, int, off_t, int);

// hook_rwv2 is preadv2 (|writing| 0) or pwritev2 (|writing| 1).
static ssize_t hook_rwv2(rwv2_fn real, int writing, int fd,
                         const struct iovec *iov, int iovcnt, off_t offset,
                         int flags) {
  struct ts_conn *conn = offset == -1 ? ts_conn_get(fd) : NULL;
  if (conn == NULL) {
    return real(fd, iov, iovcnt, offset, flags);
  }
  int msg_flags = rwf_to_msg(flags);
  ssize_t r = -EOPNOTSUPP;
  if ((flags & ~RWF_KNOWN) == 0) {
    r = writing
            ? conn_send_iov(conn, fd, iov, iovcnt, msg_flags)
            : conn_recv_iov(conn, fd, iov, iovcnt, msg_flags & MSG_DONTWAIT);
  }
  ts_conn_put(conn);
  return writing ? ts_hook_send_ret(r, msg_flags) : ts_hook_ret(r);
}

TS_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt,
                          off_t offset, int flags) {
  return hook_rwv2(TS_REAL(preadv2), 0, fd, iov, iovcnt, offset, flags);
}

TS_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int iovcnt,
                             off_t offset, int flags) {
  return hook_rwv2(TS_REAL(preadv64v2), 0, fd, iov, iovcnt, offset, flags);
}

TS_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt,
                           off_t offset, int flags) {
  return hook_rwv2(TS_REAL(pwritev2), 1, fd, iov, iovcnt, offset, flags);
}

TS_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int iovcnt,
                              off_t offset, int flags) {
  return hook_rwv2(TS_REAL(pwritev64v2), 1, fd, iov, iovcnt, offset, flags);
}
