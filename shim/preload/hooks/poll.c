// poll.c — poll, ppoll and their fortified names.
#include "../poll_wait.h"
#include "hook.h"

static int hook_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms) {
  if (!ts_poll_needed(fds, nfds)) {
    return TS_REAL(poll)(fds, nfds, timeout_ms);
  }
  struct timespec timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  return (int)ts_hook_ret(
      ts_poll_wait(fds, nfds, timeout_ms < 0 ? NULL : &timeout, NULL));
}

static int hook_ppoll(struct pollfd *fds, nfds_t nfds,
                      const struct timespec *timeout, const sigset_t *mask) {
  if (!ts_poll_needed(fds, nfds)) {
    return TS_REAL(ppoll)(fds, nfds, timeout, mask);
  }
  return (int)ts_hook_ret(ts_poll_wait(fds, nfds, timeout, mask));
}

TS_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms) {
  return hook_poll(fds, nfds, timeout_ms);
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT int __poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
    __attribute__((alias("poll"), copy(poll)));

TS_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout_ms,
                         size_t fds_len) {
  if (fds_len / sizeof(*fds) < nfds) {
    __chk_fail();
  }
  return hook_poll(fds, nfds, timeout_ms);
}

TS_EXPORT int ppoll(struct pollfd *fds, nfds_t nfds,
                    const struct timespec *timeout, const sigset_t *mask) {
  return hook_ppoll(fds, nfds, timeout, mask);
}

TS_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t nfds,
                          const struct timespec *timeout, const sigset_t *mask,
                          size_t fds_len) {
  if (fds_len / sizeof(*fds) < nfds) {
    __chk_fail();
  }
  return hook_ppoll(fds, nfds, timeout, mask);
}
