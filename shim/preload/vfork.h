// vfork.h — telling a vfork() child from the process whose memory it runs on.
#ifndef TLSSHIM_VFORK_H
#define TLSSHIM_VFORK_H

// ts_vfork_child returns 1 when the calling process is a child of vfork()
// (Python's subprocess, for one), between its start and its exec or _exit.
// Such a child runs on its parent's memory: it sees the parent's
// connections, fd table and epoll records, but has a descriptor table of
// its own, and the parent keeps every descriptor the child closes. So its
// close, close_range and dup calls go straight to the kernel, changing
// nothing of ours and sending no close_notify; a table entry is believed
// only for a descriptor that still names the connection's socket
// (ts_conn_get); and it neither loads the configuration nor starts TLS
// connections.
//
// Costs one thread-local load, and a getpid() in a thread that has called
// vfork() since it last asked. Only vfork() called through the dynamic
// linker is seen, and only on x86-64; glibc's posix_spawn, system and popen
// start their children without reaching any hook (glibc 2.29 and later).
int ts_vfork_child(void);

// ts_vfork_claim_memory records the calling process as the owner of the
// memory: at load, and in the child handler of fork().
void ts_vfork_claim_memory(void);

#endif  // TLSSHIM_VFORK_H
