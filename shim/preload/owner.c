// owner.c — one process per TLS session, across fork() (owner.h).
//
// Each session has a 64-bit word in a pool of shared anonymous memory: its
// generation in the high half, and in the low half who holds it (a process
// ID, with BUSY while an operation is under way), UNCLAIMED, or 0 for a free
// word. Every change is a compare-and-swap, so the processes sharing the pool
// agree on each word without a lock. A copy of a session can use it only
// while the word's generation is the one the copy knows; taking an unclaimed
// word and freeing one both leave every other copy behind.
//
// Next to each word, the processes that have a copy of it while it is
// unclaimed: the forking process, and a mark for each child it is forking,
// which the child replaces with its own ID as it starts. An unclaimed word is
// freed when the last of them ends its copy, or by a later session's start
// once none of them is alive (a fork-per-connection server's child that forks
// a helper, after which both call _exit).
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

// Copies of an unclaimed word a word's line has room to list; a word with
// more alive at once is never freed by the sweep, only by a holder's release.
#define COPIES 13
#define CHILD_OF 0x80000000u  // in copies[]: a child of this process, to come

struct word {
  _Atomic uint64_t w;
  _Atomic uint32_t copies[COPIES];  // process IDs, CHILD_OF marks, 0 (none)
  _Atomic uint32_t overflow;        // a copy did not fit in copies[]
};

_Static_assert(sizeof(struct word) == 64, "a word has a cache line");

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

// A copy knows its word by slot, 1 + its index in the pool.
static struct word *line_at(uint32_t slot) { return &pool->words[slot - 1]; }

static _Atomic uint64_t *word_at(uint32_t slot) { return &line_at(slot)->w; }

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

static int is_gone(uint32_t pid) {
  if (pid == self()) {
    return 0;
  }
  int saved_errno = errno;
  int gone = kill((pid_t)pid, 0) < 0 && errno == ESRCH;
  errno = saved_errno;
  return gone;
}

// Who has a copy of an unclaimed word. Taking or claiming a word starts its
// list afresh: every other copy is dead from then on. The stores are relaxed:
// an entry only ever keeps a word from being freed, and this runs at every
// session's start.
static void copies_clear(struct word *word) {
  for (int i = 0; i < COPIES; i++) {
    atomic_store_explicit(&word->copies[i], 0, memory_order_relaxed);
  }
  atomic_store_explicit(&word->overflow, 0, memory_order_relaxed);
}

static int copies_replace(struct word *word, uint32_t from, uint32_t to) {
  for (int i = 0; i < COPIES; i++) {
    uint32_t expected = from;
    if (atomic_compare_exchange_strong(&word->copies[i], &expected, to)) {
      return 1;
    }
  }
  return 0;
}

// copies_add lists |entry|, in the place of a process that has died if the
// list is full: a process that forks a child per connection while it holds
// a session of its own would otherwise fill it within 13 forks.
static void copies_add(struct word *word, uint32_t entry) {
  if (copies_replace(word, 0, entry)) {
    return;
  }
  for (int i = 0; i < COPIES; i++) {
    uint32_t old = atomic_load(&word->copies[i]);
    if (old != 0 && !(old & CHILD_OF) && is_gone(old) &&
        atomic_compare_exchange_strong(&word->copies[i], &old, entry)) {
      return;
    }
  }
  atomic_store(&word->overflow, 1);
}

static int copies_has(struct word *word, uint32_t entry) {
  for (int i = 0; i < COPIES; i++) {
    if (atomic_load(&word->copies[i]) == entry) {
      return 1;
    }
  }
  return 0;
}

// copies_all_gone tells whether no process can have a copy of the word any
// more: none listed is alive, and none went unlisted. A child still to come
// counts as alive even once the process that forked it has died (a daemon's
// parent exits at once): the child exists before it can list itself. So a
// fork that failed, or a child killed before its handler ran, keeps the word.
static int copies_all_gone(struct word *word) {
  uint32_t seen[COPIES];
  for (int i = 0; i < COPIES; i++) {
    seen[i] = atomic_load(&word->copies[i]);
    if (seen[i] != 0 && ((seen[i] & CHILD_OF) || !is_gone(seen[i]))) {
      return 0;
    }
  }
  // An entry added meanwhile, in a place already read, is seen again here.
  for (int i = 0; i < COPIES; i++) {
    if (atomic_load(&word->copies[i]) != seen[i]) {
      return 0;
    }
  }
  return !atomic_load(&word->overflow);
}

// free_word frees word |i| if it is still |w|.
static void free_word(uint32_t i, uint64_t w) {
  if (atomic_compare_exchange_strong(&pool->words[i].w, &w,
                                     word_of(gen_of(w), 0))) {
    lower_hint(i);
  }
}

// free_if_dead frees word |i| if no process that could use it is alive: its
// holder has died, or, unclaimed, every process with a copy has.
static void free_if_dead(uint32_t i) {
  struct word *word = &pool->words[i];
  uint64_t w = atomic_load(&word->w);
  uint32_t state = state_of(w);
  if (state == 0) {
    return;
  }
  if (state == UNCLAIMED ? copies_all_gone(word) : is_gone(state & ~BUSY)) {
    free_word(i, w);
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
        copies_clear(&pool->words[i]);
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
      if (state == UNCLAIMED) {
        copies_clear(line_at(slot));
      }
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
    struct word *word = line_at(slot);
    uint64_t w = atomic_load(&word->w);
    if (gen_of(w) == gen_known(o)) {
      if ((state_of(w) & ~BUSY) == self()) {
        free_word(slot - 1, w);
      } else if (state_of(w) == UNCLAIMED) {
        (void)copies_replace(word, self(), 0);
        if (copies_all_gone(word)) {
          free_word(slot - 1, w);  // this was the last copy
        }
      }
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
  struct word *word = line_at(slot);
  uint64_t w = atomic_load(&word->w);
  uint32_t gen = gen_known(o);
  uint32_t me = self();
  if (gen_of(w) != gen || (state_of(w) != me && state_of(w) != UNCLAIMED) ||
      (o->fork_seq == forks && o->fork_gen == gen)) {
    return;  // not this process's to pass on, or done for another descriptor
  }
  // Listed before the word is unclaimed, so that no sweep finds it unclaimed
  // with nobody alive to use it.
  if (!copies_has(word, me)) {
    copies_add(word, me);
  }
  copies_add(word, me | CHILD_OF);
  // Busy in another thread: the word stays with it, and the child's copy,
  // not marked below, is dead.
  if (state_of(w) == me &&
      !atomic_compare_exchange_strong(&word->w, &w, word_of(gen, UNCLAIMED))) {
    (void)copies_replace(word, me | CHILD_OF, 0);
    return;
  }
  o->fork_seq = forks;
  o->fork_gen = gen;
  o->fork_parent = me;
}

void ts_owner_forked(struct ts_owner *o) {
  o->busy = 0;
  uint32_t slot = slot_of(o);
  if (slot == 0) {
    return;
  }
  if (o->fork_seq != forks || o->fork_gen != gen_known(o)) {
    atomic_store_explicit(&o->dead, 1, memory_order_relaxed);
    return;
  }
  if (o->fork_parent != 0) {  // once, however many descriptors share it
    struct word *word = line_at(slot);
    if (!copies_replace(word, o->fork_parent | CHILD_OF, self())) {
      // The mark did not fit, or a claim has cleared the list since: then
      // this copy is already behind, and nothing is listed.
      uint64_t w = atomic_load(&word->w);
      if (gen_of(w) == gen_known(o) && state_of(w) == UNCLAIMED) {
        copies_add(word, self());
      }
    }
    o->fork_parent = 0;
  }
}
