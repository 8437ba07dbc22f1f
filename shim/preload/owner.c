// owner.c — one process per TLS session, across fork() (owner.h).
//
// Each session has a 64-bit word in a pool of shared anonymous memory: its
// generation in the high half, and in the low half who holds it (a process
// ID, with BUSY while an operation is under way), UNCLAIMED, or 0 for a free
// word. Every change is a compare-and-swap, so the processes sharing the pool
// agree on each word without a lock. A copy of a session can use it only
// while the word's generation is the one the copy knows; taking an unclaimed
// word and freeing one both leave every other copy behind.
#include "owner.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

// Sessions open at once in one family of processes. The pool is reserved,
// not committed: a page is touched only when a word on it is first used, so
// a process with a few connections adds a few KiB of memory at most. Each
// word has a cache line of its own: threads working on neighbouring
// sessions would otherwise pass one line back and forth on every call.
#define POOL_WORDS (1u << 20)

// Words a session's start looks at, going round those ever taken, for a
// holder that died without ending its session (a fork-per-connection
// server's child that called _exit): the words such deaths leave taken are
// found again faster than they pile up.
#define SWEEP_PER_TAKE 2

#define BUSY 0x80000000u
#define UNCLAIMED 0x40000000u  // above any process ID (at most 2^22)

struct word {
  _Atomic uint64_t w;
  char pad[56];
};

struct pool {
  _Atomic uint32_t hint;   // no free word below it, as far as anyone knows
  _Atomic uint32_t sweep;  // the next word to look at for a dead holder
  _Atomic uint32_t top;    // one past the highest word ever taken
  char pad[52];
  struct word words[POOL_WORDS];
};

static struct pool *pool;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

// This process's ID, kept in a page the kernel empties in the child of any
// fork(), with or without its handlers, and shares with a vfork() child,
// which runs as its parent. Without that page (before Linux 4.14), getpid()
// is asked each time.
static _Atomic pid_t *self_cell;

// Forks this process has begun (ts_owner_fork_begins); a child knows by it
// which of its copies the last fork left consistent.
static uint32_t forks;

__attribute__((constructor)) static void owner_init(void) {
  void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    return;
  }
  if (madvise(page, 4096, MADV_WIPEONFORK) != 0) {
    munmap(page, 4096);
    return;
  }
  self_cell = page;
  ts_owner_after_fork_child();
}

// Filled here and after every fork with handlers, so that a vfork() child,
// which writes to its parent's memory, never finds it empty and fills it with
// its own ID; only the child of a fork without handlers finds it empty.
void ts_owner_after_fork_child(void) {
  if (self_cell != NULL) {
    atomic_store_explicit(self_cell, getpid(), memory_order_relaxed);
  }
}

static uint32_t self(void) {
  if (self_cell == NULL) {
    return (uint32_t)getpid();
  }
  pid_t pid = atomic_load_explicit(self_cell, memory_order_relaxed);
  if (pid == 0) {
    pid = getpid();
    atomic_store_explicit(self_cell, pid, memory_order_relaxed);
  }
  return (uint32_t)pid;
}

static void make_pool(void) {
  void *p = mmap(NULL, sizeof(struct pool), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  pool = p == MAP_FAILED ? NULL : p;
}

static uint64_t word_of(uint32_t gen, uint32_t state) {
  return (uint64_t)gen << 32 | state;
}

static uint32_t gen_of(uint64_t w) { return (uint32_t)(w >> 32); }

static uint32_t state_of(uint64_t w) { return (uint32_t)w; }

static _Atomic uint64_t *word_at(uint32_t slot) {
  return &pool->words[slot - 1].w;
}

static uint32_t slot_of(const struct ts_owner *o) {
  return atomic_load_explicit(&o->slot, memory_order_relaxed);
}

static uint32_t gen_known(const struct ts_owner *o) {
  return atomic_load_explicit(&o->gen, memory_order_relaxed);
}

// Atomic because fork()'s handler reads it without the connection's lock.
static int is_dead(const struct ts_owner *o) {
  return atomic_load_explicit(&o->dead, memory_order_relaxed);
}

// lower_hint records that word |i| is free.
static void lower_hint(uint32_t i) {
  uint32_t hint = atomic_load(&pool->hint);
  while (i < hint && !atomic_compare_exchange_weak(&pool->hint, &hint, i)) {
  }
}

// free_if_dead frees word |i| if a process that no longer exists holds it.
static void free_if_dead(uint32_t i) {
  uint64_t w = atomic_load(&pool->words[i].w);
  uint32_t holder = state_of(w) & ~BUSY;
  if (holder == 0 || holder >= UNCLAIMED || holder == self()) {
    return;
  }
  int saved_errno = errno;
  int dead = kill((pid_t)holder, 0) < 0 && errno == ESRCH;
  errno = saved_errno;
  if (dead && atomic_compare_exchange_strong(&pool->words[i].w, &w,
                                             word_of(gen_of(w), 0))) {
    lower_hint(i);
  }
}

// try_take takes the first free word at or after the hint, searching the
// whole pool at most once.
static int try_take(struct ts_owner *o) {
  uint32_t start = atomic_load(&pool->hint);
  for (uint32_t n = 0; n < POOL_WORDS; n++) {
    uint32_t i = (start + n) % POOL_WORDS;
    uint64_t w = atomic_load(&pool->words[i].w);
    while (state_of(w) == 0) {
      uint32_t gen = gen_of(w) + 1;
      if (atomic_compare_exchange_weak(&pool->words[i].w, &w,
                                       word_of(gen, self() | BUSY))) {
        uint32_t expected = start;
        (void)atomic_compare_exchange_strong(&pool->hint, &expected, i + 1);
        uint32_t top = atomic_load(&pool->top);
        while (i + 1 > top &&
               !atomic_compare_exchange_weak(&pool->top, &top, i + 1)) {
        }
        atomic_store_explicit(&o->gen, gen, memory_order_relaxed);
        atomic_store_explicit(&o->slot, i + 1, memory_order_relaxed);
        o->busy = 1;
        return 1;
      }
    }
  }
  return 0;
}

int ts_owner_take(struct ts_owner *o) {
  pthread_once(&pool_once, make_pool);
  if (pool == NULL) {
    return -ENOMEM;
  }
  uint32_t top = atomic_load(&pool->top);
  for (int k = 0; k < SWEEP_PER_TAKE && top > 0; k++) {
    free_if_dead(atomic_fetch_add(&pool->sweep, 1) % top);
  }
  if (try_take(o)) {
    return 0;
  }
  for (uint32_t i = 0; i < POOL_WORDS; i++) {
    free_if_dead(i);
  }
  return try_take(o) ? 0 : -ENOMEM;
}

int ts_owner_begin(struct ts_owner *o, int claim) {
  if (is_dead(o)) {
    return 0;
  }
  uint32_t slot = slot_of(o);
  if (slot == 0) {
    return 1;
  }
  uint32_t gen = gen_known(o);
  uint32_t me = self();
  _Atomic uint64_t *word = word_at(slot);
  uint64_t w = atomic_load(word);
  for (;;) {
    uint32_t state = state_of(w);
    if (gen_of(w) != gen || state == 0) {
      return 0;  // ended, or moved on by another copy
    }
    if (state == (me | BUSY)) {
      return 1;  // already marked by this process
    }
    uint64_t next;
    if (state == me) {
      next = word_of(gen, me | BUSY);
    } else if (claim && state == UNCLAIMED) {
      next = word_of(gen + 1, me | BUSY);  // every other copy is left behind
    } else {
      return 0;
    }
    if (atomic_compare_exchange_weak(word, &w, next)) {
      atomic_store_explicit(&o->gen, gen_of(next), memory_order_relaxed);
      o->busy = 1;
      return 1;
    }
  }
}

void ts_owner_end(struct ts_owner *o) {
  if (o->busy) {
    o->busy = 0;
    uint32_t gen = gen_known(o);
    uint64_t w = word_of(gen, self() | BUSY);
    // A compare-and-swap, not a store: a copy that a fork without handlers
    // made while busy must not mark the word as the child's.
    (void)atomic_compare_exchange_strong(word_at(slot_of(o)), &w,
                                         word_of(gen, self()));
  }
}

pid_t ts_owner_holder(const struct ts_owner *o) {
  uint32_t slot = slot_of(o);
  if (slot == 0) {
    return 0;
  }
  uint64_t w = atomic_load(word_at(slot));
  uint32_t holder = state_of(w) & ~BUSY;
  return gen_of(w) == gen_known(o) && holder < UNCLAIMED ? (pid_t)holder : 0;
}

void ts_owner_release(struct ts_owner *o) {
  uint32_t slot = slot_of(o);
  if (slot != 0 && !is_dead(o)) {
    _Atomic uint64_t *word = word_at(slot);
    uint64_t w = atomic_load(word);
    uint32_t gen = gen_known(o);
    if (gen_of(w) == gen && (state_of(w) & ~BUSY) == self() &&
        atomic_compare_exchange_strong(word, &w, word_of(gen, 0))) {
      lower_hint(slot - 1);
    }
  }
  o->busy = 0;
  atomic_store_explicit(&o->dead, 1, memory_order_relaxed);
}

void ts_owner_fork_begins(void) { forks++; }

void ts_owner_before_fork(struct ts_owner *o) {
  uint32_t slot = slot_of(o);
  if (slot == 0 || is_dead(o)) {
    return;
  }
  _Atomic uint64_t *word = word_at(slot);
  uint64_t w = atomic_load(word);
  uint32_t gen = gen_known(o);
  if (gen_of(w) != gen) {
    return;
  }
  // Busy in another thread: the word stays with it, and the child's copy,
  // not marked below, is dead.
  if (state_of(w) == self() &&
      !atomic_compare_exchange_strong(word, &w, word_of(gen, UNCLAIMED))) {
    return;
  }
  if (state_of(w) == self() || state_of(w) == UNCLAIMED) {
    o->fork_seq = forks;
    o->fork_gen = gen;
  }
}

void ts_owner_forked(struct ts_owner *o) {
  o->busy = 0;
  if (slot_of(o) != 0 &&
      (o->fork_seq != forks || o->fork_gen != gen_known(o))) {
    atomic_store_explicit(&o->dead, 1, memory_order_relaxed);
  }
}
