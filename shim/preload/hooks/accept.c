// accept.c — a connection accepted on a covered port becomes a TLS server;
// its handshake runs on first use, so a server that speaks first works too.
#include <string.h>

#include "../log.h"
#include "../policy.h"
#include "../runtime.h"
#include "hook.h"

// listen() on a covered port loads the configuration and the rule's
// certificate and key now, while the process still has the privileges it
// started with: servers such as nginx fork workers that run as another user
// and could not read the key themselves (nginx loads its own keys the same
// way, before the workers start).
TS_EXPORT int listen(int fd, int backlog) {
  int r = TS_REAL(listen)(fd, backlog);
  const struct ts_rule *rule = NULL;
  if (r == 0 && ts_policy_server(fd, &rule) == TS_COVER) {
    (void)ts_runtime_ctx(
        rule);  // a failure is logged; the accept hook reports it
  }
  return r;
}

// tls_accepted adopts the freshly accepted |fd|. Returns |fd|, or -errno
// after closing it.
static int tls_accepted(int fd) {
  const struct ts_rule *rule = NULL;
  switch (ts_policy_server(fd, &rule)) {
    case TS_PASS:
      return fd;
    case TS_DENY:
      TS_REAL(close)(fd);
      return -EACCES;
    case TS_COVER:
    default:
      break;
  }
  struct sockaddr_storage peer;
  socklen_t peer_len = sizeof(peer);
  if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0) {
    peer.ss_family = AF_UNSPEC;
  }
  int err = 0;
  struct ts_conn *conn =
      ts_conn_attach(fd, TS_ROLE_SERVER, rule, (struct sockaddr *)&peer, NULL,
                     TS_CONN_HANDSHAKE, &err);
  if (conn == NULL) {
    ts_log_error(
        "[server:%s]: cannot track an accepted connection (%s); "
        "dropped",
        rule->name, strerror(-err));
    TS_REAL(close)(fd);
    return -ECONNABORTED;
  }
  ts_conn_put(conn);
  ts_stdio_follow(fd);  // a program that closed its stdout first
  return fd;
}

TS_EXPORT int accept4(int lfd, struct sockaddr *addr, socklen_t *addr_len,
                      int flags) {
  int fd = TS_REAL(accept4)(lfd, addr, addr_len, flags);
  if (fd < 0) {
    return fd;
  }
  return (int)ts_hook_ret(tls_accepted(fd));
}

TS_EXPORT int accept(int lfd, struct sockaddr *addr, socklen_t *addr_len) {
  int fd = TS_REAL(accept)(lfd, addr, addr_len);
  if (fd < 0) {
    return fd;
  }
  return (int)ts_hook_ret(tls_accepted(fd));
}
