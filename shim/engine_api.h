// engine_api.h — the one contract between the preload (libtlsshim.so) and the
// TLS engine (libtlsshim-engine.so).
//
// The preload never links BoringSSL: it dlopen()s the engine with
// RTLD_LOCAL | RTLD_DEEPBIND the first time a connection needs TLS and calls it
// only through the table below. The engine never touches a hook or the fd
// table: every byte it moves goes through the |recv|/|send| functions handed to
// |init|, on the descriptor passed to each call. Ciphertext the kernel cannot
// take at once is kept in the engine's own bounded output buffer, so the engine
// never asks the caller to repeat a write with the same arguments.
#ifndef TLSSHIM_ENGINE_API_H
#define TLSSHIM_ENGINE_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../config/config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_ENGINE_ABI_VERSION 3

// TS_ENGINE_SYMBOL is the only symbol the engine exports.
#define TS_ENGINE_SYMBOL "tlsshim_engine"

// ts_io is the outcome of every engine operation on a connection.
enum ts_io {
  TS_IO_DONE = 0,  // the operation completed (maybe partially, see out_len)
  TS_IO_WANT_READ = 1,   // wait until the socket is readable, then call again
  TS_IO_WANT_WRITE = 2,  // wait until the socket is writable, then call again
  TS_IO_CLOSED = 3,      // the peer closed: close_notify or end of stream
  TS_IO_FAILED = 4,      // fatal; see |error|
};

// ts_engine_io is what the preload lends the engine: the real libc socket
// calls (never the hooks) and its logger. The engine reads with recvmsg so
// that one call can fill a record and read ahead into its own buffer.
struct ts_engine_io {
  ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
  ssize_t (*send)(int fd, const void *buf, size_t len, int flags);
  // log writes one line at |level| (enum ts_log_level); printf-style.
  void (*log)(int level, const char *fmt, ...)
      __attribute__((format(printf, 2, 3)));
};

struct ts_tls_ctx;  // per rule: certificates, trust store, session cache
struct ts_tls;      // per connection

struct ts_engine {
  unsigned abi_version;  // TS_ENGINE_ABI_VERSION

  // init records |io| (which must outlive the engine) and initialises
  // BoringSSL. It returns 1 on success, 0 on failure.
  int (*init)(const struct ts_engine_io *io);

  // ctx_new builds the TLS context for |rule| (client or server): loads the
  // trust store, certificate chain and key, sets the version floor and the
  // session cache. It returns NULL on failure with a one-line reason in |err|
  // ("rule [client:db]: cannot read ca_file /x/ca.pem: No such file").
  struct ts_tls_ctx *(*ctx_new)(const struct ts_rule *rule, char *err,
                                size_t err_len);
  // ctx_free releases |ctx|; accepts NULL. No ts_tls may still use it.
  void (*ctx_free)(struct ts_tls_ctx *ctx);

  // tls_new creates one connection in |ctx|'s role. For a client,
  // |verify_name| is the DNS name or IP literal the server certificate must
  // carry (also sent as SNI when it is a DNS name); it must not be NULL.
  // |peer_desc| ("127.0.0.1:8443") is used in log lines. Returns NULL on
  // failure with a reason in |err|.
  struct ts_tls *(*tls_new)(struct ts_tls_ctx *ctx, const char *verify_name,
                            const char *peer_desc, char *err, size_t err_len);
  // tls_free releases |tls| without sending anything; accepts NULL.
  void (*tls_free)(struct ts_tls *tls);

  // handshake drives the handshake on socket |fd| without blocking. It
  // returns TS_IO_DONE once the handshake has completed and the peer is
  // verified (calling it again then returns TS_IO_DONE at once), and
  // TS_IO_CLOSED, on a server, when the client went away without a word:
  // closed before sending a byte (a port probe, a health check), or ended or
  // reset the connection mid-handshake with no alert (a client that gave
  // up). A failure, but not one worth an error line; error() says which. A
  // client whose server does the same has failed: TS_IO_FAILED.
  enum ts_io (*handshake)(struct ts_tls *tls, int fd);

  // read decrypts up to |len| bytes into |buf| without blocking; with |peek|
  // the bytes stay queued. On TS_IO_DONE |*out_len| > 0. Drives the handshake
  // first if it is not complete.
  enum ts_io (*read)(struct ts_tls *tls, int fd, void *buf, size_t len,
                     int peek, size_t *out_len);

  // write encrypts up to |len| bytes from |buf| without blocking. On
  // TS_IO_DONE |*out_len| (>0) bytes were consumed: they are encrypted and
  // either sent or held in the engine's output buffer. Returns
  // TS_IO_WANT_WRITE, consuming nothing, while that buffer is still full.
  enum ts_io (*write)(struct ts_tls *tls, int fd, const void *buf, size_t len,
                      size_t *out_len);

  // push_flight returns 1, once, when a client's handshake left its last
  // flight (its Finished) in the kernel corked (MSG_MORE), to go out with
  // the program's first request in one segment; else 0. A caller about to
  // read or wait for the peer instead must push it out itself (TCP_NODELAY
  // does), or the kernel holds it up to 200 ms.
  int (*push_flight)(struct ts_tls *tls);

  // flush sends buffered ciphertext: TS_IO_DONE when none is left,
  // TS_IO_WANT_WRITE while some is, TS_IO_FAILED on a socket error.
  enum ts_io (*flush)(struct ts_tls *tls, int fd);

  // close_notify queues a close_notify alert (once) and flushes as |flush|
  // does, but corked (MSG_MORE), like every send after it: the caller shuts
  // down the socket's write side once |flush| reports TS_IO_DONE (or gives
  // up), and the kernel sends the alert with its FIN in one segment. It is a
  // no-op returning TS_IO_DONE before the handshake completed.
  enum ts_io (*close_notify)(struct ts_tls *tls, int fd);

  // pending returns how many decrypted bytes |read| can return at once.
  size_t (*pending)(const struct ts_tls *tls);

  // readable returns 1 when |read| would return at once without the socket:
  // decrypted bytes are waiting, or the peer's close_notify or a fatal error
  // already arrived (ciphertext the engine read ahead of the program). When
  // it returns 0, the engine holds no complete record: only the kernel
  // socket becoming readable can change that.
  int (*readable)(const struct ts_tls *tls);

  // has_output returns 1 when ciphertext is waiting to be sent, else 0.
  int (*has_output)(const struct ts_tls *tls);

  // handshake_done returns 1 once the handshake completed and was verified.
  int (*handshake_done)(const struct ts_tls *tls);

  // error returns why the last operation returned TS_IO_FAILED, in words
  // ("certificate has expired", "host name mismatch: wanted db.internal,
  // certificate has api.internal"), and sets |*out_errno| to the errno the
  // program should see: the socket's own errno for socket errors, ECONNRESET
  // for an alert or a broken record, EPROTO for a verification failure.
  const char *(*error)(const struct ts_tls *tls, int *out_errno);

  // describe writes "TLSv1.3 TLS_AES_128_GCM_SHA256, peer CN=db.internal
  // (verified), resumed=no" into |buf|.
  void (*describe)(const struct ts_tls *tls, char *buf, size_t len);
};

// tlsshim_engine is exported by libtlsshim-engine.so and returns its table.
typedef const struct ts_engine *(*ts_engine_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif  // TLSSHIM_ENGINE_API_H
