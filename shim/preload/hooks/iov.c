// iov.c — the scatter/gather calls: readv, writev, recvmsg, sendmsg.
//
// Several buffers are gathered into one so that a header and a body become
// one TLS record rather than two, and a read fills the buffers in order.
#include <limits.h>
#include <stdlib.h>
#include <string.h>

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

TS_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(recvmsg)(fd, msg, flags);
  }
  ssize_t r =
      conn_recv_iov(conn, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
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

TS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(sendmsg)(fd, msg, flags);
  }
  ssize_t r =
      conn_send_iov(conn, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
  ts_conn_put(conn);
  return ts_hook_send_ret(r, flags);
}
