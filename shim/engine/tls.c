// tls.c — one TLS connection: handshake, records in and out, close_notify,
// and the outcome of every BoringSSL call mapped to enum ts_io in one place.
#include <errno.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void tls_set_reason(struct ts_tls *tls, int err, const char *fmt, ...) {
  if (tls->reason[0] != '\0') {
    return;  // the first, most specific reason wins
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tls->reason, sizeof(tls->reason), fmt, ap);
  va_end(ap);
  tls->reason_errno = err;
}

static void on_info(const SSL *ssl, int where, int value) {
  // SSL_CB_WRITE_ALERT shares the SSL_CB_ALERT bit: test both bits, or an
  // alert we send would be reported as the peer's.
  if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT) {
    return;
  }
  struct ts_tls *tls = SSL_get_ex_data(ssl, verify_ex_index());
  if (tls != NULL) {
    tls->peer_alert = value & 0xff;
  }
}

static int looks_like_tls(uint8_t first_byte) {
  // change_cipher_spec, alert, handshake, application_data
  return first_byte >= 0x14 && first_byte <= 0x17;
}

// explain sets the reason for a fatal BoringSSL error.
static void explain(struct ts_tls *tls) {
  if (tls->peer_alert >= 0) {
    tls_set_reason(tls, ECONNRESET, "peer sent alert: %s",
                   SSL_alert_desc_string_long(tls->peer_alert));
  } else if (tls->got_first_byte && !looks_like_tls(tls->first_byte)) {
    tls_set_reason(tls, ECONNRESET,
                   "not a TLS peer (received plaintext starting with 0x%02x)",
                   tls->first_byte);
  } else {
    uint32_t code = ERR_peek_error();
    const char *why = code == 0 ? NULL : ERR_reason_error_string(code);
    tls_set_reason(tls, ECONNRESET, "TLS error: %s",
                   why != NULL ? why : "unknown");
  }
}

// socket_failed records the socket error in |tls->sock_errno| as the reason
// and returns TS_IO_FAILED.
static enum ts_io socket_failed(struct ts_tls *tls) {
  tls_set_reason(tls, tls->sock_errno, "socket error: %s",
                 strerror(tls->sock_errno));
  return TS_IO_FAILED;
}

// outcome maps a failed SSL_* call (|ret| <= 0) to what the caller does next.
static enum ts_io outcome(struct ts_tls *tls, int ret) {
  switch (SSL_get_error(tls->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return TS_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
      return TS_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
      return TS_IO_CLOSED;
    case SSL_ERROR_SYSCALL:
      if (tls->sock_errno != 0) {
        return socket_failed(tls);
      }
      if (!tls->handshake_done) {
        tls_set_reason(tls, ECONNRESET,
                       "peer closed the connection during the handshake");
        return TS_IO_FAILED;
      }
      // End of stream without close_notify: reported as the end, as TCP
      // would, rather than as an error the program cannot act on.
      engine_io->log(TS_LOG_DEBUG, "%s %s: end of stream without close_notify",
                     tls->ctx->label, tls->peer_desc);
      return TS_IO_CLOSED;
    case SSL_ERROR_SSL:
    default:
      explain(tls);
      return TS_IO_FAILED;
  }
}

// settle keeps the promise of |readable|: when the read-ahead buffer holds a
// whole record and nothing decrypted is waiting, the record is opened now,
// from the buffer alone. Application data then shows in SSL_pending; a
// close_notify or a fatal error is latched for the next read to report.
// Handshake records (session tickets, key updates) are consumed on the way.
static void settle(struct ts_tls *tls) {
  while (!tls->latched && SSL_pending(tls->ssl) == 0 && wire_has_record(tls)) {
    uint8_t byte;
    tls->in_only = 1;
    int r = SSL_peek(tls->ssl, &byte, 1);
    tls->in_only = 0;
    if (r > 0) {
      return;
    }
    enum ts_io io = outcome(tls, r);
    if (io == TS_IO_WANT_READ || io == TS_IO_WANT_WRITE) {
      return;  // only part of a record is left
    }
    tls->latched = 1;
  }
}

int engine_readable(const struct ts_tls *tls) {
  return tls->latched || SSL_pending(tls->ssl) > 0;
}

static void begin_call(struct ts_tls *tls, int fd) {
  tls->fd = fd;
  tls->sock_errno = 0;
  ERR_clear_error();
}

struct ts_tls *engine_tls_new(struct ts_tls_ctx *ctx, const char *verify_name,
                              const char *peer_desc, char *err,
                              size_t err_len) {
  struct ts_tls *tls = calloc(1, sizeof(*tls));
  if (tls == NULL) {
    snprintf(err, err_len, "%s %s: out of memory", ctx->label, peer_desc);
    return NULL;
  }
  tls->ctx = ctx;
  tls->peer_alert = -1;
  snprintf(tls->verify_name, sizeof(tls->verify_name), "%s",
           verify_name != NULL ? verify_name : "");
  snprintf(tls->peer_desc, sizeof(tls->peer_desc), "%s", peer_desc);
  tls->ssl = SSL_new(ctx->ssl_ctx);
  if (tls->ssl == NULL || !wire_attach(tls) || !verify_bind(tls)) {
    snprintf(err, err_len, "%s %s: cannot set up the TLS connection",
             ctx->label, peer_desc);
    SSL_free(tls->ssl);
    free(tls);
    return NULL;
  }
  SSL_set_info_callback(tls->ssl, on_info);
  if (ctx->rule->role == TS_ROLE_CLIENT) {
    SSL_set_connect_state(tls->ssl);
    SSL_SESSION *session = ctx_session_for(ctx, tls->verify_name);
    if (session != NULL) {
      SSL_set_session(tls->ssl, session);
      SSL_SESSION_free(session);
    }
  } else {
    SSL_set_accept_state(tls->ssl);
  }
  return tls;
}

void engine_tls_free(struct ts_tls *tls) {
  if (tls == NULL) {
    return;
  }
  SSL_free(tls->ssl);
  wire_free(tls);
  free(tls);
}

// A client's last flight (its Finished) leaves with MSG_MORE: the kernel
// keeps it until the program's first request follows, so that both go in
// one segment and the server is woken once, or until the preload pushes it
// (engine_push_flight) because the program waits to read instead, or for
// 200 ms at most. Which flight is the last is known only once BoringSSL
// returns, so a client's flights written after the server has spoken are
// held until then (the ClientHello leaves at once).
static int client(const struct ts_tls *tls) {
  return tls->ctx->rule->role == TS_ROLE_CLIENT;
}

// client_left tells whether a server's handshake ended because the client
// went away (an end of stream, a reset, a broken pipe) rather than because it
// sent an alert or something that is not TLS. Clients do that routinely (ab
// closing its spare connections, a client that gave up waiting), so, as
// nginx does, it is not worth an error line; an alert is.
static int client_left(const struct ts_tls *tls) {
  if (tls->peer_alert >= 0 || ERR_peek_error() != 0 ||
      (tls->got_first_byte && !looks_like_tls(tls->first_byte))) {
    return 0;  // a plaintext peer is refused, whenever it leaves
  }
  return tls->saw_eof || tls->sock_errno == ECONNRESET ||
         tls->sock_errno == EPIPE;
}

enum ts_io engine_handshake(struct ts_tls *tls, int fd) {
  begin_call(tls, fd);
  if (!tls->handshake_done) {
    tls->hold = client(tls);
    int r = SSL_do_handshake(tls->ssl);
    tls->hold = 0;
    if (r != 1) {
      enum ts_io io = outcome(tls, r);
      if (io != TS_IO_WANT_READ && io != TS_IO_WANT_WRITE) {
        if (tls->saw_eof && !tls->got_first_byte) {
          tls->reason[0] = '\0';
          tls_set_reason(tls, ECONNRESET,
                         "peer closed the connection before sending anything");
        } else if (io == TS_IO_CLOSED) {
          tls_set_reason(tls, ECONNRESET,
                         "peer closed the connection during the handshake");
        }
        if (!client(tls) && client_left(tls)) {
          return TS_IO_CLOSED;
        }
        wire_flush(tls);  // let our alert reach the peer if it can
        return TS_IO_FAILED;
      }
      if (wire_flush(tls) == TS_IO_WANT_WRITE) {
        return TS_IO_WANT_WRITE;
      }
      return io;
    }
    tls->handshake_done = 1;
    settle(tls);  // the peer's first records may have come with its Finished
    if (client(tls) && tls->out_len > 0) {
      tls->more = 1;
      enum ts_io io = wire_flush(tls);
      tls->more = 0;
      tls->flight_corked = io == TS_IO_DONE;
    }
  }
  // The last flight may still be buffered; it must leave before we wait for
  // the peer's answer to it.
  switch (wire_flush(tls)) {
    case TS_IO_DONE:
      return TS_IO_DONE;
    case TS_IO_WANT_WRITE:
      return TS_IO_WANT_WRITE;
    case TS_IO_FAILED:
    default:
      return socket_failed(tls);
  }
}

// read_more goes on with a read whose record was full, while bytes read
// ahead are left, or when the last recvmsg filled all it was offered: a
// bulk sender fills its records, so the next ones are likely queued already,
// and taking them now saves the program a wait and a call for each. Bytes
// read ahead are the start of the next record, the rest of which is likely
// in the kernel already, and a recvmsg that was filled may have left more
// there, where an edge-triggered program would never hear of it again: a
// read that stopped short there would look drained to it (nginx reads so)
// and leave it waiting. It never waits (the socket is non-blocking) and
// stops after a record that was not full with nothing read ahead, when the
// last recvmsg did not fill all it was offered, so a small message costs no
// extra system call (one that finds nothing, when a recvmsg was filled
// exactly and nothing followed). What
// ends it, other than running out of input, is latched for the next read to
// report; a socket error, which the kernel reports once, is kept for it.
static size_t read_more(struct ts_tls *tls, uint8_t *buf, size_t room) {
  size_t got = 0;
  int r = TS_RECORD_MAX;
  while ((r == TS_RECORD_MAX || (r > 0 && wire_more_queued(tls))) &&
         got < room) {
    size_t left = room - got;
    tls->read_room = left;
    r = SSL_read(tls->ssl, buf + got, left > INT32_MAX ? INT32_MAX : (int)left);
    if (r > 0) {
      got += (size_t)r;
      continue;
    }
    enum ts_io io = outcome(tls, r);
    if (io != TS_IO_WANT_READ && io != TS_IO_WANT_WRITE) {
      tls->latched = 1;
      if (io == TS_IO_FAILED && tls->sock_errno != 0) {
        tls->deferred_errno = tls->sock_errno;
      }
    }
  }
  return got;
}

enum ts_io engine_read(struct ts_tls *tls, int fd, void *buf, size_t len,
                       int peek, size_t *out_len) {
  *out_len = 0;
  if (!tls->handshake_done) {
    enum ts_io io = engine_handshake(tls, fd);
    if (io != TS_IO_DONE) {
      return io;
    }
  }
  begin_call(tls, fd);
  if (tls->deferred_errno != 0) {
    tls->sock_errno = tls->deferred_errno;
    return socket_failed(tls);
  }
  int want = len > INT32_MAX ? INT32_MAX : (int)len;
  tls->read_room = peek ? 0 : (size_t)want;
  int r = peek ? SSL_peek(tls->ssl, buf, want) : SSL_read(tls->ssl, buf, want);
  if (r > 0) {
    *out_len = (size_t)r;
    if (!peek && (r == TS_RECORD_MAX || wire_more_queued(tls))) {
      *out_len += read_more(tls, (uint8_t *)buf + r, (size_t)(want - r));
    }
  }
  tls->read_room = 0;
  enum ts_io io = TS_IO_DONE;
  if (r > 0) {
    settle(tls);
  } else {
    io = outcome(tls, r);
  }
  wire_end_read(tls);
  return io;
}

enum ts_io engine_write(struct ts_tls *tls, int fd, const void *buf, size_t len,
                        size_t *out_len) {
  *out_len = 0;
  if (!tls->handshake_done) {
    enum ts_io io = engine_handshake(tls, fd);
    if (io != TS_IO_DONE) {
      return io;
    }
  }
  begin_call(tls, fd);
  switch (wire_flush(tls)) {
    case TS_IO_DONE:
      break;
    case TS_IO_WANT_WRITE:
      return TS_IO_WANT_WRITE;
    case TS_IO_FAILED:
    default:
      return outcome(tls, -1);
  }
  // Encrypt up to TS_RECORDS_PER_WRITE records, each sent as it is sealed
  // (wire.c). Stop once the kernel refuses: the rest waits for POLLOUT.
  size_t consumed = 0;
  int r = 1;
  for (int i = 0; i < TS_RECORDS_PER_WRITE && consumed < len; i++) {
    size_t left = len - consumed;
    int chunk = left > TS_RECORD_MAX ? TS_RECORD_MAX : (int)left;
    tls->more = i + 1 < TS_RECORDS_PER_WRITE && left > (size_t)chunk;
    r = SSL_write(tls->ssl, (const uint8_t *)buf + consumed, chunk);
    if (r <= 0) {
      break;
    }
    consumed += (size_t)r;
    if (tls->out_len > 0) {
      break;
    }
  }
  tls->more = 0;
  if (consumed > 0) {
    *out_len = consumed;
    return TS_IO_DONE;
  }
  return outcome(tls, r);
}

int engine_push_flight(struct ts_tls *tls) {
  int corked = tls->flight_corked;
  tls->flight_corked = 0;
  return corked;
}

enum ts_io engine_flush(struct ts_tls *tls, int fd) {
  begin_call(tls, fd);
  enum ts_io io = wire_flush(tls);
  return io == TS_IO_FAILED ? socket_failed(tls) : io;
}

enum ts_io engine_close_notify(struct ts_tls *tls, int fd) {
  if (!tls->handshake_done) {
    return TS_IO_DONE;
  }
  begin_call(tls, fd);
  if (!tls->close_notify_sent) {
    tls->close_notify_sent = 1;
    tls->cork = 1;                 // the caller's shutdown sends it with FIN
    (void)SSL_shutdown(tls->ssl);  // queues the alert into the wire buffer
    ERR_clear_error();
  }
  return engine_flush(tls, fd);
}
