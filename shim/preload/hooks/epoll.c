// epoll.c — epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2.
#include <errno.h>

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

// Every wait goes through ts_epoll_wait, even in a process with no TLS
// descriptor yet: another thread may add one to the set while this one
// waits.
TS_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max,
                          int timeout_ms, const sigset_t *sigmask) {
  struct ts_epoll_call call = {
      .kind = TS_EPOLL_PWAIT, .timeout_ms = timeout_ms, .sigmask = sigmask};
  return (int)ts_hook_ret(ts_epoll_wait(epfd, events, max, &call));
}

TS_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max,
                         int timeout_ms) {
  struct ts_epoll_call call = {.kind = TS_EPOLL_WAIT, .timeout_ms = timeout_ms};
  return (int)ts_hook_ret(ts_epoll_wait(epfd, events, max, &call));
}

// glibc 2.35's nanosecond epoll_pwait; its waits keep their resolution.
TS_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int max,
                           const struct timespec *timeout,
                           const sigset_t *sigmask) {
  if (TS_REAL(epoll_pwait2) == NULL) {
    errno = ENOSYS;
    return -1;
  }
  struct ts_epoll_call call = {
      .kind = TS_EPOLL_PWAIT2, .timeout = timeout, .sigmask = sigmask};
  return (int)ts_hook_ret(ts_epoll_wait(epfd, events, max, &call));
}
