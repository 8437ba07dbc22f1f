// owner.c — one process per TLS session, across fork() (owner.h).
//
// Each session has a 64-bit word in a pool of shared anonymous memory: its
// generation in the high half, and in the low half who holds it (a process
// ID, with BUSY while an operation is under way), UNCLAIMED, or 0 for a free
// word. Every change is a compare-and-swap, so the processes sharing the pool
// agree on each word without a lock. A session keeps the generation it took
// its word with: once the word is freed (and maybe taken again), a copy of
// the session elsewhere no longer matches it and can never use it.
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

#define BUSY 0x80000000u
#define UNCLAIMED 0x40000000u  // above any process ID (at most 2^22)

struct word {
  _Atomic uint64_t w;
  char pad[56];
};

struct pool {
  _Atomic uint32_t hint;  // no free word below it, as far as anyone knows
  char pad[60];
  struct word words[POOL_WORDS];
};

static struct pool *pool;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static uint32_t self;  // this process's ID (a vfork child runs as its parent)

__attribute__((constructor)) static void owner_init(void) {
  self = (uint32_t)getpid();
}

void ts_owner_after_fork_child(void) { self = (uint32_t)getpid(); }

void ts_owner_forked(struct ts_owner *o) { o->busy = 0; }

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

static _Atomic uint64_t *word_at(const struct ts_owner *o) {
  return &pool->words[o->slot - 1].w;
}

// lower_hint records that word |i| is free.
static void lower_hint(uint32_t i) {
  uint32_t hint = atomic_load(&pool->hint);
  while (i < hint && !atomic_compare_exchange_weak(&pool->hint, &hint, i)) {
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
                                       word_of(gen, self | BUSY))) {
        uint32_t expected = start;
        (void)atomic_compare_exchange_strong(&pool->hint, &expected, i + 1);
        o->slot = i + 1;
        o->gen = gen;
        o->busy = 1;
        return 1;
      }
    }
  }
  return 0;
}

// reclaim frees the words of processes that have died holding them (killed
// before their connections were closed).
static void reclaim(void) {
  for (uint32_t i = 0; i < POOL_WORDS; i++) {
    uint64_t w = atomic_load(&pool->words[i].w);
    uint32_t holder = state_of(w) & ~BUSY;
    if (holder != 0 && holder < UNCLAIMED && kill((pid_t)holder, 0) < 0 &&
        errno == ESRCH &&
        atomic_compare_exchange_strong(&pool->words[i].w, &w,
                                       word_of(gen_of(w), 0))) {
      lower_hint(i);
    }
  }
}

int ts_owner_take(struct ts_owner *o) {
  pthread_once(&pool_once, make_pool);
  if (pool == NULL) {
    return -ENOMEM;
  }
  if (try_take(o)) {
    return 0;
  }
  int saved_errno = errno;
  reclaim();
  errno = saved_errno;
  return try_take(o) ? 0 : -ENOMEM;
}

int ts_owner_begin(struct ts_owner *o, int claim) {
  if (o->slot == 0) {
    return 1;
  }
  _Atomic uint64_t *word = word_at(o);
  uint64_t w = atomic_load(word);
  for (;;) {
    uint32_t state = state_of(w);
    if (gen_of(w) != o->gen || state == 0) {
      return 0;  // its holder ended the session
    }
    if (state == (self | BUSY)) {
      return 1;  // already marked by this process
    }
    if (state != self && !(claim && state == UNCLAIMED)) {
      return 0;
    }
    if (atomic_compare_exchange_weak(word, &w, word_of(o->gen, self | BUSY))) {
      o->busy = 1;
      return 1;
    }
  }
}

void ts_owner_end(struct ts_owner *o) {
  if (o->busy) {
    // Nobody else changes a word marked busy: a plain store will do.
    atomic_store(word_at(o), word_of(o->gen, self));
    o->busy = 0;
  }
}

pid_t ts_owner_holder(const struct ts_owner *o) {
  if (o->slot == 0) {
    return 0;
  }
  uint64_t w = atomic_load(word_at(o));
  uint32_t holder = state_of(w) & ~BUSY;
  return gen_of(w) == o->gen && holder < UNCLAIMED ? (pid_t)holder : 0;
}

void ts_owner_release(struct ts_owner *o) {
  if (o->slot == 0) {
    return;
  }
  _Atomic uint64_t *word = word_at(o);
  uint64_t w = atomic_load(word);
  if (gen_of(w) == o->gen && (state_of(w) & ~BUSY) == self &&
      atomic_compare_exchange_strong(word, &w, word_of(o->gen, 0))) {
    lower_hint(o->slot - 1);
  }
  o->slot = 0;
}

void ts_owner_before_fork(struct ts_owner *o) {
  if (o->slot == 0) {
    return;
  }
  _Atomic uint64_t *word = word_at(o);
  uint64_t w = atomic_load(word);
  if (gen_of(w) == o->gen && state_of(w) == self) {
    // Fails only if another thread has just marked it busy: it stays ours.
    (void)atomic_compare_exchange_strong(word, &w, word_of(o->gen, UNCLAIMED));
  }
}
