// spare.c — bulk read-ahead buffers, recycled across a process's connections.
//
// wire.c reads a stream of large records up to TS_BULK_READ_AHEAD bytes at
// a time, as far as the program's read has room, and gives the buffer back
// as soon as it is drained, within that read, so an idle connection keeps
// none. Allocating and freeing 256 KiB at that rate would have the
// allocator map, fault in and trim memory over and over (glibc does; seen in
// perf as page faults in the receiving program). Drained buffers wait here
// instead, up to TS_SPARE_BUFFERS of them for the whole process, and the
// next bulk read takes one. Each slot is swapped atomically, without a lock,
// so a buffer is never handed to two threads, and a fork() copies the slots
// along with the memory they point to.
#include <stdatomic.h>
#include <stdlib.h>

#include "engine.h"

static _Atomic(uint8_t *) spares[TS_SPARE_BUFFERS];

uint8_t *spare_take(void) {
  for (int i = 0; i < TS_SPARE_BUFFERS; i++) {
    uint8_t *buf = atomic_exchange(&spares[i], NULL);
    if (buf != NULL) {
      return buf;
    }
  }
  return malloc(TS_BULK_READ_AHEAD);
}

void spare_give(uint8_t *buf) {
  for (int i = 0; i < TS_SPARE_BUFFERS; i++) {
    uint8_t *empty = NULL;
    if (atomic_compare_exchange_strong(&spares[i], &empty, buf)) {
      return;
    }
  }
  free(buf);
}
