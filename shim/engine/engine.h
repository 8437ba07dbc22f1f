// engine.h — internal to the engine: the per-rule context and the
// per-connection state. This directory is the only code in tlsshim that sees
// BoringSSL.
#ifndef TLSSHIM_ENGINE_INTERNAL_H
#define TLSSHIM_ENGINE_INTERNAL_H

#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../engine_api.h"

// The largest plaintext in one TLS record.
#define TS_RECORD_MAX 16384

// One write() encrypts up to this many records. Each goes to the kernel
// straight from BoringSSL's buffer as soon as it is sealed, with MSG_MORE
// while more of the same write follow, so a bulk write is packed into full
// segments and its ciphertext is never copied again. Only what the kernel
// refuses is copied into the connection's buffer, and sealing stops there.
#define TS_RECORDS_PER_WRITE 4

// A recv reads up to this many bytes beyond what BoringSSL asked for, so a
// small record costs one system call rather than two and a whole flight of
// small records costs one. The buffer is freed once drained, so an idle
// connection keeps none.
#define TS_READ_AHEAD 4096

// A recv for a record body at least TS_READ_AHEAD long reads up to this many
// bytes beyond it, but no more than the read's room beyond a whole record,
// and only when that is more than TS_READ_AHEAD: a bulk sender's next
// records are likely queued, and one recv for them saves one per record, for
// one more copy of each (see wire.c). Reading no more than the program asked
// for leaves the rest to the kernel's buffers and TCP's flow control, and
// the read drains the buffer, which then goes back to spare.c (wire_end_read
// drops what a read that ended at a close_notify or an error left).
#define TS_BULK_READ_AHEAD (256 * 1024)

// How many drained bulk buffers a process keeps for the next connection to
// use (spare.c), rather than freeing them.
#define TS_SPARE_BUFFERS 4

// How many client sessions a context keeps for resumption (one per name).
#define TS_SESSION_CACHE_SLOTS 16

struct cached_session {
  char name[256];
  SSL_SESSION *session;
};

// How many verified peer chains a context remembers (verified.c), and for how
// long at most, in seconds.
#define TS_VERIFIED_SLOTS 32
#define TS_VERIFIED_TTL 3600

struct verified_chain {
  uint8_t key[SHA256_DIGEST_LENGTH];  // the expected name and the chain
  time_t verified_at;                 // when the verifier accepted it
  time_t until;                       // from this second on it no longer counts
};

struct verified_cache {
  pthread_mutex_t lock;
  struct verified_chain slot[TS_VERIFIED_SLOTS];
  size_t next;
};

struct ts_tls_ctx {
  SSL_CTX *ssl_ctx;
  const struct ts_rule *rule;
  char label[80];  // "[client:web]"
  pthread_mutex_t cache_lock;
  struct cached_session cache[TS_SESSION_CACHE_SLOTS];
  size_t cache_next;
  X509_STORE *trust;  // the peer's chain must lead here; NULL only for a
                      // server that asks for no client certificate
  struct verified_cache verified;
  struct ts_tls_ctx *next_tracked;  // fork.c's list of live contexts
};

struct ts_tls {
  struct ts_tls_ctx *ctx;
  SSL *ssl;
  int fd;  // the socket of the current call

  // Ciphertext the kernel did not take yet (wire.c).
  uint8_t *out;
  size_t out_len;  // bytes held, from |out_off|
  size_t out_off;

  // Ciphertext received beyond what BoringSSL asked for (wire.c): |in|
  // points to a TS_READ_AHEAD buffer of its own, to a TS_BULK_READ_AHEAD one
  // from spare.c (|in_bulk|) or, when that cannot be had, to |in_header|.
  uint8_t *in;
  int in_bulk;
  uint8_t in_header[5];  // the next record's header, read with a body
  size_t in_len;         // bytes held, from |in_off|
  size_t in_off;
  size_t read_room;  // plaintext the current read can still take: bounds a
                     // bulk read-ahead (0 outside engine_read, and on peeks)
  int ahead_full;    // the last recvmsg filled all it was offered, so the
                     // kernel may hold more
  int in_only;       // wire_read serves |in| and never touches the socket
  int latched;       // a close_notify or an error was taken from the socket
                     // early (settle, read_more): readable from then on, as
                     // every later read reports it

  int more;            // another record of this write follows: MSG_MORE
  int cork;            // send with MSG_MORE: the FIN follows (close_notify)
  int hold;            // keep what BoringSSL writes in |out| once the peer
                       // has spoken (a client's handshake flights, until we
                       // know which is the last)
  int flight_corked;   // the client's last flight left with MSG_MORE
  int sock_errno;      // errno of the last failed recv/send, or 0
  int deferred_errno;  // a recv failed after a read had data: the next fails
  int send_errno;      // a send failed: the socket stays failed with it
  int saw_eof;         // recv returned 0
  uint8_t first_byte;  // first byte ever received, to spot plaintext peers
  int got_first_byte;
  int handshake_done;
  int close_notify_sent;
  int peer_alert;        // last alert received, or -1
  int chain_from_cache;  // chain verified on an earlier connection

  char verify_name[256];
  char peer_desc[80];
  char reason[600];  // why it failed, in words
  int reason_errno;  // errno for |reason|
};

// engine_io is the preload's I/O and logger, set by init.
extern const struct ts_engine_io *engine_io;

// --- wire.c: the BIO between BoringSSL and the socket ----------------------

// wire_attach gives |tls->ssl| a BIO that reads and writes |tls->fd| through
// engine_io. Returns 1, or 0 on allocation failure.
int wire_attach(struct ts_tls *tls);

// wire_flush sends buffered ciphertext: TS_IO_DONE when none is left,
// TS_IO_WANT_WRITE while some is, TS_IO_FAILED on a socket error.
enum ts_io wire_flush(struct ts_tls *tls);

// wire_has_record returns 1 when the read-ahead buffer holds a whole record.
int wire_has_record(const struct ts_tls *tls);

// wire_more_queued returns 1 when more input is likely at hand without
// waiting: the read-ahead buffer holds a byte, or the last recvmsg filled
// all it was offered.
int wire_more_queued(const struct ts_tls *tls);

// wire_end_read, at the end of a read, gives back a bulk read-ahead buffer
// the read did not drain (it ended at a close_notify or an error, after
// which nothing is read), so that no connection holds one between reads.
void wire_end_read(struct ts_tls *tls);

// wire_free releases both buffers.
void wire_free(struct ts_tls *tls);

// --- spare.c: bulk read-ahead buffers, recycled --------------------------

// spare_take returns a TS_BULK_READ_AHEAD buffer, a drained one if the
// process has one spare, or NULL. spare_give keeps |buf| for the next taker,
// or frees it when TS_SPARE_BUFFERS are kept already.
uint8_t *spare_take(void);
void spare_give(uint8_t *buf);

// --- verify.c: certificate checks and reasons in words ---------------------

// verify_install configures |ctx|'s verification for its rule: trust store,
// client-certificate demand. Returns 1 or 0 with a reason in |err|.
int verify_install(struct ts_tls_ctx *ctx, char *err, size_t err_len);

// verify_bind ties a new connection to its ts_tls, which holds the name or
// address the peer's certificate must carry (clients), and sends that name
// as SNI. Returns 1 or 0.
int verify_bind(struct ts_tls *tls);

// verify_ex_index is the SSL ex_data slot that points back at the ts_tls.
int verify_ex_index(void);

// --- verified.c: chains a context has already verified -------------------

void verified_init(struct verified_cache *cache);
void verified_destroy(struct verified_cache *cache);

// verified_key hashes the expected |name| and the chain the peer sent into
// |key|. Returns 1, or 0 when there is no chain.
int verified_key(const SSL *ssl, const char *name,
                 uint8_t key[SHA256_DIGEST_LENGTH]);

// verified_lookup returns 1 when |key|'s chain was verified and still counts.
int verified_lookup(struct verified_cache *cache, const uint8_t *key);

// verified_remember records that |key|'s chain passed |store|'s verification
// just now, until its earliest expiry or TS_VERIFIED_TTL.
void verified_remember(struct verified_cache *cache, const uint8_t *key,
                       X509_STORE_CTX *store);

// --- fork.c: context locks across fork() -----------------------------------

// fork_track makes fork() take |ctx|'s locks first and release them in both
// processes after; fork_untrack stops it (before |ctx| is freed).
void fork_track(struct ts_tls_ctx *ctx);
void fork_untrack(struct ts_tls_ctx *ctx);

// --- tls.c: the table's per-connection operations (see engine_api.h) -------
struct ts_tls *engine_tls_new(struct ts_tls_ctx *ctx, const char *verify_name,
                              const char *peer_desc, char *err, size_t err_len);
void engine_tls_free(struct ts_tls *tls);
enum ts_io engine_handshake(struct ts_tls *tls, int fd);
enum ts_io engine_read(struct ts_tls *tls, int fd, void *buf, size_t len,
                       int peek, size_t *out_len);
enum ts_io engine_write(struct ts_tls *tls, int fd, const void *buf, size_t len,
                        size_t *out_len);
int engine_push_flight(struct ts_tls *tls);
enum ts_io engine_flush(struct ts_tls *tls, int fd);
enum ts_io engine_close_notify(struct ts_tls *tls, int fd);
int engine_readable(const struct ts_tls *tls);

// tls_set_reason records why |tls| failed, unless a reason is already set.
void tls_set_reason(struct ts_tls *tls, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// --- ctx.c ------------------------------------------------------------------

struct ts_tls_ctx *engine_ctx_new(const struct ts_rule *rule, char *err,
                                  size_t err_len);
void engine_ctx_free(struct ts_tls_ctx *ctx);

// ctx_session_for returns a new reference to the cached session for |name|,
// or NULL.
SSL_SESSION *ctx_session_for(struct ts_tls_ctx *ctx, const char *name);

#endif  // TLSSHIM_ENGINE_INTERNAL_H
