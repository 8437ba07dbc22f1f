// fdtable.c — descriptor number to connection, with lock-free misses.
#include "fdtable.h"

#include <pthread.h>
#include <stdlib.h>

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NUM_CHUNKS (TS_FDTABLE_MAX_FD / CHUNK_SIZE)

typedef _Atomic(struct ts_fdentry *) slot_t;

static _Atomic(slot_t *) chunks[NUM_CHUNKS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int used_slots;

static slot_t *slot_of(int fd, int create) {
  if (fd < 0 || fd >= TS_FDTABLE_MAX_FD) {
    return NULL;
  }
  slot_t *chunk =
      atomic_load_explicit(&chunks[fd >> CHUNK_BITS], memory_order_acquire);
  if (chunk == NULL && create) {
    // Called under table_lock, so no other thread installs a chunk now.
    chunk = calloc(CHUNK_SIZE, sizeof(*chunk));
    if (chunk == NULL) {
      return NULL;
    }
    atomic_store_explicit(&chunks[fd >> CHUNK_BITS], chunk,
                          memory_order_release);
  }
  return chunk == NULL ? NULL : &chunk[fd & (CHUNK_SIZE - 1)];
}

void ts_fdentry_ref(struct ts_fdentry *entry) {
  atomic_fetch_add_explicit(&entry->refs, 1, memory_order_relaxed);
}

void ts_fdentry_unref(struct ts_fdentry *entry) {
  if (entry != NULL &&
      atomic_fetch_sub_explicit(&entry->refs, 1, memory_order_acq_rel) == 1) {
    entry->release(entry);
  }
}

struct ts_fdentry *ts_fdtable_get(int fd) {
  slot_t *slot = slot_of(fd, 0);
  if (slot == NULL ||
      atomic_load_explicit(slot, memory_order_acquire) == NULL) {
    return NULL;
  }
  // Taking the reference under the lock keeps a concurrent remove from
  // freeing the entry between our load and our increment.
  pthread_mutex_lock(&table_lock);
  struct ts_fdentry *entry = atomic_load_explicit(slot, memory_order_relaxed);
  if (entry != NULL) {
    ts_fdentry_ref(entry);
  }
  pthread_mutex_unlock(&table_lock);
  return entry;
}

int ts_fdtable_insert(int fd, struct ts_fdentry *entry) {
  pthread_mutex_lock(&table_lock);
  slot_t *slot = slot_of(fd, 1);
  if (slot == NULL) {
    pthread_mutex_unlock(&table_lock);
    return 0;
  }
  struct ts_fdentry *old = atomic_load_explicit(slot, memory_order_relaxed);
  if (old != NULL) {
    old->nfds--;
  } else {
    atomic_fetch_add(&used_slots, 1);
  }
  ts_fdentry_ref(entry);
  entry->nfds++;
  atomic_store_explicit(slot, entry, memory_order_release);
  pthread_mutex_unlock(&table_lock);
  ts_fdentry_unref(old);
  return 1;
}

struct ts_fdentry *ts_fdtable_remove(int fd, int *out_last) {
  *out_last = 0;
  slot_t *slot = slot_of(fd, 0);
  if (slot == NULL ||
      atomic_load_explicit(slot, memory_order_acquire) == NULL) {
    return NULL;
  }
  pthread_mutex_lock(&table_lock);
  struct ts_fdentry *entry = atomic_load_explicit(slot, memory_order_relaxed);
  if (entry != NULL) {
    atomic_store_explicit(slot, NULL, memory_order_release);
    atomic_fetch_sub(&used_slots, 1);
    entry->nfds--;
    *out_last = entry->nfds == 0;
  }
  pthread_mutex_unlock(&table_lock);
  return entry;
}

int ts_fdtable_next(int from) {
  if (from < 0) {
    from = 0;
  }
  for (int fd = from; fd < TS_FDTABLE_MAX_FD;) {
    slot_t *chunk =
        atomic_load_explicit(&chunks[fd >> CHUNK_BITS], memory_order_acquire);
    if (chunk == NULL) {
      fd = ((fd >> CHUNK_BITS) + 1) << CHUNK_BITS;
      continue;
    }
    if (atomic_load_explicit(&chunk[fd & (CHUNK_SIZE - 1)],
                             memory_order_acquire) != NULL) {
      return fd;
    }
    fd++;
  }
  return -1;
}

int ts_fdtable_count(void) { return atomic_load(&used_slots); }

void ts_fdtable_after_fork_child(void) {
  pthread_mutex_init(&table_lock, NULL);
}
