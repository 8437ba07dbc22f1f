// vfork.h — telling a vfork() child from the process whose memory it runs on.
#ifndef TLSSHIM_VFORK_H
#define TLSSHIM_VFORK_H

#include <sys/types.h>

// The mark vfork() leaves on the calling thread (vfork.c): the ID of the
// process that called it, 0 when none.
extern __thread pid_t ts_vfork_mark __attribute__((tls_model("initial-exec")));

int ts_vfork_child_slow(void);

// ts_vfork_child returns 1 when the calling process is a child of vfork()
// (Python's subprocess, for one), between its start and its exec or _exit.
// Such a child runs on its parent's memory: it sees the parent's
// connections, fd table and epoll records, but has a descriptor table of
// its own, and the parent keeps every descriptor the child closes. So its
// close, close_range and dup calls go straight to the kernel, changing
// nothing of ours and sending no close_notify; its descriptors are matched
// to connections by their socket, not by number (ts_conn_get); and it
// neither loads the configuration nor starts TLS connections.
//
// Costs one thread-local load, and a getpid() in the child or in a signal
// handler that interrupts vfork() itself. Only vfork() called through the
// dynamic linker is seen, and only on x86-64; glibc's posix_spawn, system
// and popen start their children without reaching any hook (glibc 2.29 and
// later).
static inline int ts_vfork_child(void) {
  return __builtin_expect(ts_vfork_mark != 0, 0) ? ts_vfork_child_slow() : 0;
}

// ts_vfork_after_fork_child clears a vfork mark that fork() copied into its
// child (a fork from a vfork child, or from a signal handler inside vfork).
void ts_vfork_after_fork_child(void);

#endif  // TLSSHIM_VFORK_H
