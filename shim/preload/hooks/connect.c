// connect.c — a connect() to a covered address becomes a TLS client.
#include <fcntl.h>
#include <string.h>

#include "../epoll_watch.h"
#include "../log.h"
#include "../policy.h"
#include "hook.h"

// forget drops a connection that never came to be and gives the socket back
// its blocking mode.
static void forget(int fd, struct ts_conn *conn) {
  int last = 0;
  struct ts_conn *removed = (struct ts_conn *)ts_fdtable_remove(fd, &last);
  ts_conn_put(removed);
  ts_stdio_unfollow(fd);
  if (!ts_conn_app_nonblock(conn)) {
    int flags = TS_REAL(fcntl)(fd, F_GETFL);
    if (flags >= 0) {
      TS_REAL(fcntl)(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
  }
}

static int tls_connect(int fd, const struct sockaddr *addr, socklen_t len,
                       const struct ts_rule *rule, const char *verify_name) {
  int err = 0;
  struct ts_conn *conn = ts_conn_attach(fd, TS_ROLE_CLIENT, rule, addr,
                                        verify_name, TS_CONN_CONNECTING, &err);
  if (conn == NULL) {
    ts_log_error("[client:%s]: cannot track the connection (%s); refused",
                 rule->name, strerror(-err));
    return -ECONNREFUSED;
  }
  ts_stdio_follow(fd);  // a socket that got number 1: stdout is it now
  int r = TS_REAL(connect)(fd, addr, len);
  if (r < 0 && errno != EINPROGRESS) {
    r = -errno;
    forget(fd, conn);  // plain TCP failure: the socket stays as it was
    ts_conn_put(conn);
    return r;
  }
  if (r == 0) {
    pthread_mutex_lock(&conn->lock);
    conn->state = TS_CONN_HANDSHAKE;
    pthread_mutex_unlock(&conn->lock);
  }
  // An epoll set the program gave this socket before connect() must now see
  // it through the TLS layer (epoll_adopt.c).
  ts_epoll_adopt_all(fd, conn);
  if (ts_conn_app_nonblock(conn)) {
    if (r == 0) {
      // Start the handshake now; it finishes on first use.
      ts_conn_lock(conn);
      (void)ts_conn_step_locked(conn, fd, 0);
      ts_conn_unlock(conn);
    }
    ts_conn_put(conn);
    return r == 0 ? 0 : -EINPROGRESS;
  }
  r = ts_conn_connect_wait(conn, fd);
  ts_conn_put(conn);
  return r;
}

TS_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  struct ts_conn *existing = ts_conn_get(fd);
  if (existing != NULL) {
    // A second connect() on a tracked socket (a non-blocking client asking
    // how its connect went, as ab does): the kernel answers (0, EALREADY,
    // EISCONN); the TLS state stays as it is, and no rule need be looked up.
    ts_conn_put(existing);
    return TS_REAL(connect)(fd, addr, len);
  }
  const struct ts_rule *rule = NULL;
  char verify_name[256];
  switch (ts_policy_client(fd, addr, len, &rule, verify_name,
                           sizeof(verify_name))) {
    case TS_COVER:
      return (int)ts_hook_ret(tls_connect(fd, addr, len, rule, verify_name));
    case TS_DENY:
      errno = EACCES;
      return -1;
    case TS_PASS:
    default:
      return TS_REAL(connect)(fd, addr, len);
  }
}

int ts_hook_fastopen_connect(int fd, const struct sockaddr *addr,
                             socklen_t len) {
  const struct ts_rule *rule = NULL;
  char verify_name[256];
  switch (ts_policy_client(fd, addr, len, &rule, verify_name,
                           sizeof(verify_name))) {
    case TS_COVER:
      break;
    case TS_DENY:
      return -EACCES;
    case TS_PASS:
    default:
      return 1;
  }
  ts_log_debug(
      "[client:%s]: TCP Fast Open on descriptor %d made a TLS "
      "connect; the data follows the handshake",
      rule->name, fd);
  return tls_connect(fd, addr, len, rule, verify_name);
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT int __connect(int fd, const struct sockaddr *addr, socklen_t len)
    __attribute__((alias("connect"), copy(connect)));
