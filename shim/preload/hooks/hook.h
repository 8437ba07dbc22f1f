// hook.h — what every hook file shares. A hook is thin: it looks the
// descriptor up, passes through when it carries no TLS connection, and
// otherwise delegates to the connection module, converting the internal
// -errno convention to -1/errno only here, at the boundary.
#ifndef TLSSHIM_HOOK_H
#define TLSSHIM_HOOK_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../conn.h"
#include "../real.h"

// TS_EXPORT marks a function that interposes the libc symbol of its name.
#define TS_EXPORT __attribute__((visibility("default")))

// glibc's fortified names, which real binaries built with _FORTIFY_SOURCE
// import instead of the plain ones; the headers declare them only inside
// their inline wrappers.
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buf_len);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buf_len, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buf_len, int flags,
                       struct sockaddr *addr, socklen_t *addr_len);
struct pollfd;
int __poll_chk(struct pollfd *fds, unsigned long nfds, int timeout_ms,
               size_t fds_len);
struct timespec;
int __ppoll_chk(struct pollfd *fds, unsigned long nfds,
                const struct timespec *timeout, const sigset_t *mask,
                size_t fds_len);
extern void __chk_fail(void) __attribute__((noreturn));
int __vdprintf_chk(int fd, int flag, const char *format, va_list ap);
int __dprintf_chk(int fd, int flag, const char *format, ...);
int __vasprintf_chk(char **out, int flag, const char *format, va_list ap);

// ts_hook_close is close() as the program sees it: ends |fd|'s tie to its
// connection (close_notify from the last descriptor) and closes it.
int ts_hook_close(int fd);

// ts_hook_fastopen_connect is the connect inside a sendto, sendmsg or
// sendmmsg that passes MSG_FASTOPEN and an address on a socket carrying no
// connection (TCP Fast Open: the kernel would connect, and send the data in
// the SYN, in plaintext). Returns 1 when the address is not covered (the
// call goes to the kernel as it is); 0 once a TLS connection is made (the
// caller then sends through it); or -errno: -EINPROGRESS on a non-blocking
// socket, nothing sent, as the kernel's Fast Open without a cookie answers
// (the program sends again once connected), or the connect's failure.
int ts_hook_fastopen_connect(int fd, const struct sockaddr *addr,
                             socklen_t len);

// ts_hook_share_fd makes |new_fd|, a duplicate the kernel just made of a
// descriptor of |conn|, name |conn| too (close.c).
int ts_hook_share_fd(struct ts_conn *conn, int new_fd);

// ts_stdio_follow makes stdin, stdout or stderr (|fd| 0, 1 or 2), which
// glibc reads and writes without the hooks, go through the TLS connection
// that |fd| now carries; ts_stdio_unfollow gives glibc's own stream back
// once |fd| carries none. Both do nothing for other descriptors.
// ts_stdio_flush flushes stdout or stderr before |fd| changes, so that what
// it holds goes where it was written for.
// ts_stdio_after_fork_child makes them usable in a fork child
// (std_streams.c).
void ts_stdio_follow(int fd);
void ts_stdio_unfollow(int fd);
void ts_stdio_flush(int fd);
void ts_stdio_after_fork_child(void);

// ts_hook_ret turns a count-or-negative-errno into the libc convention.
static inline ssize_t ts_hook_ret(ssize_t r) {
  if (r < 0) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

// ts_hook_send_ret is ts_hook_ret for writes: the engine never lets the
// kernel raise SIGPIPE, so a write that the kernel would have punished with
// SIGPIPE (no MSG_NOSIGNAL) raises it here, on the calling thread.
static inline ssize_t ts_hook_send_ret(ssize_t r, int flags) {
  if (r == -EPIPE && (flags & MSG_NOSIGNAL) == 0) {
    pthread_kill(pthread_self(), SIGPIPE);
  }
  return ts_hook_ret(r);
}

#endif  // TLSSHIM_HOOK_H
