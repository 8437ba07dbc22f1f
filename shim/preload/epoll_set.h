// epoll_set.h — the state epoll_watch.c (the program's epoll_ctl) and
// epoll_wait.c (its waits) share: every epoll set that holds TLS
// descriptors, and each descriptor's watch in it. Everything here is
// guarded by ts_ep_lock, unless it says otherwise.
#ifndef TLSSHIM_EPOLL_SET_H
#define TLSSHIM_EPOLL_SET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "conn.h"

// Kernel registrations of TLS descriptors carry TAG | generation | slot as
// their data. A program's own data may be any value, but these top 32 bits
// are no pointer's and no small integer's, and a random 64-bit value has
// them once in four billion. Events with them are looked for only in sets
// that held TLS descriptors during the wait (epoll_wait.c).
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
  int quiet;              // last looked at: nothing ready, kernel as needed
  uint32_t quiet_seq;     // ts_conn_quiet_seq then; a wait passes over a
                          // quiet watch while it stays so
};

// A descriptor's slot in its set (epoll_watch.c's index); fd -1: empty.
struct fd_slot {
  int fd;
  uint32_t slot;
};

struct epset {
  struct watch *watches;  // slots, indexed by a tag's slot bits
  size_t capacity;
  size_t used;
  struct fd_slot *index;  // each descriptor's watch, by hash of the fd
  size_t index_cap;       // a power of two, or 0; |used| entries
  uint32_t *free_slots;   // a stack of the slots with no watch
  size_t num_free;
};

extern pthread_mutex_t ts_ep_lock;

// Counts every watch ever started (not guarded: atomic). A wait that
// reads it before and after knows whether a watch was made meanwhile.
extern atomic_uint ts_epoll_watches_started;

// ts_epset_of is the set of |epfd|, made if |create|; NULL if none.
struct epset *ts_epset_of(int epfd, int create);

// ts_watch_tag is |w|'s kernel data; ts_watch_of_tag the live watch with
// |tag| in |set|, or NULL.
uint64_t ts_watch_tag(const struct epset *set, const struct watch *w);
struct watch *ts_watch_of_tag(struct epset *set, uint64_t tag);

// ts_watch_desired is what the kernel should watch for |w| now; |*out_early|
// gets what is already true without the kernel.
// |waiting|: asked by a wait, not by epoll_ctl (ts_conn_ready_prepare).
uint32_t ts_watch_desired(struct watch *w, int waiting, uint32_t *out_early);

// ts_watch_sync registers |events| for |w| in the kernel by |op|; 0 or
// -errno.
int ts_watch_sync(int epfd, struct epset *set, struct watch *w, int op,
                  uint32_t events);

// ts_epoll_someone_waits tells whether a thread may be in a wait on |epfd|
// (epoll_wait.c counts them; not guarded).
int ts_epoll_someone_waits(int epfd);

// ts_epoll_waits_after_fork_child forgets the parent's waiting threads.
void ts_epoll_waits_after_fork_child(void);

#endif  // TLSSHIM_EPOLL_SET_H
