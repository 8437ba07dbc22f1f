// epoll_watch.c — the bookkeeping behind epoll for TLS descriptors.
#include "epoll_watch.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "real.h"

// Kernel registrations of TLS descriptors carry TAG | generation | slot as
// their data. A program's own data may be any value, but these top 32 bits
// are no pointer's and no small integer's, and a random 64-bit value has
// them once in four billion. Events with them are looked for only in sets
// that held TLS descriptors during the wait (ts_epoll_wait).
#define TAG 0xB1A5F00D00000000ULL
#define TAG_MASK 0xFFFFFFFF00000000ULL
#define SLOT_BITS 20
#define MAX_SLOTS (1u << SLOT_BITS)
#define GENERATION_MASK 0xFFFu

// Flags of the program's that shape the kernel registration itself.
// EPOLLEXCLUSIVE is left out: the kernel refuses to change an exclusive
// registration's events, and the TLS layer must (to read for a handshake
// while the program waits to write, for one). Without it, every set waiting
// on the descriptor is woken, which is only less efficient.
#define MODE_FLAGS (EPOLLET | EPOLLONESHOT | EPOLLWAKEUP)

struct watch {
  int fd;                 // -1 when the slot is free
  uint16_t generation;    // tells a stale kernel event from a live one
  uint32_t arming;        // counts the program's ADD and MOD of the slot
  struct ts_conn *conn;   // a reference held by the watch
  uint32_t app_events;    // what the program registered, flags included
  epoll_data_t app_data;  // what the program gets back
  uint32_t registered;    // what the kernel holds now (0: disarmed)
  int fired;              // EPOLLONESHOT delivered; wait for the next MOD
  int edge_valid;         // EPOLLET: |edge_seen| is set
  uint32_t edge_seen;     // EPOLLET: ts_conn_edge_seq when last reported
};

struct epset {
  struct watch *watches;
  size_t capacity;
  size_t used;
};

static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct epset **sets;  // indexed by the epoll descriptor
static size_t num_sets;
static atomic_int total_watches;
static atomic_uint watches_started;  // ever: a wait compares it (see below)

// Threads in a wait on an epoll set, counted by set descriptor modulo the
// table's size (a collision only costs a needless wake-up, see wake_events).
// A waiter counts itself before it looks at the set under ep_lock, so a
// thread that changes a watch under ep_lock afterwards sees it counted.
#define WAITING_SLOTS 64
static atomic_int waiting[WAITING_SLOTS];

static atomic_int *waiting_on(int epfd) {
  return &waiting[(unsigned)epfd % WAITING_SLOTS];
}

int ts_epoll_tracking(void) { return atomic_load(&total_watches) > 0; }

static struct epset *set_of(int epfd, int create) {
  if (epfd < 0) {
    return NULL;
  }
  if ((size_t)epfd >= num_sets) {
    if (!create) {
      return NULL;
    }
    size_t n = (size_t)epfd + 16;
    struct epset **grown = realloc(sets, n * sizeof(*grown));
    if (grown == NULL) {
      return NULL;
    }
    memset(grown + num_sets, 0, (n - num_sets) * sizeof(*grown));
    sets = grown;
    num_sets = n;
  }
  if (sets[epfd] == NULL && create) {
    sets[epfd] = calloc(1, sizeof(struct epset));
  }
  return sets[epfd];
}

static struct watch *find_watch(struct epset *set, int fd) {
  for (size_t i = 0; set != NULL && i < set->capacity; i++) {
    if (set->watches[i].fd == fd) {
      return &set->watches[i];
    }
  }
  return NULL;
}

static struct watch *new_watch(struct epset *set) {
  for (size_t i = 0; i < set->capacity; i++) {
    if (set->watches[i].fd < 0) {
      return &set->watches[i];
    }
  }
  if (set->capacity >= MAX_SLOTS) {
    return NULL;
  }
  size_t n = set->capacity == 0 ? 8 : set->capacity * 2;
  struct watch *grown = realloc(set->watches, n * sizeof(*grown));
  if (grown == NULL) {
    return NULL;
  }
  for (size_t i = set->capacity; i < n; i++) {
    memset(&grown[i], 0, sizeof(grown[i]));
    grown[i].fd = -1;
  }
  set->watches = grown;
  struct watch *w = &grown[set->capacity];
  set->capacity = n;
  return w;
}

static uint64_t tag_of(const struct epset *set, const struct watch *w) {
  return TAG | ((uint64_t)(w->generation & GENERATION_MASK) << SLOT_BITS) |
         (uint64_t)(w - set->watches);
}

static struct watch *watch_of_tag(struct epset *set, uint64_t tag) {
  if ((tag & TAG_MASK) != TAG) {
    return NULL;
  }
  size_t slot = (size_t)(tag & (MAX_SLOTS - 1));
  unsigned generation = (unsigned)(tag >> SLOT_BITS) & GENERATION_MASK;
  if (set == NULL || slot >= set->capacity || set->watches[slot].fd < 0 ||
      (set->watches[slot].generation & GENERATION_MASK) != generation) {
    return NULL;
  }
  return &set->watches[slot];
}

static void drop_watch(struct epset *set, struct watch *w) {
  ts_conn_put(w->conn);
  w->conn = NULL;
  w->fd = -1;
  w->generation++;
  set->used--;
  atomic_fetch_sub(&total_watches, 1);
}

// desired_events is what the kernel should watch for |w| now; |*out_early|
// gets what is already true without the kernel.
static uint32_t desired_events(struct watch *w, uint32_t *out_early) {
  uint32_t kernel = 0;
  uint32_t app = w->app_events & ~MODE_FLAGS;
  *out_early = ts_conn_ready_prepare(w->conn, w->fd, app, &kernel);
  if (w->fired) {
    *out_early = 0;
    return 0;
  }
  return kernel | (w->app_events & MODE_FLAGS);
}

// wake_events is |want| for a watch that the program has just added or
// changed, with its TLS layer already ready (|early|): another thread may be
// blocked in the kernel on this set, and the kernel cannot see decrypted
// bytes waiting. EPOLLOUT, true of a connection that can take more bytes,
// makes the kernel report the watch at once and wake that thread, which
// then finds what the TLS layer holds; the next wait on the set registers
// |want| alone again. Not when nobody waits, so that a one-thread program
// pays no extra system call.
static uint32_t wake_events(int epfd, const struct watch *w, uint32_t want,
                            uint32_t early) {
  if (early == 0 || w->fired || atomic_load(waiting_on(epfd)) == 0) {
    return want;
  }
  return want | EPOLLOUT;
}

static int kernel_sync(int epfd, struct epset *set, struct watch *w, int op,
                       uint32_t events) {
  struct epoll_event ev = {.events = events};
  ev.data.u64 = tag_of(set, w);
  if (TS_REAL(epoll_ctl)(epfd, op, w->fd, &ev) < 0) {
    return -errno;
  }
  w->registered = events;
  return 0;
}

// start_watch makes |fd| a watch of |epfd| with the program's |app_events|
// and |app_data|, and registers it with the kernel by |op|: EPOLL_CTL_ADD,
// or EPOLL_CTL_MOD to take over a registration the program made before the
// socket became TLS. |exists| is returned when the set already watches |fd|.
static int start_watch(int epfd, int fd, struct ts_conn *conn,
                       uint32_t app_events, epoll_data_t app_data, int op,
                       int exists) {
  struct epset *set = set_of(epfd, 1);
  if (set == NULL) {
    return -ENOMEM;
  }
  if (find_watch(set, fd) != NULL) {
    return exists;
  }
  struct watch *w = new_watch(set);
  if (w == NULL) {
    return -ENOMEM;
  }
  w->fd = fd;
  w->conn = conn;
  ts_fdentry_ref(&conn->entry);
  w->app_events = app_events;
  w->app_data = app_data;
  w->arming++;
  w->fired = 0;
  w->edge_valid = 0;  // like the kernel's, a new registration reports
  set->used++;
  atomic_fetch_add(&total_watches, 1);
  atomic_fetch_add(&watches_started, 1);  // before the kernel sees the tag
  uint32_t early = 0;
  uint32_t want = desired_events(w, &early);
  int r = kernel_sync(epfd, set, w, op, wake_events(epfd, w, want, early));
  if (r < 0) {
    drop_watch(set, w);
  }
  return r;
}

static int ctl_add(int epfd, int fd, struct ts_conn *conn,
                   const struct epoll_event *event) {
  return start_watch(epfd, fd, conn, event->events, event->data, EPOLL_CTL_ADD,
                     -EEXIST);
}

// adopt_locked takes over a kernel registration of |fd| that the program
// made before the socket became a TLS connection: the watch gets the
// program's events and data, the kernel our tag and the TLS layer's needs.
// The kernel refuses to modify an EPOLLEXCLUSIVE registration, so that one
// is replaced, without the flag (see MODE_FLAGS). Returns 0, or -ENOENT
// when the kernel holds no such registration.
static int adopt_locked(int epfd, int fd, struct ts_conn *conn,
                        uint32_t app_events, epoll_data_t app_data) {
  int r = start_watch(epfd, fd, conn, app_events, app_data, EPOLL_CTL_MOD, 0);
  if (r == -EINVAL) {
    struct epoll_event unused = {0};
    if (TS_REAL(epoll_ctl)(epfd, EPOLL_CTL_DEL, fd, &unused) < 0) {
      return -errno;
    }
    r = start_watch(epfd, fd, conn, app_events, app_data, EPOLL_CTL_ADD, 0);
  }
  return r;
}

int ts_epoll_adopt(int epfd, int fd, struct ts_conn *conn, uint32_t app_events,
                   epoll_data_t app_data) {
  pthread_mutex_lock(&ep_lock);
  int r = adopt_locked(epfd, fd, conn, app_events, app_data);
  pthread_mutex_unlock(&ep_lock);
  return r;
}

static int ctl_mod_del(int epfd, int op, struct ts_conn *conn, int fd,
                       const struct epoll_event *event) {
  struct epset *set = set_of(epfd, 0);
  struct watch *w = find_watch(set, fd);
  if (w == NULL && op == EPOLL_CTL_MOD && conn != NULL) {
    // Registered before connect() made it TLS: the MOD replaces the
    // program's events and data, so the registration is ours to take over.
    return adopt_locked(epfd, fd, conn, event->events, event->data);
  }
  if (w == NULL) {
    return -ENOENT;
  }
  if (op == EPOLL_CTL_DEL) {
    struct epoll_event unused = {0};
    int r =
        TS_REAL(epoll_ctl)(epfd, EPOLL_CTL_DEL, fd, &unused) < 0 ? -errno : 0;
    drop_watch(set, w);
    return r;
  }
  w->app_events = event->events;
  w->app_data = event->data;
  w->arming++;  // candidates found before this MOD are stale
  w->fired = 0;
  w->edge_valid = 0;  // the kernel's EPOLL_CTL_MOD reports what is ready
  uint32_t early = 0;
  uint32_t want = desired_events(w, &early);
  return kernel_sync(epfd, set, w, EPOLL_CTL_MOD,
                     wake_events(epfd, w, want, early));
}

int ts_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  if (op == EPOLL_CTL_DEL) {
    pthread_mutex_lock(&ep_lock);
    int tracked = find_watch(set_of(epfd, 0), fd) != NULL;
    int r = tracked ? ctl_mod_del(epfd, op, NULL, fd, event) : 1;
    pthread_mutex_unlock(&ep_lock);
    return r;
  }
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return 1;
  }
  if (event == NULL) {
    ts_conn_put(conn);
    return -EFAULT;
  }
  pthread_mutex_lock(&ep_lock);
  int r = op == EPOLL_CTL_ADD ? ctl_add(epfd, fd, conn, event)
                              : ctl_mod_del(epfd, op, conn, fd, event);
  pthread_mutex_unlock(&ep_lock);
  ts_conn_put(conn);
  return r;
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
// ones already ready into |early|. Returns how many, or -errno.
static int prepare_set(int epfd, struct candidate *early, int max) {
  int n = 0;
  pthread_mutex_lock(&ep_lock);
  struct epset *set = set_of(epfd, 0);
  for (size_t i = 0; set != NULL && i < set->capacity; i++) {
    struct watch *w = &set->watches[i];
    if (w->fd < 0) {
      continue;
    }
    uint32_t ready = 0;
    uint32_t seq = ts_conn_edge_seq(w->conn, w->fd);
    uint32_t want = desired_events(w, &ready);
    if (want != w->registered && !w->fired) {
      (void)kernel_sync(epfd, set, w, EPOLL_CTL_MOD, want);
    }
    if ((w->app_events & EPOLLET) && w->edge_valid && w->edge_seen == seq) {
      ready = 0;  // reported already, and nothing new reached the TLS layer
    }
    if (ready != 0 && n < max) {
      ts_fdentry_ref(&w->conn->entry);
      early[n++] = (struct candidate){.conn = w->conn,
                                      .fd = w->fd,
                                      .tag = tag_of(set, w),
                                      .app_events = w->app_events,
                                      .app_data = w->app_data,
                                      .early = ready,
                                      .edge_seq = seq,
                                      .arming = w->arming};
    }
  }
  pthread_mutex_unlock(&ep_lock);
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
  pthread_mutex_lock(&ep_lock);
  struct epset *set = set_of(epfd, 0);
  for (int i = 0; i < nk; i++) {
    if ((kev[i].data.u64 & TAG_MASK) != TAG) {
      out[n_out++] = kev[i];
      continue;
    }
    struct watch *w = watch_of_tag(set, kev[i].data.u64);
    if (w == NULL) {
      continue;  // removed while we waited
    }
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
  pthread_mutex_unlock(&ep_lock);
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
  pthread_mutex_lock(&ep_lock);
  struct watch *w = watch_of_tag(set_of(epfd, 0), c->tag);
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
  pthread_mutex_unlock(&ep_lock);
  return ok;
}

// give_back undoes the take of a candidate that was not reported after all:
// its kernel event only fed the TLS layer, or |out| was full. The watch
// reports afresh (an EPOLLET one may report once more than the kernel would).
static void give_back(int epfd, const struct candidate *c) {
  pthread_mutex_lock(&ep_lock);
  struct watch *w = watch_of_tag(set_of(epfd, 0), c->tag);
  if (w != NULL && w->arming == c->arming) {
    w->fired = 0;
    w->edge_valid = 0;
  }
  pthread_mutex_unlock(&ep_lock);
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
  pthread_mutex_lock(&ep_lock);
  struct epset *set = set_of(epfd, 0);
  int watched = set != NULL && set->used > 0;
  pthread_mutex_unlock(&ep_lock);
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
  unsigned started = atomic_load(&watches_started);
  if (!ts_epoll_tracking() || !set_is_watched(epfd)) {
    // A set without TLS descriptors: the program's own wait, untouched,
    // unless a watch was made meanwhile and the kernel reports it.
    int r = kernel_wait_as_asked(epfd, events, max_events, call);
    if (r <= 0 || atomic_load(&watches_started) == started ||
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

static void forget_locked(int fd) {
  for (size_t s = 0; s < num_sets; s++) {
    struct epset *set = sets[s];
    struct watch *w = find_watch(set, fd);
    if (w != NULL) {
      drop_watch(set, w);
    }
  }
  if (fd >= 0 && (size_t)fd < num_sets && sets[fd] != NULL) {
    struct epset *set = sets[fd];
    for (size_t i = 0; i < set->capacity; i++) {
      if (set->watches[i].fd >= 0) {
        drop_watch(set, &set->watches[i]);
      }
    }
    free(set->watches);
    free(set);
    sets[fd] = NULL;
  }
}

void ts_epoll_forget_fd(int fd) {
  if (num_sets == 0) {
    return;
  }
  pthread_mutex_lock(&ep_lock);
  forget_locked(fd);
  pthread_mutex_unlock(&ep_lock);
}

void ts_epoll_forget_range(unsigned int first, unsigned int last) {
  pthread_mutex_lock(&ep_lock);
  for (size_t s = 0; s < num_sets; s++) {
    struct epset *set = sets[s];
    for (size_t i = 0; set != NULL && i < set->capacity; i++) {
      int fd = set->watches[i].fd;
      if (fd >= 0 && (unsigned int)fd >= first && (unsigned int)fd <= last) {
        drop_watch(set, &set->watches[i]);
      }
    }
  }
  for (size_t s = first; s < num_sets && s <= last; s++) {
    forget_locked((int)s);
  }
  pthread_mutex_unlock(&ep_lock);
}

void ts_epoll_after_fork_child(void) {
  pthread_mutex_init(&ep_lock, NULL);
  for (int i = 0; i < WAITING_SLOTS; i++) {
    atomic_store(&waiting[i], 0);  // the child's one thread is not waiting
  }
}
