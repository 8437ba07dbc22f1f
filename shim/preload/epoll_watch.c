// epoll_watch.c — the bookkeeping behind epoll for TLS descriptors: the
// program's epoll_ctl, and forgetting what is closed. The waits are in
// epoll_wait.c.
#include "epoll_watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "epoll_set.h"
#include "real.h"

pthread_mutex_t ts_ep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct epset **sets;  // indexed by the epoll descriptor
static size_t num_sets;

// Descriptors below KNOWN_FDS that may have a set or a watch here, by bit:
// set before either is made, cleared once close has forgotten them. close()
// of any other descriptor, which is most of them, leaves ts_ep_lock alone,
// so a signal handler's close() cannot deadlock on it against the thread it
// interrupted (async-signal-safe, as close is meant to be). Above it, the
// lock is always taken.
#define KNOWN_FDS 65536
static _Atomic uint64_t known[KNOWN_FDS / 64];

static void know(int fd) {
  if (fd >= 0 && fd < KNOWN_FDS) {
    atomic_fetch_or(&known[fd / 64], 1ULL << (fd % 64));
  }
}

static int may_know(int fd) {
  return fd < 0 || fd >= KNOWN_FDS ||
         (atomic_load_explicit(&known[fd / 64], memory_order_relaxed) &
          (1ULL << (fd % 64))) != 0;
}

static void unknow(int fd) {
  if (fd >= 0 && fd < KNOWN_FDS) {
    atomic_fetch_and(&known[fd / 64], ~(1ULL << (fd % 64)));
  }
}

static atomic_int total_watches;
atomic_uint ts_epoll_watches_started;

int ts_epoll_tracking(void) { return atomic_load(&total_watches) > 0; }

struct epset *ts_epset_of(int epfd, int create) {
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
    know(epfd);
    sets[epfd] = calloc(1, sizeof(struct epset));
  }
  return sets[epfd];
}

// Each set finds a descriptor's watch through a hash table of its own
// (linear probing, at most half full), so that epoll_ctl and close cost the
// same with ten thousand watches as with ten, and the table's size follows
// the number of watches, not the highest descriptor number. A slot's home
// is the top bits of a multiplicative hash, which spreads descriptors that
// differ by a power of two as well as consecutive ones.
static size_t fd_home(int fd, size_t cap) {
  int bits = __builtin_ctzl(cap);  // |cap| is a power of two, at least 16
  return (size_t)(((uint32_t)fd * 2654435761u) >> (32 - bits));
}

static struct fd_slot *index_entry(const struct epset *set, int fd) {
  if (set == NULL || fd < 0 || set->index_cap == 0) {
    return NULL;
  }
  size_t mask = set->index_cap - 1;
  for (size_t i = fd_home(fd, set->index_cap);; i = (i + 1) & mask) {
    if (set->index[i].fd == fd) {
      return &set->index[i];
    }
    if (set->index[i].fd < 0) {
      return NULL;
    }
  }
}

static void index_put(struct fd_slot *index, size_t cap, int fd,
                      uint32_t slot) {
  size_t i = fd_home(fd, cap);
  while (index[i].fd >= 0) {
    i = (i + 1) & (cap - 1);
  }
  index[i] = (struct fd_slot){.fd = fd, .slot = slot};
}

// index_reserve makes room in |set|'s table for one more descriptor. A
// larger table is filled before it replaces the old one.
static int index_reserve(struct epset *set) {
  if ((set->used + 1) * 2 <= set->index_cap) {  // |used|: the entries
    return 1;
  }
  size_t n = set->index_cap == 0 ? 16 : set->index_cap * 2;
  struct fd_slot *grown = malloc(n * sizeof(*grown));
  if (grown == NULL) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    grown[i].fd = -1;
  }
  for (size_t i = 0; i < set->index_cap; i++) {
    if (set->index[i].fd >= 0) {
      index_put(grown, n, set->index[i].fd, set->index[i].slot);
    }
  }
  free(set->index);
  set->index = grown;
  set->index_cap = n;
  return 1;
}

// index_remove takes |e| out, moving back the entries after it that would
// otherwise no longer be found.
static void index_remove(struct epset *set, struct fd_slot *e) {
  size_t mask = set->index_cap - 1;
  size_t hole = (size_t)(e - set->index);
  for (size_t j = (hole + 1) & mask; set->index[j].fd >= 0;
       j = (j + 1) & mask) {
    size_t home = fd_home(set->index[j].fd, set->index_cap);
    // The entry at j may fill the hole unless its home lies after the hole,
    // up to j (cyclically).
    int stays =
        hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      set->index[hole] = set->index[j];
      hole = j;
    }
  }
  set->index[hole].fd = -1;
}

static struct watch *find_watch(struct epset *set, int fd) {
  struct fd_slot *e = index_entry(set, fd);
  if (e == NULL || e->slot >= set->capacity || set->watches[e->slot].fd != fd) {
    return NULL;  // never, while the index and the slots agree
  }
  return &set->watches[e->slot];
}

// grow_slots doubles |set|'s slots; the new ones go on the free stack.
static int grow_slots(struct epset *set) {
  if (set->capacity >= MAX_SLOTS) {
    return 0;
  }
  size_t n = set->capacity == 0 ? 8 : set->capacity * 2;
  struct watch *grown = realloc(set->watches, n * sizeof(*grown));
  if (grown == NULL) {
    return 0;
  }
  set->watches = grown;
  uint32_t *free_grown = realloc(set->free_slots, n * sizeof(*free_grown));
  if (free_grown == NULL) {
    return 0;  // |watches| is larger than needed, which is harmless
  }
  set->free_slots = free_grown;
  for (size_t i = n; i-- > set->capacity;) {  // the lowest slot on top
    memset(&grown[i], 0, sizeof(grown[i]));
    grown[i].fd = -1;
    set->free_slots[set->num_free++] = (uint32_t)i;
  }
  set->capacity = n;
  return 1;
}

// new_watch takes a free slot of |set| for |fd|; NULL when out of memory
// or slots.
static struct watch *new_watch(struct epset *set, int fd) {
  if ((set->num_free == 0 && !grow_slots(set)) || !index_reserve(set)) {
    return NULL;
  }
  uint32_t slot = set->free_slots[--set->num_free];
  struct watch *w = &set->watches[slot];
  w->fd = fd;
  index_put(set->index, set->index_cap, fd, slot);
  return w;
}

uint64_t ts_watch_tag(const struct epset *set, const struct watch *w) {
  return TAG | ((uint64_t)(w->generation & GENERATION_MASK) << SLOT_BITS) |
         (uint64_t)(w - set->watches);
}

struct watch *ts_watch_of_tag(struct epset *set, uint64_t tag) {
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
  struct fd_slot *e = index_entry(set, w->fd);
  if (e != NULL) {  // always: every live watch is in the index
    index_remove(set, e);
  }
  set->free_slots[set->num_free++] = (uint32_t)(w - set->watches);
  w->fd = -1;
  w->generation++;
  set->used--;
  atomic_fetch_sub(&total_watches, 1);
}

uint32_t ts_watch_desired(struct watch *w, int waiting, uint32_t *out_early) {
  uint32_t kernel = 0;
  uint32_t app = w->app_events & ~MODE_FLAGS;
  *out_early = ts_conn_ready_prepare(w->conn, w->fd, app, waiting, &kernel);
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
  if (early == 0 || w->fired || !ts_epoll_someone_waits(epfd)) {
    return want;
  }
  return want | EPOLLOUT;
}

int ts_watch_sync(int epfd, struct epset *set, struct watch *w, int op,
                  uint32_t events) {
  struct epoll_event ev = {.events = events};
  ev.data.u64 = ts_watch_tag(set, w);
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
  struct epset *set = ts_epset_of(epfd, 1);
  if (set == NULL) {
    return -ENOMEM;
  }
  if (find_watch(set, fd) != NULL) {
    return exists;
  }
  know(fd);
  struct watch *w = new_watch(set, fd);
  if (w == NULL) {
    return -ENOMEM;
  }
  w->conn = conn;
  ts_fdentry_ref(&conn->entry);
  w->app_events = app_events;
  w->app_data = app_data;
  w->arming++;
  w->fired = 0;
  w->quiet = 0;
  w->edge_valid = 0;  // like the kernel's, a new registration reports
  set->used++;
  atomic_fetch_add(&total_watches, 1);
  atomic_fetch_add(&ts_epoll_watches_started,
                   1);  // before the kernel sees the tag
  uint32_t early = 0;
  uint32_t want = ts_watch_desired(w, 0, &early);
  int r = ts_watch_sync(epfd, set, w, op, wake_events(epfd, w, want, early));
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
  pthread_mutex_lock(&ts_ep_lock);
  int r = adopt_locked(epfd, fd, conn, app_events, app_data);
  pthread_mutex_unlock(&ts_ep_lock);
  return r;
}

static int ctl_mod_del(int epfd, int op, struct ts_conn *conn, int fd,
                       const struct epoll_event *event) {
  struct epset *set = ts_epset_of(epfd, 0);
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
  w->quiet = 0;
  w->edge_valid = 0;  // the kernel's EPOLL_CTL_MOD reports what is ready
  uint32_t early = 0;
  uint32_t want = ts_watch_desired(w, 0, &early);
  return ts_watch_sync(epfd, set, w, EPOLL_CTL_MOD,
                       wake_events(epfd, w, want, early));
}

int ts_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  if (op == EPOLL_CTL_DEL) {
    pthread_mutex_lock(&ts_ep_lock);
    int tracked = find_watch(ts_epset_of(epfd, 0), fd) != NULL;
    int r = tracked ? ctl_mod_del(epfd, op, NULL, fd, event) : 1;
    pthread_mutex_unlock(&ts_ep_lock);
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
  pthread_mutex_lock(&ts_ep_lock);
  int r = op == EPOLL_CTL_ADD ? ctl_add(epfd, fd, conn, event)
                              : ctl_mod_del(epfd, op, conn, fd, event);
  pthread_mutex_unlock(&ts_ep_lock);
  ts_conn_put(conn);
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
    free(set->index);
    free(set->free_slots);
    free(set);
    sets[fd] = NULL;
  }
  unknow(fd);
}

void ts_epoll_forget_fd(int fd) {
  if (!may_know(fd)) {
    return;
  }
  pthread_mutex_lock(&ts_ep_lock);
  forget_locked(fd);
  pthread_mutex_unlock(&ts_ep_lock);
}

void ts_epoll_forget_range(unsigned int first, unsigned int last) {
  pthread_mutex_lock(&ts_ep_lock);
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
  pthread_mutex_unlock(&ts_ep_lock);
}

void ts_epoll_after_fork_child(void) {
  pthread_mutex_init(&ts_ep_lock, NULL);
  ts_epoll_waits_after_fork_child();
}
