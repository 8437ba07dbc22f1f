// io.c — read/write and the socket calls that move one buffer, with glibc's
// fortified names that real binaries import.
#include <stddef.h>

#include "hook.h"

// tls_recv reads from a TLS connection with |flags|, or returns -2 (never an
// errno) when |fd| carries none, or for MSG_ERRQUEUE, so the caller passes
// through.
static ssize_t tls_recv(int fd, void *buf, size_t len, int flags) {
  if (flags & MSG_ERRQUEUE) {
    return -2;  // the socket's error queue holds nothing of the stream
  }
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return -2;
  }
  ssize_t r = ts_conn_recv(conn, fd, buf, len, flags);
  ts_conn_put(conn);
  return ts_hook_ret(r);
}

TS_EXPORT ssize_t read(int fd, void *buf, size_t len) {
  ssize_t r = tls_recv(fd, buf, len, 0);
  return r != -2 ? r : TS_REAL(read)(fd, buf, len);
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT ssize_t __read(int fd, void *buf, size_t len)
    __attribute__((alias("read"), copy(read)));

TS_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buf_len) {
  if (len > buf_len) {
    __chk_fail();  // what the program's own fortified read would do
  }
  ssize_t r = tls_recv(fd, buf, len, 0);
  return r != -2 ? r : TS_REAL(read)(fd, buf, len);
}

TS_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags) {
  ssize_t r = tls_recv(fd, buf, len, flags);
  return r != -2 ? r : TS_REAL(recv)(fd, buf, len, flags);
}

TS_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buf_len,
                             int flags) {
  if (len > buf_len) {
    __chk_fail();
  }
  ssize_t r = tls_recv(fd, buf, len, flags);
  return r != -2 ? r : TS_REAL(recv)(fd, buf, len, flags);
}

static ssize_t tls_recvfrom(int fd, void *buf, size_t len, int flags,
                            struct sockaddr *addr, socklen_t *addr_len) {
  ssize_t r = tls_recv(fd, buf, len, flags);
  if (r == -2) {
    return TS_REAL(recvfrom)(fd, buf, len, flags, addr, addr_len);
  }
  if (r >= 0 && addr != NULL && addr_len != NULL) {
    *addr_len = 0;  // as for any connected TCP socket
  }
  return r;
}

TS_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                           struct sockaddr *addr, socklen_t *addr_len) {
  return tls_recvfrom(fd, buf, len, flags, addr, addr_len);
}

TS_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buf_len,
                                 int flags, struct sockaddr *addr,
                                 socklen_t *addr_len) {
  if (len > buf_len) {
    __chk_fail();
  }
  return tls_recvfrom(fd, buf, len, flags, addr, addr_len);
}

TS_EXPORT ssize_t write(int fd, const void *buf, size_t len) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(write)(fd, buf, len);
  }
  ssize_t r = ts_conn_send(conn, fd, buf, len, 0);
  ts_conn_put(conn);
  return ts_hook_send_ret(r, 0);
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT ssize_t __write(int fd, const void *buf, size_t len)
    __attribute__((alias("write"), copy(write)));

TS_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(send)(fd, buf, len, flags);
  }
  ssize_t r = ts_conn_send(conn, fd, buf, len, flags);
  ts_conn_put(conn);
  return ts_hook_send_ret(r, flags);
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT ssize_t __send(int fd, const void *buf, size_t len, int flags)
    __attribute__((alias("send"), copy(send)));

TS_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
                         const struct sockaddr *addr, socklen_t addr_len) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL && (flags & MSG_FASTOPEN) != 0 && addr != NULL) {
    int c = ts_hook_fastopen_connect(fd, addr, addr_len);
    if (c < 0) {
      return ts_hook_ret(c);
    }
    conn = c == 0 ? ts_conn_get(fd) : NULL;
  }
  if (conn == NULL) {
    return TS_REAL(sendto)(fd, buf, len, flags, addr, addr_len);
  }
  // A connected TCP socket ignores the address, as the kernel does.
  ssize_t r = ts_conn_send(conn, fd, buf, len, flags & ~MSG_FASTOPEN);
  ts_conn_put(conn);
  return ts_hook_send_ret(r, flags);
}
