// lifecycle.c — fork and exit.
//
// fork: the child inherits every connection. It has not used them yet, so
// closing an inherited descriptor it never touched sends no close_notify (a
// fork-per-connection server's parent closing its copy must not end the
// child's session, nor the reverse). Of parent and child, only the first to
// use a session afterwards can use it at all (owner.h). Locks another thread
// held at the moment of fork are re-created in the child; the engine keeps its
// own per-rule locks consistent across fork (shim/engine/fork.c).
//
// vfork: the child runs on the parent's memory until it execs, so it is told
// apart (vfork.h) and its close and dup calls are left to the kernel.
//
// exit: the kernel closes descriptors without calling close(); connections
// this process used get their close_notify first, so the peer sees a clean
// end rather than a truncation.
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "conn.h"
#include "epoll_watch.h"
#include "hooks/cookie.h"
#include "hooks/hook.h"
#include "resolver.h"
#include "runtime.h"
#include "vfork.h"

// How long exit waits, in all, for the connections' last records to leave:
// a bound per connection would let many stuck peers hold exit for as many
// seconds. Once it has passed, each connection's close_notify still gets
// one try that does not wait.
#define EXIT_FLUSH_MS 1000

static int64_t exit_deadline_ms;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void for_each_conn(void (*fn)(struct ts_conn *conn, int fd)) {
  for (int fd = ts_fdtable_next(0); fd >= 0; fd = ts_fdtable_next(fd + 1)) {
    struct ts_conn *conn = ts_conn_get(fd);
    if (conn != NULL) {
      fn(conn, fd);
      ts_conn_put(conn);
    }
  }
}

static void reset_in_child(struct ts_conn *conn, int fd) {
  (void)fd;
  pthread_mutex_init(&conn->lock, NULL);
  conn->used = 0;
  ts_owner_forked(&conn->owner);
}

static void unclaim(struct ts_conn *conn, int fd) {
  (void)fd;
  ts_owner_before_fork(&conn->owner);
}

// before_fork leaves the sessions this process holds to whichever of the
// two processes uses each first (owner.h).
static void before_fork(void) {
  ts_owner_fork_begins();
  for_each_conn(unclaim);
}

static void after_fork_child(void) {
  ts_owner_after_fork_child();
  ts_vfork_after_fork_child();
  ts_fdtable_after_fork_child();
  ts_resolver_after_fork_child();
  ts_epoll_after_fork_child();
  ts_runtime_after_fork_child();
  ts_stdio_after_fork_child();
  for_each_conn(reset_in_child);
  ts_cookie_after_fork_child();  // looks connections up: after their reset
}

static void close_at_exit(struct ts_conn *conn, int fd) {
  // Only the first descriptor of a connection matters; the rest are no-ops
  // because close_notify is sent once.
  int64_t left = exit_deadline_ms - mono_ms();
  ts_conn_close_last(conn, fd, left > 0 ? (int)left : 0);
}

__attribute__((constructor)) static void lifecycle_init(void) {
  pthread_atfork(before_fork, NULL, after_fork_child);
}

__attribute__((destructor)) static void lifecycle_exit(void) {
  // A vfork child that calls exit() instead of _exit() runs destructors on
  // its parent's connections, which are still the parent's to end.
  if (ts_fdtable_count() > 0 && !ts_vfork_child()) {
    exit_deadline_ms = mono_ms() + EXIT_FLUSH_MS;
    // glibc flushes stdio only after every destructor: what the program
    // left in a stream on a connection goes out now, while it still runs.
    ts_cookie_flush_all();
    for_each_conn(close_at_exit);
  }
}
