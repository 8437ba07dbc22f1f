// epoll_watch.h — epoll sets that hold TLS descriptors.
//
// For a TLS descriptor the kernel is not told what the program asked for but
// what the TLS layer needs (the handshake may need to read while the program
// waits to write; buffered ciphertext needs the socket writable), and its
// registration carries our own tag instead of the program's data. epoll_wait
// translates back, adds descriptors whose plaintext is already decrypted
// (the kernel cannot see it), and drops events that only fed the handshake.
#ifndef TLSSHIM_EPOLL_WATCH_H
#define TLSSHIM_EPOLL_WATCH_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

// ts_epoll_tracking returns 1 while any epoll set holds a TLS descriptor.
int ts_epoll_tracking(void);

// ts_epoll_ctl handles epoll_ctl when |fd| is a TLS descriptor and returns 0
// or -errno; it returns 1, doing nothing, when |fd| is not one and the caller
// must pass the call through.
int ts_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);

// A wait with no timeout.
#define TS_WAIT_FOREVER (-1)

// The wait the program asked for, as it asked for it.
struct ts_epoll_call {
  enum { TS_EPOLL_WAIT, TS_EPOLL_PWAIT, TS_EPOLL_PWAIT2 } kind;
  int timeout_ms;                  // epoll_wait, epoll_pwait
  const struct timespec *timeout;  // epoll_pwait2 (NULL: no limit)
  const sigset_t *sigmask;         // epoll_pwait, epoll_pwait2
};

// ts_epoll_wait is every epoll wait the program makes. On a set that holds
// no TLS descriptor it is the program's own call, unchanged, unless another
// thread makes one a watch of the set meanwhile and the kernel reports it:
// such events are translated. On a set that holds some, it waits in the
// kernel in the same call (a seccomp filter may allow only those; an
// epoll_pwait2 keeps its nanoseconds, the others wait whole milliseconds,
// rounded up) and reports what the TLS layer can do. While it waits, the
// thread is counted, so that another thread that makes a watch ready in the
// TLS layer knows to wake it. Returns the count or -errno.
int ts_epoll_wait(int epfd, struct epoll_event *events, int max_events,
                  const struct ts_epoll_call *call);

struct ts_conn;

// ts_epoll_adopt takes over the kernel registration of |fd| in |epfd| that
// the program made (with |app_events| and |app_data|) before connect() made
// |fd| a TLS connection. Returns 0 or -errno (-ENOENT: no registration).
int ts_epoll_adopt(int epfd, int fd, struct ts_conn *conn, uint32_t app_events,
                   epoll_data_t app_data);

// ts_epoll_note_untracked records that |epfd| was given a descriptor that is
// not (yet) a TLS connection; ts_epoll_adopt_all looks in those sets only.
void ts_epoll_note_untracked(int epfd);

// ts_epoll_note_closed forgets |fd| as a noted set; called on close.
void ts_epoll_note_closed(int fd);
void ts_epoll_note_closed_range(unsigned int first, unsigned int last);

// ts_epoll_adopt_all adopts every registration of |fd| made before it became
// the TLS connection |conn| (epoll_adopt.c).
void ts_epoll_adopt_all(int fd, struct ts_conn *conn);

// ts_epoll_forget_fd drops every watch of |fd| and, if |fd| is an epoll set,
// the set itself; called before |fd| is closed.
void ts_epoll_forget_fd(int fd);

// ts_epoll_forget_range is ts_epoll_forget_fd for every descriptor in
// [first, last].
void ts_epoll_forget_range(unsigned int first, unsigned int last);

// ts_epoll_after_fork_child re-creates the lock in a child process.
void ts_epoll_after_fork_child(void);

#endif  // TLSSHIM_EPOLL_WATCH_H
