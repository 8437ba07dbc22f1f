// log.c — formatting on the stack, writing with the real write().
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "real.h"
#include "tcp.h"

// The log's descriptor sits at or above this number, out of the way of
// programs that assume small descriptor numbers.
#define TS_LOG_FD_FLOOR 900

static atomic_int log_level = TS_LOG_WARN;
static atomic_int log_fd = STDERR_FILENO;

static const char *level_name(int level) {
  switch (level) {
    case TS_LOG_ERROR:
      return "error";
    case TS_LOG_WARN:
      return "warning";
    case TS_LOG_INFO:
      return "info";
    case TS_LOG_DEBUG:
      return "debug";
    default:
      return "log";
  }
}

// stderr_is_tcp says whether standard error is a TCP socket: an
// inetd-style service gets its client on 0, 1 and 2, and a program may put
// a connection there itself. The log is not the program's to send, in
// plaintext or at all, so it is dropped then (log_file keeps it); a pipe, a
// file, a terminal or a UNIX socket (journald) take it.
static int stderr_is_tcp(void) { return ts_is_tcp(STDERR_FILENO); }

int ts_log_enabled(int level) { return level <= atomic_load(&log_level); }

void ts_log(int level, const char *fmt, ...) {
  if (!ts_log_enabled(level)) {
    return;
  }
  int saved_errno = errno;
  char line[1024];
  int n = snprintf(line, sizeof(line), "tlsshim[%d]: %s: ", (int)getpid(),
                   level_name(level));
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof(line) - 2) {
    len = sizeof(line) - 2;  // truncated; keep the newline
  }
  line[len++] = '\n';
  int fd = atomic_load(&log_fd);
  ssize_t (*write_fn)(int, const void *, size_t) = TS_REAL(write);
  if (write_fn != NULL && !(fd == STDERR_FILENO && stderr_is_tcp())) {
    (void)write_fn(fd, line, len);
  }
  errno = saved_errno;
}

int ts_log_configure(int level, const char *path) {
  atomic_store(&log_level, level);
  if (path == NULL) {
    return 1;
  }
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    ts_log_error("cannot open log_file %s: %s; logging to standard error", path,
                 strerror(errno));
    return 0;
  }
  int high = TS_REAL(fcntl)(fd, F_DUPFD_CLOEXEC, TS_LOG_FD_FLOOR);
  if (high >= 0) {
    TS_REAL(close)(fd);
    fd = high;
  }
  atomic_store(&log_fd, fd);
  return 1;
}

int ts_log_fd(void) {
  int own = atomic_load_explicit(&log_fd, memory_order_relaxed);
  return own == STDERR_FILENO ? -1 : own;
}

int ts_log_owns_fd(int fd) {
  int own = atomic_load_explicit(&log_fd, memory_order_relaxed);
  return own != STDERR_FILENO && fd == own;
}
