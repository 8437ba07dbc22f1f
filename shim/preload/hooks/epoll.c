// epoll.c — epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2.
#include <errno.h>
#include <limits.h>

#include "../epoll_watch.h"
#include "hook.h"

TS_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  // 1: not a TLS descriptor, the kernel's to handle.
  int r = ts_fdtable_count() == 0 && !ts_epoll_tracking()
              ? 1
              : ts_epoll_ctl(epfd, op, fd, event);
  if (r != 1) {
    return (int)ts_hook_ret(r);
  }
  if (op == EPOLL_CTL_ADD) {
    ts_epoll_note_untracked(epfd);  // |fd| may become TLS later
  }
  return TS_REAL(epoll_ctl)(epfd, op, fd, event);
}

// ms_to_ns turns epoll_wait's timeout into ts_epoll_wait's.
static int64_t ms_to_ns(int timeout_ms) {
  return timeout_ms < 0 ? TS_WAIT_FOREVER : (int64_t)timeout_ms * 1000000;
}

// Every wait goes through ts_epoll_wait, even in a process with no TLS
// descriptor yet: another thread may add one to the set while this one
// waits.
TS_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max,
                          int timeout_ms, const sigset_t *sigmask) {
  return (int)ts_hook_ret(ts_epoll_wait(epfd, events, max, ms_to_ns(timeout_ms),
                                        TS_EPOLL_PWAIT, sigmask));
}

TS_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max,
                         int timeout_ms) {
  return (int)ts_hook_ret(ts_epoll_wait(epfd, events, max, ms_to_ns(timeout_ms),
                                        TS_EPOLL_WAIT, NULL));
}

// Longer waits are waits without end (about 146 years).
#define LONGEST_WAIT_NS (INT64_MAX / 2)

// epoll_pwait2's timeout in nanoseconds (NULL: TS_WAIT_FOREVER), or -EINVAL
// for one the kernel would refuse.
static int64_t timeout_ns(const struct timespec *timeout) {
  if (timeout == NULL) {
    return TS_WAIT_FOREVER;
  }
  if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
      timeout->tv_nsec >= 1000000000L) {
    return -EINVAL;
  }
  if (timeout->tv_sec >= LONGEST_WAIT_NS / 1000000000) {
    return TS_WAIT_FOREVER;
  }
  return (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
}

// glibc 2.35's nanosecond epoll_pwait; its waits keep their resolution.
TS_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int max,
                           const struct timespec *timeout,
                           const sigset_t *sigmask) {
  if (TS_REAL(epoll_pwait2) == NULL) {
    errno = ENOSYS;
    return -1;
  }
  int64_t ns = timeout_ns(timeout);
  if (ns == -EINVAL) {
    errno = EINVAL;
    return -1;
  }
  return (int)ts_hook_ret(
      ts_epoll_wait(epfd, events, max, ns, TS_EPOLL_PWAIT2, sigmask));
}
