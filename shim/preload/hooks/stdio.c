// stdio.c — fdopen on a TLS socket (DESIGN.md constraint 4). glibc's stdio
// calls the read and write system calls itself, never the hooked functions,
// so a FILE made the ordinary way would put plaintext on the wire. A TLS
// socket gets a FILE whose I/O goes through the TLS connection instead.
#include <stdint.h>
#include <stdio.h>

#include "hook.h"

static int cookie_fd(void *cookie) { return (int)(intptr_t)cookie; }

static ssize_t cookie_read(void *cookie, char *buf, size_t len) {
  int fd = cookie_fd(cookie);
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    errno = EBADF;
    return -1;
  }
  ssize_t r = ts_conn_recv(conn, fd, buf, len, 0);
  ts_conn_put(conn);
  return ts_hook_ret(r);
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t len) {
  int fd = cookie_fd(cookie);
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    errno = EBADF;
    return -1;
  }
  ssize_t r = ts_conn_send(conn, fd, buf, len, 0);
  ts_conn_put(conn);
  // stdio treats 0 as an error; a write that moved nothing reports one.
  return ts_hook_send_ret(r, 0);
}

static int cookie_close(void *cookie) {
  return ts_hook_close(cookie_fd(cookie));
}

TS_EXPORT FILE *fdopen(int fd, const char *mode) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(fdopen)(fd, mode);
  }
  ts_conn_put(conn);
  cookie_io_functions_t io = {
      .read = cookie_read,
      .write = cookie_write,
      .seek = NULL,
      .close = cookie_close,
  };
  FILE *file = fopencookie((void *)(intptr_t)fd, mode, io);
  if (file != NULL) {
    // fileno() on the FILE must still name the socket, for programs that
    // poll it; the cookie functions, not the descriptor, carry the I/O.
    file->_fileno = fd;
  }
  return file;
}
