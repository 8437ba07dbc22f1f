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
// - fork() leaves the sessions its caller holds unclaimed (unless an
//   operation on one is under way in another thread: then the caller keeps
//   it), and the first process of the two to use one afterwards takes it.
//   A forked child that serves a connection its parent accepted, or a
//   parent that goes on after forking a helper, works as before.
// - A process that does not hold a session cannot use it: its copy fails
//   (conn.c), and it never sends close_notify on it.
//
// A session's word lives in a pool that every process forked after the pool
// was made shares. Only the holder frees it, when its last reference to the
// connection goes, or anyone once the holder has died without (when the
// pool is full). A word nobody claimed again after a fork stays taken (64
// bytes) until the family of processes ends.
#ifndef TLSSHIM_OWNER_H
#define TLSSHIM_OWNER_H

#include <stdint.h>
#include <sys/types.h>

struct ts_owner {
  uint32_t slot;  // 1 + the word's index in the pool; 0: no session yet
  uint32_t gen;   // the word's generation when this session took it
  int busy;       // this process marked the word busy (ts_owner_begin)
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
// nobody does (or it has ended).
pid_t ts_owner_holder(const struct ts_owner *o);

// ts_owner_release frees the word if this process holds it: the session is
// over for every process.
void ts_owner_release(struct ts_owner *o);

// ts_owner_before_fork leaves the session unclaimed if this process holds it
// and no operation on it is under way. Called for every connection just
// before fork().
void ts_owner_before_fork(struct ts_owner *o);

// ts_owner_after_fork_child tells the pool which process it now runs in.
void ts_owner_after_fork_child(void);

// ts_owner_forked forgets, in a fork child, a busy mark its copy of |o| got
// from another thread of the parent: that operation goes on in the parent.
void ts_owner_forked(struct ts_owner *o);

#endif  // TLSSHIM_OWNER_H
