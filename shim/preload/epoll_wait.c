// epoll_wait.c — epoll waits on sets that hold TLS descriptors: each round
// re-registers what the TLS layer needs, collects what it holds ready,
// waits in the kernel, translates the kernel's events back and reports
// what the program asked for, each event to one waiting thread.
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "conn.h"
#include "epoll_set.h"
#include "epoll_watch.h"
#include "real.h"

// Threads in a wait on an epoll set, counted by set descriptor modulo the
// table's size (a collision only costs a needless wake-up, see
// epoll_watch.c's wake_events). A waiter counts itself before it looks at
// the set under ts_ep_lock, so a thread that changes a watch under the lock
// afterwards sees it counted.
#define WAITING_SLOTS 64
static atomic_int waiting[WAITING_SLOTS];

static atomic_int *waiting_on(int epfd) {
  return &waiting[(unsigned)epfd % WAITING_SLOTS];
}

int ts_epoll_someone_waits(int epfd) {
  return atomic_load(waiting_on(epfd)) != 0;
}

void ts_epoll_waits_after_fork_child(void) {
  for (int i = 0; i < WAITING_SLOTS; i++) {
    atomic_store(&waiting[i], 0);  // the child's one thread is not waiting
  }
}

// A TLS descriptor found ready, with what is needed to report it.
struct candidate {
  struct ts_conn *conn;  // referenced
  int fd;
  uint64_t tag;
  uint32_t app_events;
  epoll_data_t app_data;
  uint32_t kernel_revents;
  uint32_t early;
  uint32_t edge_seq;  // ts_conn_edge_seq before the TLS layer was asked
  uint32_t arming;    // the watch's arming when found
};

// prepare_set re-registers every watch whose needs changed and collects the
// ones already ready into |early|. A watch found quiet (nothing ready, the
// kernel registered as needed) is passed over while its connection's
// ts_conn_quiet_seq stays the same, so that idle connections cost a wait
// almost nothing.
// Returns how many, or -errno.
static int prepare_set(int epfd, struct candidate *early, int max) {
  int n = 0;
  pthread_mutex_lock(&ts_ep_lock);
  struct epset *set = ts_epset_of(epfd, 0);
  for (size_t i = 0; set != NULL && i < set->capacity; i++) {
    struct watch *w = &set->watches[i];
    if (w->fd < 0) {
      continue;
    }
    uint32_t quiet_seq = ts_conn_quiet_seq(w->conn, w->fd);
    if (w->quiet && w->quiet_seq == quiet_seq) {
      continue;
    }
    uint32_t ready = 0;
    uint32_t seq = ts_conn_edge_seq(w->conn, w->fd);
    uint32_t want = ts_watch_desired(w, 1, &ready);
    if (want != w->registered && !w->fired) {
      (void)ts_watch_sync(epfd, set, w, EPOLL_CTL_MOD, want);
    }
    w->quiet = ready == 0 && want == w->registered;
    w->quiet_seq = quiet_seq;
    if ((w->app_events & EPOLLET) && w->edge_valid && w->edge_seen == seq) {
      ready = 0;  // reported already, and nothing new reached the TLS layer
    }
    if (ready != 0 && n < max) {
      ts_fdentry_ref(&w->conn->entry);
      early[n++] = (struct candidate){.conn = w->conn,
                                      .fd = w->fd,
                                      .tag = ts_watch_tag(set, w),
                                      .app_events = w->app_events,
                                      .app_data = w->app_data,
                                      .early = ready,
                                      .edge_seq = seq,
                                      .arming = w->arming};
    }
  }
  pthread_mutex_unlock(&ts_ep_lock);
  return n;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// kernel_wait waits in the kernel up to |ns| nanoseconds (TS_WAIT_FOREVER:
// no limit), in the call the program made, so that it never meets a system
// call it did not make itself (a seccomp filter may allow only those):
// epoll_pwait2 to the nanosecond; epoll_wait or epoll_pwait with the time
// rounded up to whole milliseconds, so that no wait is cut short. Returns
// the count or -errno.
static int kernel_wait(int epfd, struct epoll_event *kev, int max_events,
                       int64_t ns, const struct ts_epoll_call *call) {
  int n;
  int64_t ms = ns < 0 ? -1 : (ns + 999999) / 1000000;
  int ms_int = ms > INT_MAX ? INT_MAX : (int)ms;
  if (call->kind == TS_EPOLL_PWAIT2) {
    struct timespec ts = {.tv_sec = ns / 1000000000,
                          .tv_nsec = ns % 1000000000};
    n = TS_REAL(epoll_pwait2)(epfd, kev, max_events, ns < 0 ? NULL : &ts,
                              call->sigmask);
  } else if (call->kind == TS_EPOLL_PWAIT) {
    n = TS_REAL(epoll_pwait)(epfd, kev, max_events, ms_int, call->sigmask);
  } else {
    n = TS_REAL(epoll_wait)(epfd, kev, max_events, ms_int);
  }
  return n < 0 ? -errno : n;
}

// kernel_wait_as_asked is the program's own call, arguments untouched.
static int kernel_wait_as_asked(int epfd, struct epoll_event *events,
                                int max_events,
                                const struct ts_epoll_call *call) {
  int n;
  if (call->kind == TS_EPOLL_PWAIT2) {
    n = TS_REAL(epoll_pwait2)(epfd, events, max_events, call->timeout,
                              call->sigmask);
  } else if (call->kind == TS_EPOLL_PWAIT) {
    n = TS_REAL(epoll_pwait)(epfd, events, max_events, call->timeout_ms,
                             call->sigmask);
  } else {
    n = TS_REAL(epoll_wait)(epfd, events, max_events, call->timeout_ms);
  }
  return n < 0 ? -errno : n;
}

// Longer waits are waits without end (about 146 years).
#define LONGEST_WAIT_NS (INT64_MAX / 2)

// timeout_ns is the call's timeout in nanoseconds (TS_WAIT_FOREVER: none),
// or -EINVAL for an epoll_pwait2 timeout the kernel would refuse.
static int64_t timeout_ns(const struct ts_epoll_call *call) {
  if (call->kind != TS_EPOLL_PWAIT2) {
    return call->timeout_ms < 0 ? TS_WAIT_FOREVER
                                : (int64_t)call->timeout_ms * 1000000;
  }
  const struct timespec *t = call->timeout;
  if (t == NULL) {
    return TS_WAIT_FOREVER;
  }
  if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000L) {
    return -EINVAL;
  }
  if (t->tv_sec >= LONGEST_WAIT_NS / 1000000000) {
    return TS_WAIT_FOREVER;
  }
  return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

// resolve_kernel turns kernel events into candidates (TLS) or copies them
// straight to |out| (not TLS); |out| may be |kev| itself. Returns the number
// written to |out|.
static int resolve_kernel(int epfd, struct epoll_event *kev, int nk,
                          struct candidate *cands, int *ncands,
                          struct epoll_event *out) {
  int n_out = 0;
  pthread_mutex_lock(&ts_ep_lock);
  struct epset *set = ts_epset_of(epfd, 0);
  for (int i = 0; i < nk; i++) {
    if ((kev[i].data.u64 & TAG_MASK) != TAG) {
      out[n_out++] = kev[i];
      continue;
    }
    struct watch *w = ts_watch_of_tag(set, kev[i].data.u64);
    if (w == NULL) {
      continue;  // removed while we waited
    }
    w->quiet = 0;  // the kernel's news changes the TLS layer (report)
    if (w->app_events & EPOLLONESHOT) {
      w->registered = 0;  // the kernel disarmed it
    }
    if (w->fired) {
      continue;  // delivered already, from what the TLS layer held: the
                 // program has not re-armed it
    }
    int j = 0;
    while (j < *ncands && cands[j].tag != kev[i].data.u64) {
      j++;
    }
    if (j == *ncands) {
      ts_fdentry_ref(&w->conn->entry);
      cands[j] =
          (struct candidate){.conn = w->conn,
                             .fd = w->fd,
                             .tag = kev[i].data.u64,
                             .app_events = w->app_events,
                             .app_data = w->app_data,
                             .edge_seq = ts_conn_edge_seq(w->conn, w->fd),
                             .arming = w->arming};
      (*ncands)++;
    }
    cands[j].kernel_revents = kev[i].events;
  }
  pthread_mutex_unlock(&ts_ep_lock);
  return n_out;
}

// take claims |c| for this thread before it is reported, as the kernel hands
// each of its events to one waiter and never reports a registration after
// the EPOLL_CTL_DEL or EPOLL_CTL_MOD that replaced it. Several threads
// waiting on one set may each have found |c|. Refused (0) when the watch is
// gone or was re-armed since |c| was found, when another thread reported
// this EPOLLONESHOT arming, or, for EPOLLET, the TLS layer's state |c| saw
// (a kernel event of its own is always news). A take of an EPOLLONESHOT or
// EPOLLET watch marks it reported; give_back undoes that.
static int take(int epfd, const struct candidate *c) {
  int ok = 0;
  pthread_mutex_lock(&ts_ep_lock);
  struct watch *w = ts_watch_of_tag(ts_epset_of(epfd, 0), c->tag);
  if (w != NULL && w->arming == c->arming) {
    if (c->app_events & EPOLLONESHOT) {
      ok = !w->fired;
      w->fired = 1;
    } else if (c->app_events & EPOLLET) {
      ok = c->kernel_revents != 0 ||
           !(w->edge_valid && w->edge_seen == c->edge_seq);
    } else {
      ok = 1;
    }
    if (ok && (c->app_events & (EPOLLONESHOT | EPOLLET))) {
      w->edge_valid = 1;
      w->edge_seen = c->edge_seq;
    }
  }
  pthread_mutex_unlock(&ts_ep_lock);
  return ok;
}

// give_back undoes the take of a candidate that was not reported after all:
// its kernel event only fed the TLS layer, or |out| was full. The watch
// reports afresh (an EPOLLET one may report once more than the kernel
// would). A kernel event it had is asked for again: the next round
// re-registers the watch, and the kernel reports what is still true (an
// EPOLLET writable edge would be lost otherwise).
static void give_back(int epfd, const struct candidate *c) {
  pthread_mutex_lock(&ts_ep_lock);
  struct watch *w = ts_watch_of_tag(ts_epset_of(epfd, 0), c->tag);
  if (w != NULL && w->arming == c->arming) {
    w->fired = 0;
    w->edge_valid = 0;
    if (c->kernel_revents != 0) {
      w->registered = 0;
      w->quiet = 0;
    }
  }
  pthread_mutex_unlock(&ts_ep_lock);
}

// report adds the program's view of each candidate to |out|.
static int report(int epfd, struct candidate *cands, int ncands,
                  struct epoll_event *out, int n_out, int max_events) {
  for (int i = 0; i < ncands; i++) {
    struct candidate *c = &cands[i];
    if (!take(epfd, c)) {
      ts_conn_put(c->conn);
      continue;
    }
    uint32_t app = c->app_events & ~MODE_FLAGS;
    uint32_t rev = c->early;
    if (c->kernel_revents != 0) {
      rev |= ts_conn_ready_complete(c->conn, c->fd, app, c->kernel_revents);
    }
    rev &= app | EPOLLERR | EPOLLHUP;
    if (rev != 0 && n_out < max_events) {
      out[n_out].events = rev;
      out[n_out].data = c->app_data;
      n_out++;
    } else if (c->app_events & (EPOLLONESHOT | EPOLLET)) {
      give_back(epfd, c);
    }
    ts_conn_put(c->conn);
  }
  return n_out;
}

static int wait_round(int epfd, struct epoll_event *events, int max_events,
                      int64_t timeout_ns, const struct ts_epoll_call *call,
                      struct epoll_event *kev, struct candidate *cands) {
  int ncands = prepare_set(epfd, cands, max_events);
  int nk =
      kernel_wait(epfd, kev, max_events, ncands > 0 ? 0 : timeout_ns, call);
  if (nk < 0) {
    if (ncands == 0) {
      return nk;
    }
    nk = 0;
  }
  int n_out = resolve_kernel(epfd, kev, nk, cands, &ncands, events);
  return report(epfd, cands, ncands, events, n_out, max_events);
}

// Event arrays up to this size live on the stack.
#define STACK_EVENTS 64

static int set_is_watched(int epfd) {
  pthread_mutex_lock(&ts_ep_lock);
  struct epset *set = ts_epset_of(epfd, 0);
  int watched = set != NULL && set->used > 0;
  pthread_mutex_unlock(&ts_ep_lock);
  return watched;
}

static int has_tag(const struct epoll_event *events, int n) {
  for (int i = 0; i < n; i++) {
    if ((events[i].data.u64 & TAG_MASK) == TAG) {
      return 1;
    }
  }
  return 0;
}

// translate turns, in place, the |n| kernel events of a wait that began
// while |epfd| held no TLS descriptor: another thread added one meanwhile.
// A stretch at a time, so that nothing is allocated after the kernel has
// handed its events over. Returns how many events the program gets.
static int translate(int epfd, struct epoll_event *events, int n) {
  struct candidate cands[STACK_EVENTS];
  int n_out = 0;
  for (int i = 0; i < n; i += STACK_EVENTS) {
    int stretch = n - i < STACK_EVENTS ? n - i : STACK_EVENTS;
    int ncands = 0;
    // Reads events[i..], writes events[n_out..], n_out <= i.
    n_out += resolve_kernel(epfd, events + i, stretch, cands, &ncands,
                            events + n_out);
    n_out = report(epfd, cands, ncands, events, n_out, i + stretch);
  }
  return n_out;
}

static int expired(int64_t deadline) {
  return deadline >= 0 && now_ns() >= deadline;
}

// wait_watched is the wait for a set that holds TLS descriptors: rounds of
// prepare_set, the kernel and report until something is reported or the
// time is up.
static int wait_watched(int epfd, struct epoll_event *events, int max_events,
                        int64_t deadline, const struct ts_epoll_call *call) {
  struct epoll_event kev_stack[STACK_EVENTS];
  struct candidate cands_stack[2 * STACK_EVENTS];
  struct epoll_event *kev = kev_stack;
  struct candidate *cands = cands_stack;
  if (max_events > STACK_EVENTS) {
    kev = calloc((size_t)max_events, sizeof(*kev));
    cands = calloc((size_t)max_events * 2, sizeof(*cands));
    if (kev == NULL || cands == NULL) {
      free(kev);
      free(cands);
      return -ENOMEM;
    }
  }
  int r;
  for (;;) {
    int64_t left = TS_WAIT_FOREVER;
    if (deadline >= 0) {
      left = deadline - now_ns();
      left = left < 0 ? 0 : left;
    }
    r = wait_round(epfd, events, max_events, left, call, kev, cands);
    // Zero with time left: the kernel's events only fed the TLS layer.
    if (r != 0 || expired(deadline)) {
      break;
    }
  }
  if (max_events > STACK_EVENTS) {
    free(kev);
    free(cands);
  }
  return r;
}

static int wait_counted(int epfd, struct epoll_event *events, int max_events,
                        const struct ts_epoll_call *call) {
  unsigned started = atomic_load(&ts_epoll_watches_started);
  if (!ts_epoll_tracking() || !set_is_watched(epfd)) {
    // A set without TLS descriptors: the program's own wait, untouched,
    // unless a watch was made meanwhile and the kernel reports it.
    int r = kernel_wait_as_asked(epfd, events, max_events, call);
    if (r <= 0 || atomic_load(&ts_epoll_watches_started) == started ||
        !has_tag(events, r)) {
      return r;
    }
    r = translate(epfd, events, r);
    if (r != 0 || timeout_ns(call) == 0) {
      return r;
    }
    // The events only fed the TLS layer. Waiting on for the whole timeout
    // again (not what is left of it: the common path reads no clock) can
    // at most double a wait, and only in this race.
  }
  int64_t ns = timeout_ns(call);
  if (ns == -EINVAL) {
    return -EINVAL;
  }
  return wait_watched(epfd, events, max_events, ns < 0 ? -1 : now_ns() + ns,
                      call);
}

static void uncount(void *counter) {
  atomic_fetch_sub((atomic_int *)counter, 1);
}

int ts_epoll_wait(int epfd, struct epoll_event *events, int max_events,
                  const struct ts_epoll_call *call) {
  if (max_events <= 0) {
    return -EINVAL;
  }
  // The count stays right if the thread is cancelled in the wait.
  atomic_int *counter = waiting_on(epfd);
  atomic_fetch_add(counter, 1);
  int r;
  pthread_cleanup_push(uncount, counter);
  r = wait_counted(epfd, events, max_events, call);
  pthread_cleanup_pop(1);
  return r;
}
