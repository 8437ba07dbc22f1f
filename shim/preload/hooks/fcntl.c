// fcntl.c — the program's view of blocking mode (O_NONBLOCK, FIONBIO), which
// tlsshim emulates while the kernel socket stays non-blocking, plus
// descriptor duplication through fcntl and FIONREAD's count of plaintext.
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "../log.h"
#include "../vfork.h"
#include "hook.h"

typedef int (*fcntl_fn)(int, int, ...);

static int tls_fcntl(fcntl_fn real, struct ts_conn *conn, int fd, int cmd,
                     void *arg) {
  switch (cmd) {
    case F_GETFL: {
      int flags = real(fd, F_GETFL);
      if (flags >= 0) {
        pthread_mutex_lock(&conn->lock);
        flags = (flags & ~O_NONBLOCK) | (conn->app_nonblock ? O_NONBLOCK : 0);
        pthread_mutex_unlock(&conn->lock);
      }
      return flags;
    }
    case F_SETFL: {
      long flags = (long)arg;
      int r = real(fd, F_SETFL, flags | O_NONBLOCK);
      if (r == 0) {
        pthread_mutex_lock(&conn->lock);
        conn->app_nonblock = (flags & O_NONBLOCK) != 0;
        pthread_mutex_unlock(&conn->lock);
      }
      return r;
    }
    default:
      return real(fd, cmd, arg);
  }
}

// Both names take the third argument as glibc does: one pointer-sized word.
static int hook_fcntl(fcntl_fn real, int fd, int cmd, void *arg) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return real(fd, cmd, arg);
  }
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
    if (ts_vfork_child()) {  // as dup() (close.c)
      ts_conn_put(conn);
      return real(fd, cmd, arg);
    }
    return ts_hook_share_fd(conn, real(fd, cmd, arg));
  }
  int r = tls_fcntl(real, conn, fd, cmd, arg);
  ts_conn_put(conn);
  return r;
}

TS_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return hook_fcntl(TS_REAL(fcntl), fd, cmd, arg);
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT int __fcntl(int fd, int cmd, ...)
    __attribute__((alias("fcntl"), copy(fcntl)));

TS_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return hook_fcntl(TS_REAL(fcntl64), fd, cmd, arg);
}

TS_EXPORT int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  if (request != FIONBIO && request != FIONREAD) {
    return TS_REAL(ioctl)(fd, request, arg);
  }
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(ioctl)(fd, request, arg);
  }
  int r = 0;
  if (arg == NULL) {
    r = -EFAULT;
  } else if (request == FIONBIO) {
    pthread_mutex_lock(&conn->lock);
    conn->app_nonblock = *(const int *)arg != 0;
    pthread_mutex_unlock(&conn->lock);
  } else {
    *(int *)arg = ts_conn_pending_bytes(conn, fd);
  }
  ts_conn_put(conn);
  return (int)ts_hook_ret(r);
}
