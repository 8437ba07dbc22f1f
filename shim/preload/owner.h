// owner.h — one process per TLS session, across fork().
//
// fork() copies a TLS session into the child: the same keys and the same
// record sequence numbers. If parent and child both sent on it, each would
// encrypt a different record under the same key and nonce, which gives away
// the XOR of the two plaintexts and AES-GCM's authentication key to anyone
// watching the wire. So one process at a time holds a session, in a word of
// memory that fork() shares rather than copies:
//
// - The process that starts a session holds it.
// - fork() leaves the sessions its caller holds unclaimed, and the first
//   process of the two to use one afterwards takes it, moving the word to a
//   new generation: every other copy of the session, in any process, is dead
//   from then on. A forked child that serves a connection its parent
//   accepted, or a parent that goes on after forking a helper, works as
//   before.
// - A copy taken while another thread was working on the session is a
//   snapshot from the middle of that work, and is dead from the start; so is
//   every copy in a child that fork() made without its handlers (_Fork, a
//   raw system call): the kernel wipes the page that says which process this
//   is, and the child, not the holder, finds the session held by another.
// - A process that does not hold a session cannot use it: its copy fails
//   (conn.c), and it never sends close_notify on it.
//
// A session's word lives in a pool that every process forked after the pool
// was made shares. The holder frees it when it ends the session; a word left
// unclaimed by a fork is freed when the last process with a copy ends it. A
// word whose holder, or every process with a copy, died without ending it is
// freed by a later session's start.
#ifndef TLSSHIM_OWNER_H
#define TLSSHIM_OWNER_H

#include <stdint.h>
#include <sys/types.h>

struct ts_owner {
  _Atomic uint32_t slot;  // 1 + the word's index in the pool; 0: none yet
  _Atomic uint32_t gen;   // the word's generation this copy knows
  int busy;               // this process marked the word busy
  _Atomic int dead;       // this copy can never be used (above)
  uint32_t fork_seq;      // the fork that left the word unclaimed at...
  uint32_t fork_gen;      // ...this generation (ts_owner_before_fork)
  uint32_t fork_parent;   // the process that forked, until the child is listed
};

// ts_owner_take gives |o| a word held by this process, marked busy until
// ts_owner_end. Returns 0, or -ENOMEM when the pool cannot be made or is
// full.
int ts_owner_take(struct ts_owner *o);

// ts_owner_begin tells whether this process may drive the session now, and
// if so marks it busy until ts_owner_end, so that a fork() in another thread
// meanwhile leaves it with this process. With |claim|, an unclaimed session
// is taken. Returns 1 (always, while |o| has no word yet) or 0.
int ts_owner_begin(struct ts_owner *o, int claim);

// ts_owner_end ends what ts_owner_begin or ts_owner_take marked.
void ts_owner_end(struct ts_owner *o);

// ts_owner_holder returns the process that holds the session, or 0 when
// nobody does, it has ended, or another copy has moved it on.
pid_t ts_owner_holder(const struct ts_owner *o);

// ts_owner_release ends the session: its word is freed if this process holds
// it, and this copy is dead.
void ts_owner_release(struct ts_owner *o);

// Around fork(): ts_owner_fork_begins once, then ts_owner_before_fork for
// every connection, in the parent before the fork; ts_owner_forked for every
// connection in the child.
void ts_owner_fork_begins(void);
void ts_owner_before_fork(struct ts_owner *o);
void ts_owner_forked(struct ts_owner *o);

// ts_owner_after_fork_child records, in a child of fork(), its process ID.
void ts_owner_after_fork_child(void);

#endif  // TLSSHIM_OWNER_H
