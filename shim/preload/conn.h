// conn.h — one TLS connection on a TCP socket, shared by every descriptor
// that names the socket (dup, dup2, fcntl(F_DUPFD)).
//
// Lock discipline (DESIGN.md constraint 2): |lock| guards the TLS object and
// the state below; it is held only around non-blocking engine calls, never
// across a wait. The kernel socket is always non-blocking; the program's view
// of blocking is |app_nonblock| (per open file description, like O_NONBLOCK)
// plus MSG_DONTWAIT, and a "blocking" call is try → unlock → poll → retry.
//
// Every function that returns ssize_t or int here returns a count or 0 on
// success and -errno on failure; hooks turn that into -1/errno.
#ifndef TLSSHIM_CONN_H
#define TLSSHIM_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../../config/config.h"
#include "../engine_api.h"
#include "fdtable.h"
#include "owner.h"

enum ts_conn_state {
  TS_CONN_CONNECTING = 0,  // client: the TCP connect is in progress
  TS_CONN_HANDSHAKE = 1,   // TCP is up; the TLS handshake is not complete
  TS_CONN_OPEN = 2,        // verified; application data flows
  TS_CONN_FAILED = 3,      // dead: every operation returns -fail_errno
  TS_CONN_INHERITED = 4,   // received across exec or SCM_RIGHTS; see conn.c
};

struct ts_conn {
  struct ts_fdentry entry;  // first: the fd table's reference count
  pthread_mutex_t lock;
  enum ts_role role;
  const struct ts_rule *rule;
  const struct ts_engine *engine;  // set with |tls|
  struct ts_tls *tls;              // NULL until the handshake starts
  enum ts_conn_state state;
  enum ts_io want;   // what the last step waits for (WANT_READ/WANT_WRITE)
  int app_nonblock;  // the program believes the socket is non-blocking
  int peer_closed;   // close_notify or end of stream was read
  _Atomic uint32_t edges;  // readiness news not seen by the kernel (below)
  int shut_wr;             // the program shut down its sending side
  int fail_errno;          // the errno of a failed connection
  int error_pending;       // getsockopt(SO_ERROR) has yet to report fail_errno
  int used;                // this process has moved data on the connection
  int ended_here;          // this process closed it (ts_conn_close_last)
  int urgent_logged;       // the log has said that MSG_OOB data went in-band
  struct ts_owner owner;   // which process may use the session (owner.h)
  uint64_t sock_cookie;    // the socket's SO_COOKIE (vfork.h)
  char peer[80];           // "127.0.0.1:8443"
  char label[160];         // "[client:web] 127.0.0.1:8443", starts log lines
  char verify_name[256];
};

// ts_conn_new returns a connection with one reference, in |state|, or NULL
// when memory is short. |verify_name| is the name a client verifies.
struct ts_conn *ts_conn_new(enum ts_role role, const struct ts_rule *rule,
                            const struct sockaddr *peer,
                            const char *verify_name, int app_nonblock,
                            enum ts_conn_state state);

// ts_conn_attach creates the connection of socket |fd| in |state|, makes the
// kernel socket non-blocking (remembering whether the program had asked for
// that) and records it in the fd table. Returns it with one reference for
// the caller, or NULL with -errno in |*out_err| (-EPERM in a vfork child,
// vfork.h).
struct ts_conn *ts_conn_attach(int fd, enum ts_role role,
                               const struct ts_rule *rule,
                               const struct sockaddr *peer,
                               const char *verify_name,
                               enum ts_conn_state state, int *out_err);

// ts_conn_get returns the connection on |fd| with a new reference, or NULL
// when |fd| carries none (the common, lock-free case). In a vfork child, it
// is the connection whose socket |fd| is, whatever its number.
struct ts_conn *ts_conn_get(int fd);

// ts_conn_by_socket returns, with a new reference, the connection whose
// socket |fd| is, under whichever descriptor number the table has it, or
// NULL. It asks the kernel for |fd|'s SO_COOKIE: not for the hot path.
struct ts_conn *ts_conn_by_socket(int fd);

// ts_conn_put drops a reference taken by ts_conn_get or ts_conn_new; accepts
// NULL.
void ts_conn_put(struct ts_conn *conn);

// ts_conn_app_nonblock reads |conn|'s app_nonblock under its lock: another
// thread's fcntl(F_SETFL) or FIONBIO may be changing it.
int ts_conn_app_nonblock(struct ts_conn *conn);

// ts_conn_lock takes |conn|'s lock for work on its TLS session. When another
// process holds the session (owner.h: they share the socket since fork()),
// the connection fails in this process alone, and every operation on it
// here returns -ECONNRESET; the holder's session goes on untouched.
void ts_conn_lock(struct ts_conn *conn);

// ts_conn_lock_held takes |conn|'s lock and returns 1 when this process
// holds its session (or none has started), 0 otherwise, without failing the
// connection: for closing. A session nobody holds since a fork is taken only
// by a process that used it before.
int ts_conn_lock_held(struct ts_conn *conn);

// ts_conn_unlock ends what ts_conn_lock or ts_conn_lock_held began.
void ts_conn_unlock(struct ts_conn *conn);

// ts_conn_step_locked advances a connection that is not yet open without
// blocking: finishes the TCP connect, creates the TLS object, drives the
// handshake, and logs the outcome. Returns 0 once open, -EAGAIN with |want|
// set while waiting for the socket, or -errno once failed. Caller holds lock.
// |kernel_revents|: what a wait just reported for the socket (0: nothing
// known); a TCP connect reported finished needs no poll to tell.
int ts_conn_step_locked(struct ts_conn *conn, int fd, uint32_t kernel_revents);

// ts_conn_fail_locked marks |conn| failed with |err|, shuts the socket down so
// the peer sees the end, and logs |reason| when it is not NULL.
void ts_conn_fail_locked(struct ts_conn *conn, int fd, int err,
                         const char *reason);

// ts_conn_fail_engine_locked marks an open |conn| failed for the reason the
// engine gives (logged as info: a peer going away is routine) and returns
// -errno.
int ts_conn_fail_engine_locked(struct ts_conn *conn, int fd);

// ts_conn_push_flight_locked sends a client's corked last handshake flight
// (engine push_flight) now: the program reads or waits for the peer before
// it writes, and the peer may be waiting for that flight to answer.
void ts_conn_push_flight_locked(struct ts_conn *conn, int fd);

// --- conn_io.c: the program's I/O, with blocking emulation -----------------

// ts_conn_connect_wait completes a blocking connect: the TCP connect and the
// handshake, waiting as the program's blocking connect() would. Returns 0 or
// -errno (ECONNREFUSED when TLS could not be established).
int ts_conn_connect_wait(struct ts_conn *conn, int fd);

// ts_conn_recv reads up to |len| plaintext bytes, honouring MSG_PEEK,
// MSG_DONTWAIT and MSG_WAITALL. Returns the count, 0 at end of stream, or
// -errno (-EAGAIN when it would block).
ssize_t ts_conn_recv(struct ts_conn *conn, int fd, void *buf, size_t len,
                     int flags);

// ts_conn_send encrypts and sends |len| bytes; a blocking call returns only
// when all are consumed. Returns the count consumed or -errno.
ssize_t ts_conn_send(struct ts_conn *conn, int fd, const void *buf, size_t len,
                     int flags);

// ts_conn_shutdown handles shutdown(): SHUT_WR and SHUT_RDWR send
// close_notify first. Returns 0 or -errno.
int ts_conn_shutdown(struct ts_conn *conn, int fd, int how);

// ts_conn_close_last is called when the last descriptor of |conn| is about to
// be closed: it sends close_notify if this process used the connection and
// flushes buffered ciphertext, waiting at most |timeout_ms| for the socket.
void ts_conn_close_last(struct ts_conn *conn, int fd, int timeout_ms);

// ts_conn_pending_bytes returns the decrypted bytes readable at once (for
// FIONREAD), pulling in what the kernel holds first.
int ts_conn_pending_bytes(struct ts_conn *conn, int fd);

// --- conn_ready.c: readiness for poll, select and epoll --------------------
// |events| use the poll bits (POLLIN, POLLOUT, POLLRDHUP, POLLERR, POLLHUP),
// which equal the epoll bits.

// ts_conn_edge_seq changes whenever the TLS layer of |conn| (watched through
// |fd|) may have become newly ready: bytes, an end of stream or an error
// read from the kernel on |fd| (the engine's recvmsg calls ts_edge_bump), a
// failure, or a program read that left more for the next (the engine opens
// records it read ahead without the kernel). An EPOLLET watch reports what
// the TLS layer holds only once per change, as the kernel reports a
// socket's data once per arrival. The per-descriptor counters are few and
// shared modulo their number: another descriptor's bump only causes a
// spurious report, never a missed one.
uint32_t ts_conn_edge_seq(struct ts_conn *conn, int fd);
void ts_conn_edge_bump(struct ts_conn *conn);
void ts_edge_bump(int fd);

// ts_conn_quiet_seq changes whenever what |conn| (watched through |fd|) is
// ready for, or needs from the kernel, may have changed, through any of its
// descriptors: ts_conn_touch is called by every ts_conn_put (each hooked
// call on a connection ends with one), before each wait inside a call that
// goes round waiting (a blocking read, write or connect, a poll or select
// round), and on failure; the engine's reads of the kernel on |fd| count
// too. It reads nothing of |conn| itself, so that an epoll wait
// passes over thousands of idle connections cheaply (epoll_wait.c).
// Counters are shared modulo their number: a collision only costs a
// needless look.
uint32_t ts_conn_quiet_seq(const struct ts_conn *conn, int fd);
void ts_conn_touch(const struct ts_conn *conn);

// ts_conn_ready_prepare returns the events that are true without asking the
// kernel (decrypted bytes pending, the end of the stream, a failed
// connection) and sets |*out_kernel| to what must be asked of the kernel
// for the program's |events| and the state of the TLS layer. It reads
// nothing from socket |fd|. |waiting|: the program is about to wait (poll,
// select, an epoll wait), not registering (epoll_ctl); a wait for input
// pushes out a client's corked last handshake flight.
uint32_t ts_conn_ready_prepare(struct ts_conn *conn, int fd, uint32_t events,
                               int waiting, uint32_t *out_kernel);

// ts_conn_ready_complete takes what the kernel reported for |fd|, advances
// the handshake or flushes output when it can, and returns the events that
// are true for the program. 0 means "not ready yet, wait again".
uint32_t ts_conn_ready_complete(struct ts_conn *conn, int fd, uint32_t events,
                                uint32_t kernel_revents);

#endif  // TLSSHIM_CONN_H
