// select.c — select and pselect, answered through the same readiness loop as
// poll when a TLS descriptor is in the sets.
#include <stdlib.h>
#include <string.h>

#include "../poll_wait.h"
#include "../vfork.h"
#include "hook.h"

static int sets_hold_tls(int nfds, fd_set *r, fd_set *w, fd_set *e) {
  if (ts_fdtable_count() == 0) {
    return 0;
  }
  if (ts_vfork_child()) {
    return 1;  // the table's numbers are the parent's (vfork.h)
  }
  for (int fd = ts_fdtable_next(0); fd >= 0 && fd < nfds;
       fd = ts_fdtable_next(fd + 1)) {
    if ((r != NULL && FD_ISSET(fd, r)) || (w != NULL && FD_ISSET(fd, w)) ||
        (e != NULL && FD_ISSET(fd, e))) {
      return 1;
    }
  }
  return 0;
}

// select_via_poll converts the sets to a pollfd array and back.
static int select_via_poll(int nfds, fd_set *r, fd_set *w, fd_set *e,
                           const struct timespec *timeout,
                           const sigset_t *mask) {
  if (nfds < 0 || nfds > FD_SETSIZE) {
    return -EINVAL;
  }
  struct pollfd *fds = calloc((size_t)nfds + 1, sizeof(*fds));
  if (fds == NULL) {
    return -ENOMEM;
  }
  nfds_t n = 0;
  for (int fd = 0; fd < nfds; fd++) {
    short events = 0;
    events |= (r != NULL && FD_ISSET(fd, r)) ? POLLIN : 0;
    events |= (w != NULL && FD_ISSET(fd, w)) ? POLLOUT : 0;
    events |= (e != NULL && FD_ISSET(fd, e)) ? POLLPRI : 0;
    if (events != 0) {
      fds[n].fd = fd;
      fds[n].events = events;
      n++;
    }
  }
  int ready = ts_poll_wait(fds, n, timeout, mask);
  if (ready < 0) {
    free(fds);
    return ready;
  }
  int bad = 0;
  int count = 0;
  for (nfds_t i = 0; i < n; i++) {
    int fd = fds[i].fd;
    short rev = fds[i].revents;
    bad |= (rev & POLLNVAL) != 0;
    int in = (fds[i].events & POLLIN) && (rev & (POLLIN | POLLHUP | POLLERR));
    int out = (fds[i].events & POLLOUT) && (rev & (POLLOUT | POLLERR));
    int ex = (fds[i].events & POLLPRI) && (rev & POLLPRI);
    if (r != NULL && FD_ISSET(fd, r) && !in) FD_CLR(fd, r);
    if (w != NULL && FD_ISSET(fd, w) && !out) FD_CLR(fd, w);
    if (e != NULL && FD_ISSET(fd, e) && !ex) FD_CLR(fd, e);
    count += in + out + ex;
  }
  free(fds);
  return bad ? -EBADF : count;
}

TS_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
                     struct timeval *tv) {
  if (!sets_hold_tls(nfds, r, w, e)) {
    return TS_REAL(select)(nfds, r, w, e, tv);
  }
  struct timespec timeout;
  if (tv != NULL) {
    timeout.tv_sec = tv->tv_sec;
    timeout.tv_nsec = tv->tv_usec * 1000L;
  }
  return (int)ts_hook_ret(
      select_via_poll(nfds, r, w, e, tv == NULL ? NULL : &timeout, NULL));
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT int __select(int nfds, fd_set *r, fd_set *w, fd_set *e,
                       struct timeval *timeout)
    __attribute__((alias("select"), copy(select)));

TS_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
                      const struct timespec *timeout, const sigset_t *mask) {
  if (!sets_hold_tls(nfds, r, w, e)) {
    return TS_REAL(pselect)(nfds, r, w, e, timeout, mask);
  }
  return (int)ts_hook_ret(select_via_poll(nfds, r, w, e, timeout, mask));
}
