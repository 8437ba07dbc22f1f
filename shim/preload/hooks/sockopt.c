// sockopt.c — SO_ERROR reports why a non-blocking connect's TLS handshake
// failed, as it would report a refused TCP connect.
#include "hook.h"

TS_EXPORT int getsockopt(int fd, int level, int name, void *value,
                         socklen_t *len) {
  if (level != SOL_SOCKET || name != SO_ERROR || value == NULL || len == NULL ||
      *len < sizeof(int)) {
    return TS_REAL(getsockopt)(fd, level, name, value, len);
  }
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(getsockopt)(fd, level, name, value, len);
  }
  int err = 0;
  pthread_mutex_lock(&conn->lock);
  if (conn->error_pending) {
    err = conn->fail_errno;
    conn->error_pending = 0;
  }
  pthread_mutex_unlock(&conn->lock);
  ts_conn_put(conn);
  if (err == 0) {
    return TS_REAL(getsockopt)(fd, level, name, value, len);
  }
  *(int *)value = err;
  *len = sizeof(int);
  return 0;
}
