// stdio.c — fdopen and dprintf on a TLS socket (DESIGN.md constraint 4).
// glibc's stdio calls the read and write system calls itself, never the
// hooked functions, so a FILE made the ordinary way, or dprintf, would put
// plaintext on the wire. fdopen on a TLS socket gets a FILE whose I/O goes
// through the connection (cookie.h), as does fdopen on a TCP socket not yet
// connected, which may become one; dprintf formats into memory and sends
// that through it. The standard streams: std_streams.c.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../tcp.h"
#include "cookie.h"
#include "hook.h"

TS_EXPORT FILE *fdopen(int fd, const char *mode) {
  struct ts_conn *conn = ts_conn_get(fd);
  // A TCP socket not yet connected may become a TLS connection, and a FILE
  // glibc made on it now would go on writing to the kernel in plaintext.
  if (conn == NULL && ts_tcp_stage(fd, NULL, NULL) != TS_TCP_UNCONNECTED) {
    return TS_REAL(fdopen)(fd, mode);
  }
  ts_conn_put(conn);
  // A stream whose every call goes through the connection the descriptor
  // carries then, or to the kernel while it carries none.
  return ts_cookie_file(fd, mode, NULL);
}

// tls_vdprintf is vdprintf (or with |fortified|, __vdprintf_chk with
// |flag|) on a TLS socket, or -2 (never a count) when |fd| carries none, so
// the caller passes through.
static int tls_vdprintf(int fd, int flag, int fortified, const char *format,
                        va_list ap) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return -2;
  }
  char *text = NULL;
  // The fortified form keeps glibc's checks (%n only in read-only formats).
  int len = fortified ? __vasprintf_chk(&text, flag, format, ap)
                      : vasprintf(&text, format, ap);
  ssize_t r = len < 0 ? -errno : 0;
  size_t sent = 0;
  while (r >= 0 && sent < (size_t)(len < 0 ? 0 : len)) {
    r = ts_conn_send(conn, fd, text + sent, (size_t)len - sent, 0);
    if (r > 0) {
      sent += (size_t)r;
    } else if (r == 0) {
      r = -EIO;
    }
  }
  free(text);
  ts_conn_put(conn);
  return r < 0 ? (int)ts_hook_send_ret(r, 0) : len;
}

// The fortified names take a |flag| that asks glibc for run-time checks.
static int hook_vdprintf(int fd, int flag, int fortified, const char *format,
                         va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  int r = tls_vdprintf(fd, flag, fortified, format, copy);
  va_end(copy);
  if (r != -2) {
    return r;
  }
  return fortified ? TS_REAL(__vdprintf_chk)(fd, flag, format, ap)
                   : TS_REAL(vdprintf)(fd, format, ap);
}

TS_EXPORT int vdprintf(int fd, const char *format, va_list ap) {
  return hook_vdprintf(fd, 0, 0, format, ap);
}

TS_EXPORT int dprintf(int fd, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int r = hook_vdprintf(fd, 0, 0, format, ap);
  va_end(ap);
  return r;
}

TS_EXPORT int __vdprintf_chk(int fd, int flag, const char *format, va_list ap) {
  return hook_vdprintf(fd, flag, 1, format, ap);
}

TS_EXPORT int __dprintf_chk(int fd, int flag, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int r = hook_vdprintf(fd, flag, 1, format, ap);
  va_end(ap);
  return r;
}
