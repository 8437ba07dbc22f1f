// conn.c — the life of a connection: creation, the steps from TCP connect to
// a verified TLS session, failure, and release.
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "real.h"
#include "runtime.h"
#include "vfork.h"

static void conn_release(struct ts_fdentry *entry) {
  struct ts_conn *conn = (struct ts_conn *)entry;
  ts_owner_release(&conn->owner);
  if (conn->tls != NULL) {
    conn->engine->tls_free(conn->tls);
  }
  pthread_mutex_destroy(&conn->lock);
  free(conn);
}

static void format_peer(const struct sockaddr *peer, char *out, size_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (peer != NULL && peer->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)peer;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    snprintf(out, len, "%s:%u", host, port);
  } else if (peer != NULL && peer->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    snprintf(out, len, "[%s]:%u", host, port);
  } else {
    snprintf(out, len, "?");
  }
}

struct ts_conn *ts_conn_new(enum ts_role role, const struct ts_rule *rule,
                            const struct sockaddr *peer,
                            const char *verify_name, int app_nonblock,
                            enum ts_conn_state state) {
  struct ts_conn *conn = calloc(1, sizeof(*conn));
  if (conn == NULL) {
    return NULL;
  }
  atomic_init(&conn->entry.refs, 1);
  conn->entry.release = conn_release;
  pthread_mutex_init(&conn->lock, NULL);
  conn->role = role;
  conn->rule = rule;
  conn->state = state;
  conn->want = TS_IO_WANT_WRITE;
  conn->app_nonblock = app_nonblock;
  format_peer(peer, conn->peer, sizeof(conn->peer));
  snprintf(conn->label, sizeof(conn->label), "[%s:%s] %s",
           role == TS_ROLE_CLIENT ? "client" : "server", rule->name,
           conn->peer);
  if (verify_name != NULL) {
    snprintf(conn->verify_name, sizeof(conn->verify_name), "%s", verify_name);
  }
  return conn;
}

// socket_cookie returns the kernel's number for |fd|'s socket, unique
// while the system runs, or 0 with errno set.
static uint64_t socket_cookie(int fd) {
  uint64_t cookie = 0;
  socklen_t len = sizeof(cookie);
  if (TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0) {
    return 0;
  }
  return cookie;
}

struct ts_conn *ts_conn_attach(int fd, enum ts_role role,
                               const struct ts_rule *rule,
                               const struct sockaddr *peer,
                               const char *verify_name,
                               enum ts_conn_state state, int *out_err) {
  if (ts_vfork_child()) {
    // Its descriptor numbers are not those of the parent, whose fd table it
    // would write to.
    ts_log_error("a vfork() child cannot start a TLS connection before exec");
    *out_err = -EPERM;
    return NULL;
  }
  int flags = TS_REAL(fcntl)(fd, F_GETFL);
  if (flags < 0) {
    *out_err = -errno;
    return NULL;
  }
  struct ts_conn *conn = ts_conn_new(role, rule, peer, verify_name,
                                     (flags & O_NONBLOCK) != 0, state);
  if (conn == NULL) {
    *out_err = -ENOMEM;
    return NULL;
  }
  // A vfork child tells the connection's socket by this (ts_conn_get).
  conn->sock_cookie = socket_cookie(fd);
  if (conn->sock_cookie == 0) {
    *out_err = -errno;
    ts_log_error(
        "cannot read socket %d's SO_COOKIE (%s; Linux 4.12 or later "
        "has it)",
        fd, strerror(errno));
    ts_conn_put(conn);
    return NULL;
  }
  // TLS turns one program write into a record, and a handshake into
  // flights; with Nagle's algorithm the second small segment waits for the
  // peer's delayed ACK (40 ms a connection, measured with ab against nginx).
  // Records are already whole messages, so segments go out at once.
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (((flags & O_NONBLOCK) == 0 &&
       TS_REAL(fcntl)(fd, F_SETFL, flags | O_NONBLOCK) < 0) ||
      !ts_fdtable_insert(fd, &conn->entry)) {
    *out_err = errno == 0 ? -EMFILE : -errno;
    ts_conn_put(conn);
    return NULL;
  }
  return conn;
}

struct ts_conn *ts_conn_by_socket(int fd) {
  int saved_errno = errno;
  uint64_t cookie = socket_cookie(fd);
  errno = saved_errno;
  if (cookie == 0) {
    return NULL;  // not a socket, or not open
  }
  struct ts_conn *conn = (struct ts_conn *)ts_fdtable_get(fd);  // likeliest
  if (conn != NULL && conn->sock_cookie == cookie) {
    return conn;
  }
  ts_fdentry_unref(conn == NULL ? NULL : &conn->entry);
  for (int n = ts_fdtable_next(0); n >= 0; n = ts_fdtable_next(n + 1)) {
    conn = (struct ts_conn *)ts_fdtable_get(n);
    if (conn != NULL && conn->sock_cookie == cookie) {
      return conn;
    }
    ts_fdentry_unref(conn == NULL ? NULL : &conn->entry);
  }
  return NULL;
}

struct ts_conn *ts_conn_get(int fd) {
  if (ts_vfork_child()) {
    // The fd table is the parent's, by the parent's descriptor numbers: a
    // duplicate the child made of a connection's socket finds that
    // connection, and a number the child has given to another file none.
    return ts_conn_by_socket(fd);
  }
  return (struct ts_conn *)ts_fdtable_get(fd);
}

void ts_conn_put(struct ts_conn *conn) {
  if (conn != NULL) {
    ts_conn_touch(conn);  // whatever the holder did is done (conn.h)
  }
  ts_fdentry_unref(conn == NULL ? NULL : &conn->entry);
}

int ts_conn_app_nonblock(struct ts_conn *conn) {
  pthread_mutex_lock(&conn->lock);
  int nonblock = conn->app_nonblock;
  pthread_mutex_unlock(&conn->lock);
  return nonblock;
}

// How own_locked treats a session this process does not hold now.
enum own_mode {
  OWN_USE,    // take it if nobody holds it; if another process does, fail
  OWN_QUIET,  // take it if nobody holds it; otherwise just say no
  OWN_HELD,   // only say whether this process holds it
};

// own_locked tells whether this process may work on |conn|'s session now
// (owner.h), and marks it so until ts_conn_unlock. A failure (OWN_USE) is
// this process's alone: the socket is not shut down, and nothing is sent.
static int own_locked(struct ts_conn *conn, enum own_mode mode) {
  if (conn->state == TS_CONN_FAILED) {
    return 0;
  }
  if (ts_owner_begin(&conn->owner, mode != OWN_HELD)) {
    return 1;
  }
  if (mode != OWN_USE) {
    return 0;
  }
  // EBADF when this process closed it (another thread's close or dup2)
  // while this thread still held the connection: the descriptor is gone and
  // no other process is involved. Otherwise another process, since fork(),
  // has the session.
  int err = EBADF;
  if (!conn->ended_here) {
    err = ECONNRESET;
    pid_t holder = ts_owner_holder(&conn->owner);
    if (holder != 0) {
      ts_log_error(
          "%s: process %d holds this TLS session, whose socket this "
          "process shares since fork(); only one process can use a "
          "session",
          conn->label, (int)holder);
    } else {
      ts_log_error(
          "%s: another process that shares this socket since fork() "
          "has used or ended this TLS session; only one process can "
          "use a session",
          conn->label);
    }
  }
  conn->state = TS_CONN_FAILED;
  conn->fail_errno = err;
  conn->error_pending = 1;
  ts_conn_edge_bump(conn);
  ts_conn_touch(conn);
  return 0;
}

void ts_conn_lock(struct ts_conn *conn) {
  pthread_mutex_lock(&conn->lock);
  (void)own_locked(conn, OWN_USE);
}

int ts_conn_lock_held(struct ts_conn *conn) {
  pthread_mutex_lock(&conn->lock);
  // A process that used the session before a fork, and closes it before
  // either process uses it again, ends it: as if the fork had not been.
  return own_locked(conn, conn->used ? OWN_QUIET : OWN_HELD);
}

void ts_conn_unlock(struct ts_conn *conn) {
  ts_owner_end(&conn->owner);
  pthread_mutex_unlock(&conn->lock);
}

void ts_conn_push_flight_locked(struct ts_conn *conn, int fd) {
  if (conn->tls != NULL && conn->engine->push_flight(conn->tls)) {
    int one = 1;  // setting TCP_NODELAY pushes what MSG_MORE held back
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
}

void ts_conn_fail_locked(struct ts_conn *conn, int fd, int err,
                         const char *reason) {
  if (conn->state == TS_CONN_FAILED) {
    return;
  }
  conn->state = TS_CONN_FAILED;
  conn->fail_errno = err;
  conn->error_pending = 1;
  ts_conn_edge_bump(conn);  // newly ready: reads and writes fail
  ts_conn_touch(conn);
  if (reason != NULL) {
    ts_log_error("%s: %s", conn->label, reason);
  }
  // The peer must see the end of a connection we refuse to use; nothing of
  // the program's is ever sent on it.
  TS_REAL(shutdown)(fd, SHUT_RDWR);
}

int ts_conn_fail_engine_locked(struct ts_conn *conn, int fd) {
  int err = ECONNRESET;
  const char *reason = conn->engine->error(conn->tls, &err);
  ts_log_info("%s: connection failed: %s", conn->label, reason);
  ts_conn_fail_locked(conn, fd, err, NULL);
  return -err;
}

// step_connecting checks, without blocking, whether the TCP connect finished
// (writable, or failed: |kernel_revents| may have told already).
static int step_connecting(struct ts_conn *conn, int fd,
                           uint32_t kernel_revents) {
  int ready = 1;
  if (!(kernel_revents & (POLLOUT | POLLERR | POLLHUP))) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    ready = TS_REAL(poll)(&pfd, 1, 0);
  }
  if (ready == 0) {
    conn->want = TS_IO_WANT_WRITE;
    return -EAGAIN;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (ready < 0 ||
      TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
    err = errno;
  }
  if (err != 0) {
    ts_log_debug("%s: connect failed: %s", conn->label, strerror(err));
    // Reading SO_ERROR cleared it in the kernel; our getsockopt hook now
    // reports it to the program instead (error_pending stays set).
    ts_conn_fail_locked(conn, fd, err, NULL);
    return -err;
  }
  conn->state = TS_CONN_HANDSHAKE;
  return 0;
}

// handshake_errno is what the program sees when TLS cannot be established:
// a client's connect is refused, a server's accepted connection is reset.
static int handshake_errno(const struct ts_conn *conn) {
  return conn->role == TS_ROLE_CLIENT ? ECONNREFUSED : ECONNRESET;
}

static int start_tls(struct ts_conn *conn, int fd) {
  struct ts_tls_ctx *ctx = ts_runtime_ctx(conn->rule);
  const struct ts_engine *engine = ts_runtime_engine();
  char err[512];
  if (ctx == NULL || engine == NULL) {
    ts_conn_fail_locked(conn, fd, handshake_errno(conn),
                        "TLS is unavailable (see the previous error); "
                        "connection refused");
    return -conn->fail_errno;
  }
  // The word first: a fork() in another thread must never copy a TLS
  // object that no word guards.
  if (ts_owner_take(&conn->owner) < 0) {
    ts_conn_fail_locked(conn, fd, handshake_errno(conn),
                        "cannot record which process holds the TLS session "
                        "(no shared memory, or too many sessions); "
                        "connection refused");
    return -conn->fail_errno;
  }
  conn->tls = engine->tls_new(
      ctx, conn->role == TS_ROLE_CLIENT ? conn->verify_name : NULL, conn->peer,
      err, sizeof(err));
  if (conn->tls == NULL) {
    ts_conn_fail_locked(conn, fd, handshake_errno(conn), err);
    return -conn->fail_errno;
  }
  conn->engine = engine;
  return 0;
}

static int step_handshake(struct ts_conn *conn, int fd) {
  if (conn->tls == NULL && start_tls(conn, fd) < 0) {
    return -conn->fail_errno;
  }
  enum ts_io io = conn->engine->handshake(conn->tls, fd);
  char reason[600];
  int engine_errno = 0;
  switch (io) {
    case TS_IO_DONE:
      conn->state = TS_CONN_OPEN;
      if (ts_log_enabled(TS_LOG_INFO)) {
        char desc[400];
        conn->engine->describe(conn->tls, desc, sizeof(desc));
        ts_log_info("%s: TLS established: %s", conn->label, desc);
      }
      return 0;
    case TS_IO_WANT_READ:
    case TS_IO_WANT_WRITE:
      conn->want = io;
      return -EAGAIN;
    case TS_IO_CLOSED:
      // A probe that connected and left, or a client that gave up: routine,
      // so no error line; info keeps its one line per connection.
      ts_log_info("%s: %s", conn->label,
                  conn->engine->error(conn->tls, &engine_errno));
      ts_conn_fail_locked(conn, fd, handshake_errno(conn), NULL);
      return -conn->fail_errno;
    case TS_IO_FAILED:
    default:
      snprintf(reason, sizeof(reason), "handshake failed: %s",
               conn->engine->error(conn->tls, &engine_errno));
      ts_conn_fail_locked(conn, fd, handshake_errno(conn), reason);
      return -conn->fail_errno;
  }
}

// step_inherited decides what a socket received across exec, or from another
// process in an SCM_RIGHTS message, is. The TLS state that went with it is
// out of reach. A server socket whose first waiting byte starts a TLS
// handshake record (a ClientHello) was never used: it is adopted. A record of
// another TLS type means a session was already under way, which cannot be
// continued here: it is failed rather than read as ciphertext or written to
// in plaintext. A client socket cannot be told apart, so it is failed.
static int step_inherited(struct ts_conn *conn, int fd) {
  static const char lost[] =
      "connection inherited across exec, or received from another process, "
      "with its TLS session already under way; it cannot be continued here";
  if (conn->role == TS_ROLE_CLIENT) {
    ts_conn_fail_locked(conn, fd, ECONNRESET, lost);
    return -conn->fail_errno;
  }
  unsigned char first = 0;
  ssize_t n = TS_REAL(recv)(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    conn->want = TS_IO_WANT_READ;
    return -EAGAIN;
  }
  // A record only a session under way sends: ChangeCipherSpec, an alert,
  // application data (TLS 1.3 wraps every later record in the last).
  if (n == 1 && (first == 0x14 || first == 0x15 || first == 0x17)) {
    ts_conn_fail_locked(conn, fd, ECONNRESET, lost);
    return -conn->fail_errno;
  }
  // A ClientHello; or an end, an error, or bytes no TLS peer sends (a
  // plaintext client), which the handshake refuses with its own reason.
  conn->state = TS_CONN_HANDSHAKE;
  return 0;
}

int ts_conn_step_locked(struct ts_conn *conn, int fd, uint32_t kernel_revents) {
  switch (conn->state) {
    case TS_CONN_INHERITED: {
      int r = step_inherited(conn, fd);
      if (r < 0) {
        return r;
      }
      return step_handshake(conn, fd);
    }
    case TS_CONN_CONNECTING: {
      int r = step_connecting(conn, fd, kernel_revents);
      if (r < 0) {
        return r;
      }
      return step_handshake(conn, fd);
    }
    case TS_CONN_HANDSHAKE:
      return step_handshake(conn, fd);
    case TS_CONN_OPEN:
      return 0;
    case TS_CONN_FAILED:
    default:
      return -conn->fail_errno;
  }
}
