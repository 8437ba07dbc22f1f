// stdio.c — fdopen, dprintf and the standard streams on a TLS socket
// (DESIGN.md constraint 4). glibc's stdio calls the read and write system
// calls itself, never the hooked functions, so a FILE made the ordinary
// way, dprintf, or stdout on a socket put on descriptor 1 would put
// plaintext on the wire. A TLS socket gets a FILE whose I/O goes through
// the TLS connection instead (one made by fdopen, or standing in for stdin,
// stdout or stderr), and dprintf formats into memory and sends that
// through it.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hook.h"

static int cookie_fd(void *cookie) { return (int)(intptr_t)cookie; }

// The cookie FILEs name their descriptor by number, as glibc's do: once it
// no longer carries a TLS connection (closed, or another file put on it),
// their I/O is the kernel's.
static ssize_t cookie_read(void *cookie, char *buf, size_t len) {
  int fd = cookie_fd(cookie);
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(read)(fd, buf, len);
  }
  ssize_t r = ts_conn_recv(conn, fd, buf, len, 0);
  ts_conn_put(conn);
  return ts_hook_ret(r);
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t len) {
  int fd = cookie_fd(cookie);
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(write)(fd, buf, len);
  }
  ssize_t r = ts_conn_send(conn, fd, buf, len, 0);
  ts_conn_put(conn);
  // stdio treats 0 as an error; a write that moved nothing reports one.
  return ts_hook_send_ret(r, 0);
}

static int cookie_close(void *cookie) {
  return ts_hook_close(cookie_fd(cookie));
}

// cookie_file makes a FILE on |fd| whose I/O goes through its connection;
// |close_fn| ends it.
static FILE *cookie_file(int fd, const char *mode,
                         cookie_close_function_t *close_fn) {
  cookie_io_functions_t io = {
      .read = cookie_read,
      .write = cookie_write,
      .seek = NULL,
      .close = close_fn,
  };
  FILE *file = fopencookie((void *)(intptr_t)fd, mode, io);
  if (file != NULL) {
    // fileno() on the FILE must still name the socket, for programs that
    // poll it; the cookie functions, not the descriptor, carry the I/O.
    file->_fileno = fd;
  }
  return file;
}

TS_EXPORT FILE *fdopen(int fd, const char *mode) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(fdopen)(fd, mode);
  }
  ts_conn_put(conn);
  return cookie_file(fd, mode, cookie_close);
}

// The standard streams tlsshim put in place, by descriptor; a slot is
// cleared when the program closes its stream. Only these and glibc's own
// three (never freed) are ever flushed or replaced here: a stream the
// program closed, or put there itself, is left alone.
static FILE *installed[3];
extern FILE _IO_2_1_stdin_, _IO_2_1_stdout_, _IO_2_1_stderr_;

static FILE *glibc_stream(int fd) {
  return fd == 0   ? &_IO_2_1_stdin_
         : fd == 1 ? &_IO_2_1_stdout_
                   : &_IO_2_1_stderr_;
}

static FILE **standard_stream(int fd) {
  FILE **stream = fd == 0   ? &stdin
                  : fd == 1 ? &stdout
                  : fd == 2 ? &stderr
                            : NULL;
  if (stream == NULL || *stream == NULL) {
    return NULL;
  }
  return *stream == glibc_stream(fd) || *stream == installed[fd] ? stream
                                                                 : NULL;
}

static int standard_close(void *cookie) {
  int fd = cookie_fd(cookie);
  installed[fd] = NULL;
  return cookie_close(cookie);
}

void ts_stdio_flush(int fd) {
  FILE **stream = standard_stream(fd);
  // Never wait for a stream another thread holds: its buffer then goes
  // wherever the descriptor leads when that thread flushes.
  if (stream != NULL && fd != 0 && ftrylockfile(*stream) == 0) {
    fflush_unlocked(*stream);
    funlockfile(*stream);
  }
}

// While |fd| carries TLS, glibc's own stream for it names no descriptor, so
// that a pointer to it the program kept (C++'s std::cout keeps one) fails
// with EBADF instead of reaching the socket in plaintext.
void ts_stdio_follow(int fd) {
  FILE **stream = standard_stream(fd);
  if (stream == NULL || *stream == installed[fd] || fileno(*stream) != fd) {
    return;  // already ours (it follows the number), or not the program's
  }
  FILE *file = installed[fd];
  if (file == NULL) {
    file = cookie_file(fd, fd == 0 ? "r" : "w", standard_close);
    if (file == NULL) {
      return;
    }
    if (fd == 2) {
      setvbuf(file, NULL, _IONBF, 0);  // stderr is unbuffered
    }
  }
  // glibc's stream stays open (closing it would close |fd|). What it had
  // buffered was flushed before a dup2 changed the descriptor
  // (ts_stdio_flush); anything left (written while |fd| was closed, or
  // while another thread held the stream) fails at its next flush.
  installed[fd] = file;
  *stream = file;
  glibc_stream(fd)->_fileno = -1;
}

void ts_stdio_unfollow(int fd) {
  FILE **stream = standard_stream(fd);
  if (stream == NULL || installed[fd] == NULL || *stream != installed[fd]) {
    return;
  }
  int saved_errno = errno;  // called after close(), whose errno stands
  struct ts_conn *conn = ts_conn_get(fd);
  ts_conn_put(conn);
  errno = saved_errno;
  if (conn != NULL) {
    return;  // another connection took the number meanwhile
  }
  // The installed stream stays open for pointers to it the program took;
  // it goes to the kernel now, and is put back if TLS returns to |fd|.
  glibc_stream(fd)->_fileno = fd;
  *stream = glibc_stream(fd);
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
