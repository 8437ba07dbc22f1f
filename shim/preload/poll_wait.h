// poll_wait.h — poll() over a set of descriptors some of which carry TLS:
// the kernel is asked what each TLS connection needs, and what comes back is
// translated into what the program can really do (DESIGN.md constraint 3).
#ifndef TLSSHIM_POLL_WAIT_H
#define TLSSHIM_POLL_WAIT_H

#include <poll.h>
#include <signal.h>
#include <time.h>

// ts_poll_wait behaves as ppoll(): |timeout| NULL waits forever, |sigmask|
// may be NULL. It never returns 0 before the timeout has passed, even when
// the kernel's readiness went to a handshake. Returns the number of ready
// descriptors or -errno. Sets every |revents|.
int ts_poll_wait(struct pollfd *fds, nfds_t nfds,
                 const struct timespec *timeout, const sigset_t *sigmask);

// ts_poll_needed returns 1 when some descriptor in |fds| carries TLS, so the
// caller cannot pass straight through to the kernel.
int ts_poll_needed(const struct pollfd *fds, nfds_t nfds);

#endif  // TLSSHIM_POLL_WAIT_H
