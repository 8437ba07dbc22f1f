// vfork.h — telling a vfork() child from the process whose memory it runs on.
#ifndef TLSSHIM_VFORK_H
#define TLSSHIM_VFORK_H

// ts_vfork_child returns 1 when the calling process runs on memory it
// shares with the process that owns it: a child of vfork() (Python's
// subprocess, for one) or of clone(CLONE_VM), between its start and its
// exec or _exit. Such a child has a descriptor table of its own but the
// parent's connections, fd table and epoll records, and the parent keeps
// every descriptor the child closes: its close, close_range and dup calls
// must go straight to the kernel, changing nothing of ours and sending no
// close_notify, and it must not start TLS connections. When it cannot tell
// (the kernel refuses to compare), it says 1.
//
// Costs one getpid() system call, and in a child a kcmp() as well; leaves
// errno as it was. A child with a private copy of the memory that fork's
// handlers did not reach (_Fork, a raw fork system call) takes the memory
// as its own on its first call, and is answered 0 from then on.
int ts_vfork_child(void);

// ts_vfork_claim_memory records the calling process as the owner of the
// memory: at load, and in the child handler of fork().
void ts_vfork_claim_memory(void);

#endif  // TLSSHIM_VFORK_H
