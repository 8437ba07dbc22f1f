// cookie.h — FILE streams whose I/O goes through a descriptor's TLS
// connection (fopencookie), for fdopen and the standard streams. glibc's
// stdio calls the read and write system calls itself, never the hooked
// functions (DESIGN.md constraint 4).
#ifndef TLSSHIM_HOOKS_COOKIE_H
#define TLSSHIM_HOOKS_COOKIE_H

#include <stdio.h>

// ts_cookie_file makes a FILE on |fd| whose I/O goes through the connection
// |fd| carries at each call, or through the kernel when it carries none.
// |on_close|, when not NULL, is told the FILE is being closed (before its
// descriptor is, with ts_hook_close). Returns NULL when memory is short.
FILE *ts_cookie_file(int fd, const char *mode, void (*on_close)(FILE *file));

// ts_cookie_fd returns the descriptor of |file| when it is one of these
// streams and still open, else -1.
int ts_cookie_fd(FILE *file);

// ts_cookie_flush_all flushes every open cookie stream that no thread holds.
// At exit it must run before connections are closed: glibc flushes its
// streams only after every destructor, by then into ended sessions.
void ts_cookie_flush_all(void);

// ts_cookie_after_fork_child makes the stream list usable in a fork child,
// and drops the parent's unwritten output from the child's copies of the
// streams on connections.
void ts_cookie_after_fork_child(void);

#endif  // TLSSHIM_HOOKS_COOKIE_H
