// conn_ready.c — readiness that tells the truth (DESIGN.md constraint 3).
//
// A TLS socket is readable for the program when decrypted bytes are waiting
// or the stream has ended, maybe while the kernel socket is empty: the engine
// reads ahead, and engine->readable says what it holds. It is not readable
// because a session ticket or half a record arrived. It is writable once the
// handshake is done and our own buffered ciphertext has left. While the
// handshake runs, the kernel is asked for what the handshake needs, whatever
// the program waits for.
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>

#include "conn.h"

#define ERROR_EVENTS (POLLERR | POLLHUP)

#define EDGE_COUNTERS 1024  // a power of two
static _Atomic uint32_t edges[EDGE_COUNTERS];

uint32_t ts_conn_edge_seq(struct ts_conn *conn, int fd) {
  return atomic_load_explicit(&edges[(unsigned)fd % EDGE_COUNTERS],
                              memory_order_acquire) +
         atomic_load_explicit(&conn->edges, memory_order_acquire);
}

void ts_conn_edge_bump(struct ts_conn *conn) {
  atomic_fetch_add_explicit(&conn->edges, 1, memory_order_acq_rel);
}

#define QUIET_COUNTERS 4096  // a power of two
static _Atomic uint32_t touches[QUIET_COUNTERS];

static _Atomic uint32_t *touches_of(const struct ts_conn *conn) {
  uint64_t h = (uint64_t)(uintptr_t)conn * 0x9E3779B97F4A7C15ULL;
  return &touches[h >> 52];  // the top 12 bits
}

void ts_conn_touch(const struct ts_conn *conn) {
  atomic_fetch_add_explicit(touches_of(conn), 1, memory_order_acq_rel);
}

uint32_t ts_conn_quiet_seq(const struct ts_conn *conn, int fd) {
  return atomic_load_explicit(touches_of(conn), memory_order_acquire) +
         atomic_load_explicit(&edges[(unsigned)fd % EDGE_COUNTERS],
                              memory_order_acquire);
}

void ts_edge_bump(int fd) {
  atomic_fetch_add_explicit(&edges[(unsigned)fd % EDGE_COUNTERS], 1,
                            memory_order_acq_rel);
}

static uint32_t failed_events(uint32_t events) {
  return ERROR_EVENTS | (events & (POLLIN | POLLOUT | POLLRDHUP));
}

static uint32_t handshake_interest(const struct ts_conn *conn) {
  if (conn->state == TS_CONN_CONNECTING) {
    return POLLOUT;
  }
  if (conn->state == TS_CONN_INHERITED) {
    return POLLIN;
  }
  if (conn->tls == NULL) {
    // A client sends first; a server waits for the ClientHello.
    return conn->role == TS_ROLE_CLIENT ? POLLOUT : POLLIN;
  }
  if (conn->engine->has_output(conn->tls) || conn->want == TS_IO_WANT_WRITE) {
    return POLLOUT;
  }
  return POLLIN;
}

// peek_locked peeks at one byte, reading the kernel if need be: POLLIN for
// data, POLLIN and the asked POLLRDHUP for the end of the stream (recorded),
// the failure's events for an error, 0 while no full record is there.
static uint32_t peek_locked(struct ts_conn *conn, int fd, uint32_t events) {
  char byte;
  size_t n = 0;
  enum ts_io io = conn->engine->read(conn->tls, fd, &byte, 1, 1, &n);
  switch (io) {
    case TS_IO_DONE:
      return POLLIN;
    case TS_IO_CLOSED:
      conn->peer_closed = 1;
      return POLLIN | (events & POLLRDHUP);
    case TS_IO_FAILED:
      (void)ts_conn_fail_engine_locked(conn, fd);
      return failed_events(events);
    case TS_IO_WANT_READ:
    case TS_IO_WANT_WRITE:
    default:
      return 0;
  }
}

// held_end_locked tells whether what the engine holds, read ahead of the
// program, is the end of the stream (a close_notify the peer sent without
// closing TCP): only then can POLLRDHUP be true while the kernel says
// nothing. Readable with nothing decrypted pending means an end or an error
// is latched; only then does it peek, which reads nothing from the kernel.
// (An EPOLLRDHUP watch, as nginx's, asks on every wait: decrypted bytes
// waiting answer it without a peek.)
static int held_end_locked(struct ts_conn *conn, int fd, uint32_t events) {
  return (events & POLLRDHUP) && !conn->peer_closed &&
         conn->engine->readable(conn->tls) &&
         conn->engine->pending(conn->tls) == 0 &&
         (peek_locked(conn, fd, events) & POLLRDHUP) != 0;
}

// readable_locked tells whether a read would return data or end of stream
// now, decrypting what the kernel holds if need be.
static uint32_t readable_locked(struct ts_conn *conn, int fd, uint32_t events) {
  if (conn->peer_closed || held_end_locked(conn, fd, events)) {
    return POLLIN | (events & POLLRDHUP);
  }
  if (conn->engine->readable(conn->tls)) {
    return POLLIN;
  }
  return peek_locked(conn, fd, events);
}

uint32_t ts_conn_ready_prepare(struct ts_conn *conn, int fd, uint32_t events,
                               int waiting, uint32_t *out_kernel) {
  uint32_t ready = 0;
  uint32_t kernel = 0;
  ts_conn_lock(conn);
  switch (conn->state) {
    case TS_CONN_CONNECTING:
    case TS_CONN_HANDSHAKE:
    case TS_CONN_INHERITED:
      kernel = handshake_interest(conn);
      break;
    case TS_CONN_OPEN: {
      if (waiting && (events & (POLLIN | POLLRDHUP))) {
        ts_conn_push_flight_locked(conn, fd);  // it waits for the peer
      }
      kernel = events & (POLLIN | POLLOUT | POLLRDHUP);
      if (conn->engine->has_output(conn->tls)) {
        kernel |= POLLOUT;
      }
      (void)held_end_locked(conn, fd, events);  // sets peer_closed
      int held = conn->engine->readable(conn->tls);
      if ((events & POLLIN) && (conn->peer_closed || held)) {
        ready |= POLLIN;
      }
      if (conn->peer_closed) {
        ready |= events & POLLRDHUP;
      } else if ((events & POLLRDHUP) && !held) {
        // A peer's close_notify reaches the kernel as data, not as a FIN:
        // the next record must be read to tell. Not while decrypted bytes
        // wait for the program: those come first, as over TCP the FIN
        // comes after the data.
        kernel |= POLLIN;
      }
      break;
    }
    case TS_CONN_FAILED:
    default:
      ready = failed_events(events);
      break;
  }
  ts_conn_unlock(conn);
  *out_kernel = kernel;
  return ready;
}

static uint32_t open_events_locked(struct ts_conn *conn, int fd,
                                   uint32_t events, uint32_t kernel_revents,
                                   int just_opened) {
  uint32_t out = 0;
  if (conn->engine->has_output(conn->tls) && (kernel_revents & POLLOUT)) {
    if (conn->engine->flush(conn->tls, fd) == TS_IO_FAILED) {
      return readable_locked(conn, fd, events) | failed_events(events);
    }
  }
  if ((events & POLLOUT) && !conn->engine->has_output(conn->tls) &&
      ((kernel_revents & POLLOUT) || just_opened)) {
    out |= POLLOUT;
  }
  if (events & (POLLIN | POLLRDHUP)) {  // the caller masks what was not asked
    if (conn->peer_closed || conn->engine->readable(conn->tls) ||
        (kernel_revents & (POLLIN | ERROR_EVENTS)) || just_opened) {
      out |= readable_locked(conn, fd, events);
    }
  }
  if (conn->state == TS_CONN_FAILED) {
    return failed_events(events);
  }
  out |= kernel_revents & (ERROR_EVENTS | (events & POLLRDHUP));
  return out;
}

uint32_t ts_conn_ready_complete(struct ts_conn *conn, int fd, uint32_t events,
                                uint32_t kernel_revents) {
  uint32_t out = 0;
  ts_conn_lock(conn);
  int just_opened = 0;
  if ((conn->state == TS_CONN_CONNECTING || conn->state == TS_CONN_HANDSHAKE ||
       conn->state == TS_CONN_INHERITED) &&
      kernel_revents != 0) {
    just_opened = ts_conn_step_locked(conn, fd, kernel_revents) == 0;
  }
  switch (conn->state) {
    case TS_CONN_OPEN:
      out = open_events_locked(conn, fd, events, kernel_revents, just_opened);
      break;
    case TS_CONN_FAILED:
      out = failed_events(events);
      break;
    case TS_CONN_CONNECTING:
    case TS_CONN_HANDSHAKE:
    case TS_CONN_INHERITED:
    default:
      out = 0;  // the handshake consumed the event; wait again
      break;
  }
  ts_conn_unlock(conn);
  return out;
}
