// fdtable.h — which descriptors carry a TLS connection.
//
// A two-level array indexed by descriptor number. A lookup of a descriptor
// that carries no connection is two atomic loads and takes no lock: that is
// the whole cost tlsshim adds to I/O on files, pipes, UDP and uncovered TCP.
// Several descriptors (dup, dup2, fcntl(F_DUPFD)) may name the same entry.
#ifndef TLSSHIM_FDTABLE_H
#define TLSSHIM_FDTABLE_H

#include <stdatomic.h>

// ts_fdentry is embedded at the start of whatever the table stores (a
// connection); it carries the reference count the table maintains.
struct ts_fdentry {
  atomic_int refs;  // the table's slots plus every caller holding a reference
  int nfds;         // slots naming this entry; changed under the table lock
  // release is called when |refs| drops to zero.
  void (*release)(struct ts_fdentry *entry);
};

// TS_FDTABLE_MAX_FD is one past the largest descriptor the table can hold
// (the kernel's default nr_open).
#define TS_FDTABLE_MAX_FD (1 << 20)

// ts_fdtable_get returns |fd|'s entry with a new reference (drop it with
// |ts_fdentry_unref|), or NULL.
struct ts_fdentry *ts_fdtable_get(int fd);

// ts_fdtable_insert makes |fd| name |entry|, taking a new reference and
// counting the slot in |entry->nfds|. A previous entry of |fd| is dropped (the
// descriptor was closed behind the table's back). Returns 1, or 0 when |fd| is
// out of range or memory is short.
int ts_fdtable_insert(int fd, struct ts_fdentry *entry);

// ts_fdtable_remove clears |fd|'s slot and returns its entry, handing the
// slot's reference to the caller; |*out_last| is set to 1 when no other
// descriptor names the entry any more. Returns NULL when |fd| had no entry.
struct ts_fdentry *ts_fdtable_remove(int fd, int *out_last);

// ts_fdtable_next returns the smallest descriptor >= |from| that carries an
// entry, or -1.
int ts_fdtable_next(int from);

// ts_fdtable_count returns how many descriptors carry an entry.
int ts_fdtable_count(void);

// ts_fdentry_ref adds a reference to |entry|.
void ts_fdentry_ref(struct ts_fdentry *entry);

// ts_fdentry_unref drops a reference; the last one calls |entry->release|.
// Accepts NULL.
void ts_fdentry_unref(struct ts_fdentry *entry);

// ts_fdtable_after_fork_child resets the table's lock in a child process.
void ts_fdtable_after_fork_child(void);

#endif  // TLSSHIM_FDTABLE_H
