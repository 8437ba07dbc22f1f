// inherit.c — TCP connections a program receives already open across exec
// (an inetd-style server gets its client on descriptors 0 and 1).
//
// The previous image's TLS state does not survive exec, so at start-up every
// inherited, connected TCP socket on a covered port is recorded in the
// INHERITED state; its first use decides whether it can be adopted
// (conn.c: step_inherited). A process with no such socket pays one
// directory read and one getsockopt per open descriptor.
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "conn.h"
#include "hooks/hook.h"
#include "log.h"
#include "policy.h"
#include "real.h"

// Inherited sockets beyond this many are left to the ordinary hooks.
#define MAX_INHERITED 64

static int is_connected_tcp(int fd, struct sockaddr_storage *peer,
                            socklen_t *peer_len) {
  int protocol = 0;
  int listening = 0;
  socklen_t len = sizeof(protocol);
  if (TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 ||
      protocol != IPPROTO_TCP) {
    return 0;
  }
  len = sizeof(listening);
  if (TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) !=
          0 ||
      listening) {
    return 0;
  }
  *peer_len = sizeof(*peer);
  return getpeername(fd, (struct sockaddr *)peer, peer_len) == 0;
}

// cut_off keeps a program from using |fd| untracked, in plaintext: an
// unconnected socket takes the number (the program's calls fail with
// ENOTCONN or EPIPE), and other processes holding the connection keep it.
// Failing that, the connection itself is shut down.
static void cut_off(int fd, int family) {
  int dead = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int fd_flags = TS_REAL(fcntl)(fd, F_GETFD);
  if (dead < 0 || fd_flags < 0 ||
      TS_REAL(dup3)(dead, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) != fd) {
    (void)TS_REAL(shutdown)(fd, SHUT_RDWR);
  }
  if (dead >= 0) {
    TS_REAL(close)(dead);
  }
}

// share_with_earlier makes |fd| name the connection of an earlier descriptor
// for the same socket (inetd hands one socket over as 0 and 1): one socket,
// one TLS session. Returns 1 when it did.
static int share_with_earlier(const int *fds, int index) {
  struct stat mine;
  if (fstat(fds[index], &mine) != 0) {
    return 0;
  }
  for (int i = 0; i < index; i++) {
    struct stat other;
    struct ts_conn *conn = ts_conn_get(fds[i]);
    if (conn != NULL && fstat(fds[i], &other) == 0 &&
        other.st_dev == mine.st_dev && other.st_ino == mine.st_ino) {
      int ok = ts_fdtable_insert(fds[index], &conn->entry);
      ts_conn_put(conn);
      return ok;
    }
    ts_conn_put(conn);
  }
  return 0;
}

static void adopt(int fd, const struct sockaddr_storage *peer,
                  socklen_t peer_len) {
  const struct ts_rule *rule = NULL;
  enum ts_role role = TS_ROLE_SERVER;
  char verify_name[256] = "";
  enum ts_verdict verdict = ts_policy_server(fd, &rule);
  if (verdict == TS_PASS) {
    role = TS_ROLE_CLIENT;
    verdict = ts_policy_client(fd, (const struct sockaddr *)peer, peer_len,
                               &rule, verify_name, sizeof(verify_name));
  }
  if (verdict != TS_COVER) {
    return;  // not covered, or no configuration (already reported)
  }
  int err = 0;
  struct ts_conn *conn =
      ts_conn_attach(fd, role, rule, (const struct sockaddr *)peer, verify_name,
                     TS_CONN_INHERITED, &err);
  if (conn == NULL) {
    ts_log_error("[%s:%s]: cannot track inherited descriptor %d; cut off",
                 role == TS_ROLE_CLIENT ? "client" : "server", rule->name, fd);
    cut_off(fd, peer->ss_family);
    return;
  }
  // The kernel socket may be non-blocking only because the previous image's
  // tlsshim made it so; the program's own wish did not survive exec. Sockets
  // handed over this way (inetd) are blocking, so that is the view adopted.
  pthread_mutex_lock(&conn->lock);
  conn->app_nonblock = 0;
  pthread_mutex_unlock(&conn->lock);
  ts_log_debug("%s: inherited on descriptor %d", conn->label, fd);
  ts_conn_put(conn);
  ts_stdio_follow(fd);  // an inetd-style program reads and writes stdio
}

__attribute__((constructor)) static void inherit_scan(void) {
  if (getenv("TLSSHIM_CONFIG") == NULL) {
    return;
  }
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) {
    return;
  }
  int fds[MAX_INHERITED];
  struct sockaddr_storage peers[MAX_INHERITED];
  socklen_t peer_lens[MAX_INHERITED];
  int n = 0;
  struct dirent *entry;
  while (n < MAX_INHERITED && (entry = readdir(dir)) != NULL) {
    char *end = NULL;
    long fd = strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) {
      continue;
    }
    if (is_connected_tcp((int)fd, &peers[n], &peer_lens[n])) {
      fds[n++] = (int)fd;
    }
  }
  closedir(dir);
  for (int i = 0; i < n; i++) {
    if (share_with_earlier(fds, i)) {
      ts_stdio_follow(fds[i]);
    } else {
      adopt(fds[i], &peers[i], peer_lens[i]);
    }
  }
}
