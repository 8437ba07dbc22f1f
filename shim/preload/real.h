// real.h — the libc functions that the preload hooks, resolved once.
//
// Inside the library every call to a hooked name goes through |ts_real|, never
// through the name itself (that would re-enter the hooks). tests/check-direct-
// calls.sh fails the build on a direct call.
#ifndef TLSSHIM_REAL_H
#define TLSSHIM_REAL_H

#include <aio.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

// X(return type, name, parameter list). Every one exists in glibc 2.36; a
// symbol that an older libc lacks (close_range) stays NULL and the hook that
// needs it answers ENOSYS.
#define TS_REAL_FUNCTIONS(X)                                                   \
  X(ssize_t, read, (int, void *, size_t))                                      \
  X(ssize_t, write, (int, const void *, size_t))                               \
  X(ssize_t, readv, (int, const struct iovec *, int))                          \
  X(ssize_t, writev, (int, const struct iovec *, int))                         \
  X(ssize_t, recv, (int, void *, size_t, int))                                 \
  X(ssize_t, send, (int, const void *, size_t, int))                           \
  X(ssize_t, recvfrom,                                                         \
    (int, void *, size_t, int, struct sockaddr *, socklen_t *))                \
  X(ssize_t, sendto,                                                           \
    (int, const void *, size_t, int, const struct sockaddr *, socklen_t))      \
  X(ssize_t, recvmsg, (int, struct msghdr *, int))                             \
  X(ssize_t, sendmsg, (int, const struct msghdr *, int))                       \
  X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int))                 \
  X(int, recvmmsg,                                                             \
    (int, struct mmsghdr *, unsigned int, int, struct timespec *))             \
  X(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int))            \
  X(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int))           \
  X(ssize_t, preadv64v2, (int, const struct iovec *, int, off_t, int))         \
  X(ssize_t, pwritev64v2, (int, const struct iovec *, int, off_t, int))        \
  X(ssize_t, __read_chk, (int, void *, size_t, size_t))                        \
  X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))                   \
  X(ssize_t, __recvfrom_chk,                                                   \
    (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *))        \
  X(ssize_t, sendfile, (int, int, off_t *, size_t))                            \
  X(ssize_t, sendfile64, (int, int, off_t *, size_t))                          \
  X(ssize_t, splice, (int, loff_t *, int, loff_t *, size_t, unsigned int))     \
  X(int, connect, (int, const struct sockaddr *, socklen_t))                   \
  X(int, accept, (int, struct sockaddr *, socklen_t *))                        \
  X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                  \
  X(int, listen, (int, int))                                                   \
  X(int, shutdown, (int, int))                                                 \
  X(int, close, (int))                                                         \
  X(int, close_range, (unsigned int, unsigned int, int))                       \
  X(int, dup, (int))                                                           \
  X(int, dup2, (int, int))                                                     \
  X(int, dup3, (int, int, int))                                                \
  X(int, fcntl, (int, int, ...))                                               \
  X(int, fcntl64, (int, int, ...))                                             \
  X(int, ioctl, (int, unsigned long, ...))                                     \
  X(int, getsockopt, (int, int, int, void *, socklen_t *))                     \
  X(int, poll, (struct pollfd *, nfds_t, int))                                 \
  X(int, ppoll,                                                                \
    (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))      \
  X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))                   \
  X(int, __ppoll_chk,                                                          \
    (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *,       \
     size_t))                                                                  \
  X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))        \
  X(int, pselect,                                                              \
    (int, fd_set *, fd_set *, fd_set *, const struct timespec *,               \
     const sigset_t *))                                                        \
  X(int, epoll_ctl, (int, int, int, struct epoll_event *))                     \
  X(int, epoll_wait, (int, struct epoll_event *, int, int))                    \
  X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *)) \
  X(int, epoll_pwait2,                                                         \
    (int, struct epoll_event *, int, const struct timespec *,                  \
     const sigset_t *))                                                        \
  X(int, getaddrinfo,                                                          \
    (const char *, const char *, const struct addrinfo *, struct addrinfo **)) \
  X(struct hostent *, gethostbyname, (const char *))                           \
  X(int, gethostbyname_r,                                                      \
    (const char *, struct hostent *, char *, size_t, struct hostent **,        \
     int *))                                                                   \
  X(FILE *, fdopen, (int, const char *))                                       \
  X(FILE *, freopen, (const char *, const char *, FILE *))                     \
  X(FILE *, freopen64, (const char *, const char *, FILE *))                   \
  X(int, vdprintf, (int, const char *, va_list))                               \
  X(int, __vdprintf_chk, (int, int, const char *, va_list))                    \
  X(int, aio_read, (struct aiocb *))                                           \
  X(int, aio_write, (struct aiocb *))                                          \
  X(int, aio_read64, (struct aiocb64 *))                                       \
  X(int, aio_write64, (struct aiocb64 *))                                      \
  X(int, lio_listio, (int, struct aiocb *const[], int, struct sigevent *))     \
  X(int, lio_listio64, (int, struct aiocb64 *const[], int, struct sigevent *)) \
  X(int, setuid, (uid_t))                                                      \
  X(int, seteuid, (uid_t))                                                     \
  X(int, setreuid, (uid_t, uid_t))                                             \
  X(int, setresuid, (uid_t, uid_t, uid_t))                                     \
  X(int, setgid, (gid_t))                                                      \
  X(int, setegid, (gid_t))                                                     \
  X(int, setregid, (gid_t, gid_t))                                             \
  X(int, setresgid, (gid_t, gid_t, gid_t))                                     \
  X(int, setgroups, (size_t, const gid_t *))                                   \
  X(int, initgroups, (const char *, gid_t))                                    \
  X(int, chroot, (const char *))

#define TS_REAL_MEMBER(ret, name, params) ret(*name) params;
struct ts_real_table {
  TS_REAL_FUNCTIONS(TS_REAL_MEMBER)
};
#undef TS_REAL_MEMBER

extern struct ts_real_table ts_real_fns;
extern atomic_int ts_real_ready;

// ts_real_resolve fills |ts_real_fns| once (thread-safe). Hooks call it through
// |TS_REAL| so a hook reached before the library's constructor still works.
void ts_real_resolve(void);

// TS_REAL(name) is the real libc function |name|.
#define TS_REAL(name)                                                 \
  (__builtin_expect(                                                  \
       atomic_load_explicit(&ts_real_ready, memory_order_acquire), 1) \
       ? ts_real_fns.name                                             \
       : (ts_real_resolve(), ts_real_fns.name))

#endif  // TLSSHIM_REAL_H
