// epoll.c — epoll_ctl, epoll_wait, epoll_pwait.
#include "../epoll_watch.h"
#include "hook.h"

TS_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  if (ts_fdtable_count() == 0 && !ts_epoll_tracking()) {
    if (op == EPOLL_CTL_ADD) {
      ts_epoll_note_untracked(epfd);  // |fd| may become TLS later
    }
    return TS_REAL(epoll_ctl)(epfd, op, fd, event);
  }
  int r = ts_epoll_ctl(epfd, op, fd, event);
  if (r == 1) {
    if (op == EPOLL_CTL_ADD) {
      ts_epoll_note_untracked(epfd);
    }
    return TS_REAL(epoll_ctl)(epfd, op, fd, event);
  }
  return (int)ts_hook_ret(r);
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
