// inherit.c — TCP connections a program receives already open: across exec
// (an inetd-style server gets its client on descriptors 0 and 1), or from
// another process in an SCM_RIGHTS message (a dispatcher that accepts and
// hands each connection to a worker).
//
// The previous image's TLS state does not survive exec, so at start-up every
// inherited, connected TCP socket on a covered port is recorded in the
// INHERITED state; its first use decides whether it can be adopted
// (conn.c: step_inherited). A process with no such socket pays one
// directory read and one getsockopt per open descriptor (without /proc, see
// scan_numbers).
#include "inherit.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "conn.h"
#include "hooks/hook.h"
#include "log.h"
#include "policy.h"
#include "real.h"
#include "runtime.h"
#include "tcp.h"
#include "vfork.h"

// One connected TCP socket found by the scan.
struct inherited {
  int fd;
  bool has_id;  // |dev| and |ino| name the socket (fstat worked)
  dev_t dev;
  ino_t ino;
  socklen_t peer_len;
  struct sockaddr_storage peer;
};

// The scan's findings. Every one must be recorded: a socket the scan drops
// would be used in plaintext, so the array grows as far as memory allows.
struct inherited_list {
  struct inherited *items;
  size_t len;
  size_t cap;
};

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

// share_with_earlier makes |found[index]| name the connection of an earlier
// descriptor for the same socket (inetd hands one socket over as 0 and 1):
// one socket, one TLS session. Returns 1 when it did.
static int share_with_earlier(const struct inherited *found, size_t index) {
  const struct inherited *mine = &found[index];
  if (!mine->has_id) {
    return 0;
  }
  for (size_t i = 0; i < index; i++) {
    if (!found[i].has_id || found[i].dev != mine->dev ||
        found[i].ino != mine->ino) {
      continue;
    }
    struct ts_conn *conn = ts_conn_get(found[i].fd);
    if (conn != NULL) {
      int ok = ts_fdtable_insert(mine->fd, &conn->entry);
      ts_conn_put(conn);
      return ok;
    }
  }
  return 0;
}

// rule_for decides whether a rule covers inherited socket |sock|, as the
// server that accepted it or else as the client that opened it. On TS_COVER
// it sets |*out_role| and |*out_rule|, and writes the name a client verifies
// into |verify_name|.
static enum ts_verdict rule_for(const struct inherited *sock,
                                enum ts_role *out_role,
                                const struct ts_rule **out_rule,
                                char *verify_name, size_t verify_name_len) {
  *out_role = TS_ROLE_SERVER;
  enum ts_verdict verdict = ts_policy_server(sock->fd, out_rule);
  if (verdict == TS_PASS) {
    *out_role = TS_ROLE_CLIENT;
    verdict = ts_policy_client(sock->fd, (const struct sockaddr *)&sock->peer,
                               sock->peer_len, out_rule, verify_name,
                               verify_name_len);
  }
  return verdict;
}

static const char *role_name(enum ts_role role) {
  return role == TS_ROLE_CLIENT ? "client" : "server";
}

static void adopt(const struct inherited *sock) {
  const struct ts_rule *rule = NULL;
  enum ts_role role;
  char verify_name[256] = "";
  enum ts_verdict verdict =
      rule_for(sock, &role, &rule, verify_name, sizeof(verify_name));
  if (verdict == TS_DENY) {
    // No configuration (why was reported when loading it): the program
    // gets no TCP at all, and inherited connections are no exception.
    ts_log_error("inherited descriptor %d: no configuration; cut off",
                 sock->fd);
    cut_off(sock->fd, sock->peer.ss_family);
    return;
  }
  if (verdict != TS_COVER) {
    return;
  }
  int err = 0;
  struct ts_conn *conn =
      ts_conn_attach(sock->fd, role, rule, (const struct sockaddr *)&sock->peer,
                     verify_name, TS_CONN_INHERITED, &err);
  if (conn == NULL) {
    ts_log_error("[%s:%s]: cannot track inherited descriptor %d; cut off",
                 role_name(role), rule->name, sock->fd);
    cut_off(sock->fd, sock->peer.ss_family);
    return;
  }
  // The kernel socket may be non-blocking only because the tlsshim of the
  // previous image, or of the process that sent it, made it so; the
  // program's own wish did not travel with it. Sockets handed over this way
  // (inetd) are blocking, so that is the view adopted until the program
  // sets O_NONBLOCK itself.
  pthread_mutex_lock(&conn->lock);
  conn->app_nonblock = 0;
  pthread_mutex_unlock(&conn->lock);
  ts_log_debug("%s: inherited on descriptor %d", conn->label, sock->fd);
  ts_conn_put(conn);
  ts_stdio_follow(sock->fd);  // an inetd-style program reads and writes stdio
}

// cut_off_unrecorded deals with a socket the scan has no memory to record:
// a covered one (or any, without a configuration) is cut off at once, since
// left alone the program would use it in plaintext.
static void cut_off_unrecorded(const struct inherited *sock) {
  const struct ts_rule *rule = NULL;
  enum ts_role role;
  char verify_name[256] = "";
  enum ts_verdict verdict =
      rule_for(sock, &role, &rule, verify_name, sizeof(verify_name));
  if (verdict != TS_PASS) {
    ts_log_error("[%s:%s]: no memory for inherited descriptor %d; cut off",
                 role_name(role), rule != NULL ? rule->name : "-", sock->fd);
    cut_off(sock->fd, sock->peer.ss_family);
  }
}

// note records |fd| when it is a connected TCP socket.
static void note(struct inherited_list *list, int fd) {
  struct inherited sock = {.fd = fd};
  if (ts_tcp_stage(fd, &sock.peer, &sock.peer_len) != TS_TCP_CONNECTED) {
    return;
  }
  struct stat st;
  if (fstat(fd, &st) == 0) {
    sock.has_id = true;
    sock.dev = st.st_dev;
    sock.ino = st.st_ino;
  }
  if (list->len == list->cap) {
    size_t cap = list->cap == 0 ? 16 : 2 * list->cap;
    struct inherited *items = realloc(list->items, cap * sizeof(*items));
    if (items == NULL) {
      cut_off_unrecorded(&sock);
      return;
    }
    list->items = items;
    list->cap = cap;
  }
  list->items[list->len++] = sock;
}

// scan_directory notes every descriptor /proc/self/fd lists. Returns 0 when
// the directory cannot be opened.
static int scan_directory(struct inherited_list *list) {
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) {
    return 0;
  }
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    char *end = NULL;
    long fd = strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) {
      continue;
    }
    note(list, (int)fd);
  }
  closedir(dir);
  return 1;
}

// scan_numbers finds the open descriptors where /proc cannot be read (a
// chroot, or not one descriptor left to read it with) by asking about every
// number below the soft RLIMIT_NOFILE, open or not. That is one fcntl per
// number, about 0.15 µs each on a 2-core x86-64: nothing at the usual limit
// of 1,024, but a sixth of a second at every start where the limit is 2^20.
// A descriptor above the soft limit (opened before the limit was lowered) is
// missed.
static void scan_numbers(struct inherited_list *list) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    lim.rlim_cur = TS_FDTABLE_MAX_FD;
  }
  for (int fd = 0; (rlim_t)fd < lim.rlim_cur && fd < INT_MAX; fd++) {
    if (TS_REAL(fcntl)(fd, F_GETFD) >= 0) {
      note(list, fd);
    }
  }
}

__attribute__((constructor)) static void inherit_scan(void) {
  if (getenv("TLSSHIM_CONFIG") == NULL) {
    return;
  }
  struct inherited_list list = {0};
  if (!scan_directory(&list)) {
    scan_numbers(&list);
  }
  for (size_t i = 0; i < list.len; i++) {
    if (share_with_earlier(list.items, i)) {
      ts_stdio_follow(list.items[i].fd);
    } else {
      adopt(&list.items[i]);
    }
  }
  free(list.items);
}

// received_one takes in |fd|, just received: as a further descriptor of a
// connection this process already tracks (the same socket sent to itself),
// whatever its stage; else, a connected TCP socket as a new inherited one.
// One still connecting is cut off: where it goes cannot be asked yet, and
// it might be a covered port.
static void received_one(int fd) {
  struct inherited sock = {.fd = fd};
  enum ts_tcp_stage stage = ts_tcp_stage(fd, &sock.peer, &sock.peer_len);
  if (stage == TS_TCP_NONE || stage == TS_TCP_LISTENING ||
      stage == TS_TCP_UNCONNECTED) {
    return;  // a listening socket's connections meet the accept hook
  }
  struct ts_conn *known = ts_conn_by_socket(fd);
  if (known == NULL && stage == TS_TCP_CONNECTING) {
    ts_log_error(
        "received descriptor %d is a TCP socket still connecting, to an "
        "address that cannot be told yet; cut off",
        fd);
    int family = AF_INET;
    socklen_t family_len = sizeof(family);
    (void)TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &family, &family_len);
    cut_off(fd, family);
    return;
  }
  if (known != NULL) {
    if (!ts_fdtable_insert(fd, &known->entry)) {
      ts_log_error("[%s]: cannot track received descriptor %d; cut off",
                   known->label, fd);
      cut_off(fd, sock.peer.ss_family);
    }
    ts_conn_put(known);
    return;
  }
  adopt(&sock);
}

// for_each_passed_fd calls |fn| on each descriptor SCM_RIGHTS carries in
// |msg|, keeping errno as it was.
static void for_each_passed_fd(const struct msghdr *msg, void (*fn)(int fd)) {
  if (msg == NULL || msg->msg_control == NULL ||
      msg->msg_controllen < sizeof(struct cmsghdr)) {
    return;
  }
  int saved_errno = errno;
  for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
       c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len < CMSG_LEN(0) || ts_vfork_child() ||
        !ts_runtime_config_named()) {
      continue;  // other control data (timestamps, packet info) costs this
    }
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char *data = CMSG_DATA(c);
    for (size_t i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, data + i * sizeof(int), sizeof(fd));
      fn(fd);
    }
  }
  errno = saved_errno;
}

void ts_inherit_received(const struct msghdr *msg) {
  for_each_passed_fd(msg, received_one);
}

// sent_one warns when |fd| leaves with a TLS session already begun here.
static void sent_one(int fd) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return;
  }
  pthread_mutex_lock(&conn->lock);
  int begun = conn->tls != NULL;
  pthread_mutex_unlock(&conn->lock);
  if (begun) {
    ts_log_warn(
        "%s: descriptor %d sent to another process with its TLS session "
        "begun here; the receiver cannot continue it",
        conn->label, fd);
  }
  ts_conn_put(conn);
}

void ts_inherit_sent(const struct msghdr *msg) {
  for_each_passed_fd(msg, sent_one);
}
