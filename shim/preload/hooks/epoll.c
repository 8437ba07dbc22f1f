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

TS_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max,
                          int timeout_ms, const sigset_t *sigmask) {
  if (!ts_epoll_tracking()) {
    return TS_REAL(epoll_pwait)(epfd, events, max, timeout_ms, sigmask);
  }
  return (int)ts_hook_ret(
      ts_epoll_wait(epfd, events, max, timeout_ms, sigmask));
}

TS_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max,
                         int timeout_ms) {
  if (!ts_epoll_tracking()) {
    return TS_REAL(epoll_wait)(epfd, events, max, timeout_ms);
  }
  return (int)ts_hook_ret(ts_epoll_wait(epfd, events, max, timeout_ms, NULL));
}

// epoll_pwait2's timeout in whole milliseconds, rounded up so that a wait is
// never cut short (a wait of 0 stays 0, NULL is -1, forever); -1 with EINVAL
// in |*err| for a timeout the kernel would refuse.
static int timeout_ms(const struct timespec *timeout, int *err) {
  if (timeout == NULL) {
    return -1;
  }
  if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
      timeout->tv_nsec >= 1000000000L) {
    *err = EINVAL;
    return -1;
  }
  if (timeout->tv_sec >= INT_MAX / 1000 - 1) {
    return INT_MAX;
  }
  return (int)(timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000);
}

// glibc 2.35's nanosecond epoll_pwait. Through the preload a TLS descriptor's
// wait has millisecond resolution, like epoll_pwait's.
TS_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int max,
                           const struct timespec *timeout,
                           const sigset_t *sigmask) {
  if (TS_REAL(epoll_pwait2) == NULL) {
    errno = ENOSYS;
    return -1;
  }
  if (!ts_epoll_tracking()) {
    return TS_REAL(epoll_pwait2)(epfd, events, max, timeout, sigmask);
  }
  int err = 0;
  int ms = timeout_ms(timeout, &err);
  if (err != 0) {
    errno = err;
    return -1;
  }
  return (int)ts_hook_ret(ts_epoll_wait(epfd, events, max, ms, sigmask));
}
