// conn_io.c — the program's reads and writes on a TLS connection, with the
// blocking behaviour the program asked for emulated over a non-blocking
// socket: try under the lock, unlock, poll, retry.
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "log.h"
#include "real.h"

// A blocking connect whose program set no SO_SNDTIMEO still gives up on a
// peer that accepts TCP but never completes the TLS handshake.
#define HANDSHAKE_TIMEOUT_MS 30000

// How long shutdown() waits for buffered ciphertext to leave.
#define CLOSE_FLUSH_TIMEOUT_MS 2000

// A waiting thread re-checks the TLS layer at least this often: another
// thread may have pulled the bytes it waits for out of the kernel (a poll()
// on the same socket), and the kernel would then never wake it.
#define WAIT_SLICE_MS 250

struct deadline {
  int64_t at_ms;  // CLOCK_MONOTONIC; meaningful when |set|
  int set;
  int from_socket;  // the program set SO_RCVTIMEO / SO_SNDTIMEO
  int read;         // wait_for_more has filled it in
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void deadline_in(struct deadline *dl, int64_t ms) {
  dl->set = 1;
  dl->from_socket = 0;
  dl->at_ms = now_ms() + ms;
}

// deadline_from_timeout reads the program's SO_RCVTIMEO or SO_SNDTIMEO;
// without one the deadline is |fallback_ms| (or none when it is 0).
static void deadline_from_timeout(struct deadline *dl, int fd, int optname,
                                  int64_t fallback_ms) {
  struct timeval tv = {0, 0};
  socklen_t len = sizeof(tv);
  dl->set = 0;
  dl->from_socket = 0;
  if (TS_REAL(getsockopt)(fd, SOL_SOCKET, optname, &tv, &len) == 0 &&
      (tv.tv_sec > 0 || tv.tv_usec > 0)) {
    deadline_in(dl, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    dl->from_socket = 1;
  } else if (fallback_ms > 0) {
    deadline_in(dl, fallback_ms);
  }
}

// restarted_by_kernel tells whether the kernel would have restarted a
// blocking socket call that a signal handler interrupted (signal(7)): not
// when the socket has a timeout, and only when the handler was installed
// with SA_RESTART. Which signal interrupted our poll() is not known, so the
// call is restarted only when every handler that could have run (caught,
// not blocked in this thread) has SA_RESTART. A fault's signal (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) comes from an instruction of the
// thread, not while it waits in poll(): the crash handlers that runtimes and
// Python's faulthandler install without SA_RESTART do not count. This runs
// only after EINTR.
static int is_fault_signal(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
         sig == SIGTRAP || sig == SIGSYS;
}

static int restarted_by_kernel(const struct deadline *dl) {
  if (dl->from_socket) {
    return 0;
  }
  sigset_t blocked;
  if (pthread_sigmask(SIG_BLOCK, NULL, &blocked) != 0) {
    return 0;
  }
  for (int sig = 1; sig < NSIG; sig++) {
    struct sigaction sa;
    if (sig == SIGKILL || sig == SIGSTOP || is_fault_signal(sig) ||
        sigismember(&blocked, sig) == 1 || sigaction(sig, NULL, &sa) != 0) {
      continue;
    }
    int caught = (sa.sa_flags & SA_SIGINFO) != 0 ||
                 (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
    if (caught && (sa.sa_flags & SA_RESTART) == 0) {
      return 0;
    }
  }
  return 1;
}

// wait_for polls |fd| for |events| until ready, the deadline, or a slice.
// Returns 0 (look again), -ETIMEDOUT, or -errno: -EINTR when a signal
// interrupted it and the kernel would not have restarted the call.
static int wait_for(int fd, short events, const struct deadline *dl) {
  int timeout = WAIT_SLICE_MS;
  if (dl->set) {
    int64_t left = dl->at_ms - now_ms();
    if (left <= 0) {
      return -ETIMEDOUT;
    }
    if (left < timeout) {
      timeout = (int)left;
    }
  }
  struct pollfd pfd = {.fd = fd, .events = events};
  if (TS_REAL(poll)(&pfd, 1, timeout) < 0) {
    int err = errno;
    return err == EINTR && restarted_by_kernel(dl) ? 0 : -err;
  }
  return 0;
}

// wait_on is wait_for inside a call the program made on |fd| for |conn|.
// When the wait ends, |fd| must still name |conn|: another thread may have
// closed it meanwhile (close() takes it out of the fd table before the
// kernel closes it), and the number may have gone to another file since.
// The call then fails with EBADF rather than read or write whatever the
// number names now.
static int wait_on(struct ts_conn *conn, int fd, short events,
                   const struct deadline *dl) {
  int w = wait_for(fd, events, dl);
  if (w == 0) {
    // ts_conn_get, not the table itself: in a vfork child a duplicate of
    // the parent's socket names the connection too (vfork.h).
    struct ts_conn *now = ts_conn_get(fd);
    ts_fdentry_unref(now == NULL ? NULL : &now->entry);
    if (now != conn) {
      return -EBADF;
    }
  }
  return w;
}

// wait_for_more is the wait of a blocking read or write between rounds: for
// |events| on |fd|, until the deadline from the socket's |timeout_opt|
// (SO_RCVTIMEO or SO_SNDTIMEO), read at the first wait. Returns 0 to go
// round again, else what the call returns: the |done| bytes it has moved,
// if any, or the error (-EAGAIN for a timeout, as the kernel reports one).
static ssize_t wait_for_more(struct ts_conn *conn, int fd, short events,
                             int timeout_opt, struct deadline *dl,
                             size_t done) {
  if (!dl->read) {
    deadline_from_timeout(dl, fd, timeout_opt, 0);
    dl->read = 1;
  }
  ts_conn_touch(conn);  // what this round did counts before we wait
  int w = wait_on(conn, fd, events, dl);
  if (w == 0) {
    return 0;
  }
  if (done > 0) {
    return (ssize_t)done;
  }
  return w == -ETIMEDOUT ? -EAGAIN : w;
}

static short want_events(const struct ts_conn *conn) {
  short events = conn->want == TS_IO_WANT_READ ? POLLIN : POLLOUT;
  if (conn->tls != NULL && conn->engine->has_output(conn->tls)) {
    events |= POLLOUT;
  }
  return events;
}

// advance_locked brings |conn| to the open state or says why it is not.
static int advance_locked(struct ts_conn *conn, int fd, short *out_events) {
  if (conn->state == TS_CONN_FAILED) {
    conn->error_pending = 0;
    return -conn->fail_errno;
  }
  if (conn->state != TS_CONN_OPEN) {
    int r = ts_conn_step_locked(conn, fd, 0);
    if (r == -EAGAIN) {
      *out_events = want_events(conn);
    } else if (r < 0) {
      conn->error_pending = 0;  // reported by this call
    }
    return r;
  }
  return 0;
}

static ssize_t recv_once_locked(struct ts_conn *conn, int fd, void *buf,
                                size_t len, int peek, short *out_events) {
  if (conn->peer_closed) {
    return 0;
  }
  int r = advance_locked(conn, fd, out_events);
  if (r < 0) {
    return r;
  }
  conn->used = 1;
  // Our own unsent bytes may be what the peer waits for before answering.
  ts_conn_push_flight_locked(conn, fd);
  if (conn->engine->has_output(conn->tls) &&
      conn->engine->flush(conn->tls, fd) == TS_IO_FAILED) {
    return ts_conn_fail_engine_locked(conn, fd);
  }
  size_t n = 0;
  enum ts_io io = conn->engine->read(conn->tls, fd, buf, len, peek, &n);
  switch (io) {
    case TS_IO_DONE:
      if (!peek && conn->engine->readable(conn->tls)) {
        // More is there (a record opened from what was read ahead, or the
        // end): news for an edge-triggered wait, as if it had just come.
        ts_conn_edge_bump(conn);
      }
      return (ssize_t)n;
    case TS_IO_CLOSED:
      conn->peer_closed = 1;
      return 0;
    case TS_IO_WANT_READ:
    case TS_IO_WANT_WRITE:
      conn->want = io;
      *out_events = want_events(conn);
      return -EAGAIN;
    case TS_IO_FAILED:
    default:
      return ts_conn_fail_engine_locked(conn, fd);
  }
}

ssize_t ts_conn_recv(struct ts_conn *conn, int fd, void *buf, size_t len,
                     int flags) {
  int peek = (flags & MSG_PEEK) != 0;
  int waitall = (flags & MSG_WAITALL) != 0 && !peek;
  size_t got = 0;
  struct deadline dl = {0, 0, 0, 0};
  if (flags & MSG_OOB) {
    return -EINVAL;  // none is ever pending (it is sent in-band), as TCP says
  }
  if (len == 0) {
    return 0;
  }
  for (;;) {
    short events = POLLIN;
    ts_conn_lock(conn);
    ssize_t r =
        recv_once_locked(conn, fd, (char *)buf + got, len - got, peek, &events);
    int nonblock = conn->app_nonblock || (flags & MSG_DONTWAIT) != 0;
    ts_conn_unlock(conn);
    if (r > 0) {
      got += (size_t)r;
      if (!waitall || got == len) {
        return (ssize_t)got;
      }
      continue;
    }
    if (r == 0 || (r < 0 && got > 0 && (r != -EAGAIN || nonblock))) {
      return (ssize_t)got;
    }
    if (r != -EAGAIN) {
      return r;
    }
    if (nonblock) {
      return -EAGAIN;
    }
    ssize_t w = wait_for_more(conn, fd, events, SO_RCVTIMEO, &dl, got);
    if (w != 0) {
      return w;
    }
  }
}

static ssize_t send_once_locked(struct ts_conn *conn, int fd, const void *buf,
                                size_t len, short *out_events) {
  if (conn->shut_wr) {
    return -EPIPE;
  }
  int r = advance_locked(conn, fd, out_events);
  if (r < 0) {
    return r;
  }
  conn->used = 1;
  size_t n = 0;
  enum ts_io io = conn->engine->write(conn->tls, fd, buf, len, &n);
  switch (io) {
    case TS_IO_DONE:
      return (ssize_t)n;
    case TS_IO_WANT_READ:
    case TS_IO_WANT_WRITE:
      conn->want = io;
      *out_events = want_events(conn);
      return -EAGAIN;
    case TS_IO_CLOSED:
      return -EPIPE;
    case TS_IO_FAILED:
    default:
      return ts_conn_fail_engine_locked(conn, fd);
  }
}

ssize_t ts_conn_send(struct ts_conn *conn, int fd, const void *buf, size_t len,
                     int flags) {
  size_t sent = 0;
  struct deadline dl = {0, 0, 0, 0};
  if (flags & MSG_OOB) {
    // TCP's urgent data would bypass TLS. It goes in-band, in order, as a
    // peer reading with SO_OOBINLINE would see it: telnet's "send synch" or
    // ftp's ABOR then work on, where failing the send ended the session.
    ts_conn_lock(conn);
    if (!conn->urgent_logged) {
      conn->urgent_logged = 1;
      ts_log_warn(
          "%s: urgent data (MSG_OOB) sent in-band, in order: TLS has "
          "no out-of-band channel",
          conn->label);
    }
    ts_conn_unlock(conn);
  }
  if (len == 0) {
    return 0;
  }
  while (sent < len) {
    short events = POLLOUT;
    ts_conn_lock(conn);
    ssize_t r = send_once_locked(conn, fd, (const char *)buf + sent, len - sent,
                                 &events);
    int nonblock = conn->app_nonblock || (flags & MSG_DONTWAIT) != 0;
    ts_conn_unlock(conn);
    if (r > 0) {
      sent += (size_t)r;
      continue;
    }
    if (r != -EAGAIN) {
      return sent > 0 ? (ssize_t)sent : r;
    }
    if (nonblock) {
      return sent > 0 ? (ssize_t)sent : -EAGAIN;
    }
    ssize_t w = wait_for_more(conn, fd, events, SO_SNDTIMEO, &dl, sent);
    if (w != 0) {
      return w;
    }
  }
  return (ssize_t)sent;
}

int ts_conn_connect_wait(struct ts_conn *conn, int fd) {
  struct deadline dl;
  deadline_from_timeout(&dl, fd, SO_SNDTIMEO, HANDSHAKE_TIMEOUT_MS);
  for (;;) {
    ts_conn_lock(conn);
    int r = ts_conn_step_locked(conn, fd, 0);
    short events = want_events(conn);
    if (r < 0 && r != -EAGAIN) {
      conn->error_pending = 0;  // the connect hook itself reports it
    }
    ts_conn_unlock(conn);
    if (r != -EAGAIN) {
      return r;
    }
    ts_conn_touch(conn);  // what this step did counts before we wait
    int w = wait_on(conn, fd, events, &dl);
    if (w == -ETIMEDOUT) {
      ts_conn_lock(conn);
      ts_conn_fail_locked(conn, fd, ETIMEDOUT,
                          "handshake failed: timed out waiting for the peer");
      conn->error_pending = 0;
      ts_conn_unlock(conn);
      return -ETIMEDOUT;
    }
    if (w < 0) {
      return w;  // EINTR: as with a plain connect, the attempt goes on in the
                 // background
    }
  }
}

// flush_bounded sends what the engine holds, waiting up to |timeout_ms|.
static void flush_bounded(struct ts_conn *conn, int fd, int64_t timeout_ms) {
  struct deadline dl;
  deadline_in(&dl, timeout_ms);
  for (;;) {
    enum ts_io io = TS_IO_DONE;
    if (ts_conn_lock_held(conn) && conn->tls != NULL &&
        conn->state != TS_CONN_FAILED) {
      io = conn->engine->flush(conn->tls, fd);
    }
    ts_conn_unlock(conn);
    if (io != TS_IO_WANT_WRITE || wait_for(fd, POLLOUT, &dl) < 0) {
      return;
    }
  }
}

// send_close_notify_locked queues close_notify once, if the session is open.
// Returns 1 when it did: the engine then holds the alert corked (MSG_MORE),
// and the caller must shut down the socket's write side once it is flushed,
// which sends alert and FIN in one segment.
static int send_close_notify_locked(struct ts_conn *conn, int fd) {
  int queued = 0;
  if (conn->state == TS_CONN_OPEN && !conn->shut_wr) {
    queued = 1;
    if (conn->engine->close_notify(conn->tls, fd) == TS_IO_FAILED) {
      ts_log_debug("%s: close_notify not sent", conn->label);
    }
  }
  conn->shut_wr = 1;
  return queued;
}

int ts_conn_shutdown(struct ts_conn *conn, int fd, int how) {
  if (how == SHUT_WR || how == SHUT_RDWR) {
    ts_conn_lock(conn);
    (void)send_close_notify_locked(conn, fd);
    ts_conn_unlock(conn);
    // The alert must leave before the kernel's FIN.
    flush_bounded(conn, fd, CLOSE_FLUSH_TIMEOUT_MS);
  }
  if (how == SHUT_RD || how == SHUT_RDWR) {
    ts_conn_lock(conn);
    conn->peer_closed = 1;
    ts_conn_unlock(conn);
  }
  return TS_REAL(shutdown)(fd, how) == 0 ? 0 : -errno;
}

void ts_conn_close_last(struct ts_conn *conn, int fd, int timeout_ms) {
  // Only the process holding the session ends it (owner.h), and only if it
  // used it: a fork child closing its copy of a connection it never used
  // sends nothing.
  int queued = ts_conn_lock_held(conn) && conn->used &&
               send_close_notify_locked(conn, fd);
  ts_conn_unlock(conn);
  if (queued) {
    flush_bounded(conn, fd, timeout_ms);
    // The FIN carries the corked alert out. Our session's write side is over
    // in every process that shares the socket, so the kernel's can end too;
    // waiting for the last close would leave the alert corked while another
    // process still holds the socket.
    TS_REAL(shutdown)(fd, SHUT_WR);
  }
  // The session is over here; if this process held it, for every process
  // (and its word is free again, even at exit).
  pthread_mutex_lock(&conn->lock);
  conn->ended_here = 1;
  ts_owner_release(&conn->owner);
  pthread_mutex_unlock(&conn->lock);
}

int ts_conn_pending_bytes(struct ts_conn *conn, int fd) {
  short events = 0;
  int pending = 0;
  ts_conn_lock(conn);
  if (advance_locked(conn, fd, &events) == 0 && !conn->peer_closed) {
    if (conn->engine->pending(conn->tls) == 0) {
      char byte;
      size_t n = 0;
      // A peek decrypts what the kernel holds without consuming it.
      (void)conn->engine->read(conn->tls, fd, &byte, 1, 1, &n);
    }
    pending = (int)conn->engine->pending(conn->tls);
  }
  ts_conn_unlock(conn);
  return pending;
}
