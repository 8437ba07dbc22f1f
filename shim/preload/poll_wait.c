// poll_wait.c — the readiness loop shared by poll, ppoll, select and pselect.
#include "poll_wait.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "real.h"

// Sets up to this size live on the stack; larger ones are allocated.
#define STACK_FDS 32

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ts_poll_needed(const struct pollfd *fds, nfds_t nfds) {
  if (ts_fdtable_count() == 0) {
    return 0;
  }
  for (nfds_t i = 0; i < nfds; i++) {
    struct ts_conn *conn = ts_conn_get(fds[i].fd);
    if (conn != NULL) {
      ts_conn_put(conn);
      return 1;
    }
  }
  return 0;
}

struct poll_state {
  struct pollfd *kernel;   // what the kernel is asked
  struct ts_conn **conns;  // NULL where the descriptor carries no TLS
  uint32_t *early;         // readiness known without the kernel
};

// follow_fd makes |st->conns[i]| the connection that |fd| names now: while
// the kernel waited, another thread may have closed the descriptor, or put
// another in its place with dup2 (Java's Socket.close() does, to wake its
// reader). Returns 1 when that changed.
static int follow_fd(struct poll_state *st, nfds_t i, int fd) {
  struct ts_conn *now = ts_conn_get(fd);
  if (now == st->conns[i]) {
    ts_conn_put(now);
    return 0;
  }
  ts_conn_put(st->conns[i]);
  st->conns[i] = now;
  return 1;
}

// one_round asks the kernel once, waiting up to |wait| (NULL: forever), and
// fills |fds[].revents|. Returns the ready count or -errno.
static int one_round(struct pollfd *fds, nfds_t nfds, struct poll_state *st,
                     const struct timespec *wait, const sigset_t *sigmask) {
  int early_count = 0;
  for (nfds_t i = 0; i < nfds; i++) {
    st->kernel[i] = fds[i];
    st->kernel[i].revents = 0;
    st->early[i] = 0;
    if (st->conns[i] != NULL) {
      uint32_t kernel_events = 0;
      st->early[i] = ts_conn_ready_prepare(
          st->conns[i], fds[i].fd, (uint16_t)fds[i].events, 1, &kernel_events);
      st->kernel[i].events = (short)kernel_events;
      early_count += st->early[i] != 0;
    }
  }
  struct timespec zero = {0, 0};
  int r =
      TS_REAL(ppoll)(st->kernel, nfds, early_count > 0 ? &zero : wait, sigmask);
  if (r < 0) {
    if (early_count == 0) {
      return -errno;
    }
    for (nfds_t i = 0; i < nfds; i++) {
      st->kernel[i].revents = 0;
    }
  }
  int ready = 0;
  for (nfds_t i = 0; i < nfds; i++) {
    uint32_t revents = (uint16_t)st->kernel[i].revents;
    if (st->conns[i] != NULL) {
      uint32_t wanted = (uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL;
      if (follow_fd(st, i, fds[i].fd)) {
        // The kernel looked at what the number names now: POLLNVAL after a
        // close, another file's events after a dup2. A new TLS connection
        // there is asked in the next round.
        revents = st->conns[i] == NULL ? revents & wanted : 0;
      } else {
        if (revents != 0) {
          revents = ts_conn_ready_complete(st->conns[i], fds[i].fd,
                                           (uint16_t)fds[i].events, revents);
        }
        revents = (revents | st->early[i]) & wanted;
      }
    }
    fds[i].revents = (short)revents;
    ready += revents != 0;
  }
  return ready;
}

static int poll_loop(struct pollfd *fds, nfds_t nfds, struct poll_state *st,
                     const struct timespec *timeout, const sigset_t *sigmask) {
  int64_t deadline = 0;
  if (timeout != NULL) {
    deadline =
        now_ns() + (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
  }
  for (;;) {
    struct timespec left;
    const struct timespec *wait = NULL;
    if (timeout != NULL) {
      int64_t ns = deadline - now_ns();
      if (ns < 0) {
        ns = 0;
      }
      left.tv_sec = ns / 1000000000;
      left.tv_nsec = ns % 1000000000;
      wait = &left;
    }
    int r = one_round(fds, nfds, st, wait, sigmask);
    // Zero ready with time left means the kernel's events went to TLS
    // (a handshake step, a session ticket): wait again for the program.
    if (r != 0 || (timeout != NULL && now_ns() >= deadline)) {
      return r;
    }
    for (nfds_t i = 0; i < nfds; i++) {
      if (st->conns[i] != NULL) {
        ts_conn_touch(st->conns[i]);  // what the round did counts (conn.h)
      }
    }
  }
}

int ts_poll_wait(struct pollfd *fds, nfds_t nfds,
                 const struct timespec *timeout, const sigset_t *sigmask) {
  struct pollfd kernel_stack[STACK_FDS];
  struct ts_conn *conns_stack[STACK_FDS];
  uint32_t early_stack[STACK_FDS];
  struct poll_state st = {kernel_stack, conns_stack, early_stack};
  if (nfds > STACK_FDS) {
    st.kernel = calloc(nfds, sizeof(*st.kernel));
    st.conns = calloc(nfds, sizeof(*st.conns));
    st.early = calloc(nfds, sizeof(*st.early));
    if (st.kernel == NULL || st.conns == NULL || st.early == NULL) {
      free(st.kernel);
      free(st.conns);
      free(st.early);
      return -ENOMEM;
    }
  }
  for (nfds_t i = 0; i < nfds; i++) {
    st.conns[i] = fds[i].fd < 0 ? NULL : ts_conn_get(fds[i].fd);
  }
  int r = poll_loop(fds, nfds, &st, timeout, sigmask);
  for (nfds_t i = 0; i < nfds; i++) {
    ts_conn_put(st.conns[i]);
  }
  if (nfds > STACK_FDS) {
    free(st.kernel);
    free(st.conns);
    free(st.early);
  }
  return r;
}
