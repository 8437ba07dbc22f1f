// test_engine.c — the TLS engine through its table, a client and a server
// connection over a non-blocking socketpair driven alternately: handshakes,
// every verification failure and its reason, mutual TLS and allow_names,
// bulk transfer through a full socket buffer, how writes become sends, peek,
// close_notify, plaintext peers, session resumption and the reuse of verified
// chains.
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../shim/engine_api.h"

#define CERTS "build/certs/"

static const struct ts_engine *eng;

static void quiet_log(int level, const char *fmt, ...) {
  (void)level;
  (void)fmt;
}

// Every recvmsg the engine makes, for the tests that count system calls.
static size_t recv_calls;

// When nonzero, that recvmsg (counting from 1) fails with ECONNRESET, once,
// as the kernel reports a reset once.
static size_t fail_recv_number;

static ssize_t counting_recvmsg(int fd, struct msghdr *msg, int flags) {
  recv_calls++;
  if (fail_recv_number != 0 && recv_calls == fail_recv_number) {
    errno = ECONNRESET;
    return -1;
  }
  return recvmsg(fd, msg, flags);
}

// The flags of the engine's recent sends, for the tests that check packing.
static int send_flags[16];
static size_t send_calls;

// When nonzero, the sends from this number on (counting from 1) fail with
// EPIPE, as on a socket whose peer has gone.
static size_t fail_sends_from;

static ssize_t recording_send(int fd, const void *buf, size_t len, int flags) {
  send_flags[send_calls % 16] = flags;
  send_calls++;
  if (fail_sends_from != 0 && send_calls >= fail_sends_from) {
    errno = EPIPE;
    return -1;
  }
  return send(fd, buf, len, flags);
}

static const struct ts_engine_io io = {counting_recvmsg, recording_send,
                                       quiet_log};

static void setup(void) {
  cr_assert_eq(system("tests/certs/make-certs.sh " CERTS), 0,
               "make-certs.sh failed (run from the repository root)");
  // Loaded as the preload loads it: in its own symbol scope.
  void *handle = dlopen("build/libtlsshim-engine.so",
                        RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  cr_assert_not_null(handle, "dlopen: %s", dlerror());
  ts_engine_entry_fn entry =
      (ts_engine_entry_fn)dlsym(handle, TS_ENGINE_SYMBOL);
  cr_assert_not_null(entry);
  eng = entry();
  cr_assert_not_null(eng);
  cr_assert_eq(eng->abi_version, TS_ENGINE_ABI_VERSION);
  cr_assert(eng->init(&io));
}

TestSuite(engine, .init = setup);

static struct ts_rule client_rule(const char *ca) {
  struct ts_rule r;
  memset(&r, 0, sizeof(r));
  snprintf(r.name, sizeof(r.name), "c");
  r.role = TS_ROLE_CLIENT;
  r.ca_file = (char *)ca;
  r.min_version = 0x0303;
  r.resumption = 1;
  return r;
}

static struct ts_rule server_rule(const char *cert, const char *key) {
  struct ts_rule r;
  memset(&r, 0, sizeof(r));
  snprintf(r.name, sizeof(r.name), "s");
  r.role = TS_ROLE_SERVER;
  r.cert = (char *)cert;
  r.key = (char *)key;
  r.min_version = 0x0303;
  r.resumption = 1;
  return r;
}

struct pair {
  struct ts_tls_ctx *cctx;
  struct ts_tls_ctx *sctx;
  struct ts_tls *c;
  struct ts_tls *s;
  int cfd;
  int sfd;
};

static struct ts_tls_ctx *ctx_or_die(const struct ts_rule *rule) {
  char err[512] = "";
  struct ts_tls_ctx *ctx = eng->ctx_new(rule, err, sizeof(err));
  cr_assert_not_null(ctx, "ctx_new: %s", err);
  return ctx;
}

static void open_pair(struct pair *p, struct ts_tls_ctx *cctx,
                      struct ts_tls_ctx *sctx, const char *name) {
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  p->cfd = sv[0];
  p->sfd = sv[1];
  p->cctx = cctx;
  p->sctx = sctx;
  char err[512];
  p->c = eng->tls_new(cctx, name, "server", err, sizeof(err));
  p->s = eng->tls_new(sctx, NULL, "client", err, sizeof(err));
  cr_assert(p->c != NULL && p->s != NULL, "tls_new: %s", err);
}

static void close_pair(struct pair *p) {
  eng->tls_free(p->c);
  eng->tls_free(p->s);
  close(p->cfd);
  close(p->sfd);
}

// handshake drives both sides; returns 1 when both completed.
static int handshake(struct pair *p, enum ts_io *out_c, enum ts_io *out_s) {
  enum ts_io c = TS_IO_WANT_WRITE;
  enum ts_io s = TS_IO_WANT_READ;
  for (int i = 0; i < 200; i++) {
    if (c != TS_IO_DONE && c != TS_IO_FAILED) {
      c = eng->handshake(p->c, p->cfd);
    }
    if (s != TS_IO_DONE && s != TS_IO_FAILED) {
      s = eng->handshake(p->s, p->sfd);
    }
    if ((c == TS_IO_DONE || c == TS_IO_FAILED) &&
        (s == TS_IO_DONE || s == TS_IO_FAILED)) {
      break;
    }
    if (c == TS_IO_FAILED || s == TS_IO_FAILED) {
      // One side gave up; let the other read its alert or the end.
      if (i > 5) {
        break;
      }
    }
  }
  *out_c = c;
  *out_s = s;
  return c == TS_IO_DONE && s == TS_IO_DONE;
}

static void expect_refused_under(const char *ca, const char *cert,
                                 const char *key, const char *name,
                                 const char *reason) {
  struct ts_rule cr = client_rule(ca);
  struct ts_rule sr = server_rule(cert, key);
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), name);
  enum ts_io c;
  enum ts_io s;
  cr_assert_not(handshake(&p, &c, &s));
  cr_assert_eq(c, TS_IO_FAILED);
  int err = 0;
  const char *why = eng->error(p.c, &err);
  cr_assert(strstr(why, reason) != NULL, "reason '%s' lacks '%s'", why, reason);
  cr_assert_eq(err, EPROTO);
  close_pair(&p);
}

static void expect_refused(const char *cert, const char *key, const char *name,
                           const char *reason) {
  expect_refused_under(CERTS "ca.pem", cert, key, name, reason);
}

static void expect_accepted(const char *cert, const char *key,
                            const char *name) {
  struct ts_rule cr = client_rule(CERTS "ca.pem");
  struct ts_rule sr = server_rule(cert, key);
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), name);
  enum ts_io c;
  enum ts_io s;
  cr_assert(handshake(&p, &c, &s), "%s under %s refused", cert, name);
  close_pair(&p);
}

Test(engine, tls13_by_name) {
  struct ts_rule cr = client_rule(CERTS "ca.pem");
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  enum ts_io c;
  enum ts_io s;
  cr_assert(handshake(&p, &c, &s));
  cr_assert(eng->handshake_done(p.c));
  char desc[400];
  eng->describe(p.c, desc, sizeof(desc));
  cr_assert(strstr(desc, "TLSv1.3") && strstr(desc, "verified as localhost"),
            "%s", desc);
  close_pair(&p);
}

Test(engine, verified_by_ip_san) {
  expect_accepted(CERTS "server.pem", CERTS "server.key", "127.0.0.1");
}

Test(engine, expired_refused) {
  expect_refused(CERTS "expired.pem", CERTS "expired.key", "localhost",
                 "certificate has expired");
}

Test(engine, wrong_name_refused) {
  expect_refused(CERTS "wrongname.pem", CERTS "wrongname.key", "localhost",
                 "host name mismatch: wanted localhost, certificate has "
                 "DNS:wrong.test");
}

Test(engine, wrong_ip_refused) {
  expect_refused(CERTS "server.pem", CERTS "server.key", "10.9.9.9",
                 "IP address mismatch: wanted 10.9.9.9");
}

Test(engine, unknown_ca_refused) {
  expect_refused(CERTS "unknown-ca-server.pem", CERTS "unknown-ca-server.key",
                 "localhost", "unable to get local issuer certificate");
}

Test(engine, chain_through_an_intermediate_verified) {
  expect_accepted(CERTS "inter-chain.pem", CERTS "inter-server.key",
                  "localhost");
}

Test(engine, trusted_certificate_block_is_a_leaf) {
  expect_accepted(CERTS "server-trusted.pem", CERTS "server.key", "localhost");
}

Test(engine, leaf_without_its_intermediate_refused) {
  expect_refused(CERTS "inter-server.pem", CERTS "inter-server.key",
                 "localhost", "unable to get local issuer certificate");
}

Test(engine, sha1_signed_certificate_refused) {
  expect_refused(CERTS "sha1-server.pem", CERTS "sha1-server.key", "localhost",
                 "certificate CN=localhost is signed with SHA-1");
}

static void expect_trusted_under(const char *ca, const char *cert,
                                 const char *key) {
  struct ts_rule cr = client_rule(ca);
  struct ts_rule sr = server_rule(cert, key);
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  enum ts_io c;
  enum ts_io s;
  int err = 0;
  cr_assert(handshake(&p, &c, &s), "%s", eng->error(p.c, &err));
  close_pair(&p);
}

// A root's self-signature proves nothing, whatever its digest: an old root
// signed with SHA-1 still anchors a chain whose other signatures are strong.
Test(engine, sha1_self_signed_root_still_trusted) {
  expect_trusted_under(CERTS "sha1-root.pem", CERTS "sha1-root-server.pem",
                       CERTS "sha1-root-server.key");
}

// RSA-PSS names its digest in the signature's parameters; none means SHA-1.
Test(engine, rsa_pss_sha1_signed_certificate_refused) {
  expect_refused_under(CERTS "rsa-ca.pem", CERTS "pss-sha1-server.pem",
                       CERTS "pss-sha1-server.key", "localhost",
                       "certificate CN=localhost is signed with SHA-1");
}

Test(engine, rsa_pss_sha256_signed_certificate_trusted) {
  expect_trusted_under(CERTS "rsa-ca.pem", CERTS "pss-server.pem",
                       CERTS "pss-server.key");
}

Test(engine, self_signed_refused) {
  expect_refused(CERTS "selfsigned.pem", CERTS "selfsigned.key", "localhost",
                 "self-signed certificate");
}

// mtls runs a handshake against a server requiring client certificates.
static int mtls(const char *cert, const char *key, const char *allow,
                char *server_reason, size_t len) {
  struct ts_rule cr = client_rule(CERTS "ca.pem");
  cr.cert = (char *)cert;
  cr.key = (char *)key;
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  sr.client_ca = CERTS "ca.pem";
  char *names[1] = {(char *)allow};
  if (allow != NULL) {
    sr.allow_names = names;
    sr.num_allow_names = 1;
  }
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  enum ts_io c;
  enum ts_io s;
  int ok = handshake(&p, &c, &s);
  int err = 0;
  snprintf(server_reason, len, "%s", ok ? "" : eng->error(p.s, &err));
  close_pair(&p);
  return ok;
}

Test(engine, mtls_accepts_trusted_client) {
  char why[600];
  cr_assert(
      mtls(CERTS "client.pem", CERTS "client.key", NULL, why, sizeof(why)),
      "%s", why);
}

Test(engine, mtls_refuses_missing_client_cert) {
  char why[600];
  cr_assert_not(mtls(NULL, NULL, NULL, why, sizeof(why)));
}

Test(engine, mtls_refuses_other_ca) {
  char why[600];
  cr_assert_not(mtls(CERTS "client-other.pem", CERTS "client-other.key", NULL,
                     why, sizeof(why)));
  cr_assert(strstr(why, "unable to get local issuer") != NULL, "%s", why);
}

Test(engine, allow_names_refuses_other_name) {
  char why[600];
  cr_assert_not(mtls(CERTS "client2.pem", CERTS "client2.key", "client.test",
                     why, sizeof(why)));
  cr_assert(strstr(why, "client certificate name not allowed") != NULL &&
                strstr(why, "DNS:other-client.test") != NULL,
            "%s", why);
}

Test(engine, allow_names_wildcard_and_spiffe) {
  char why[600];
  cr_assert(
      mtls(CERTS "client.pem", CERTS "client.key", "*.test", why, sizeof(why)),
      "%s", why);
  cr_assert(mtls(CERTS "client.pem", CERTS "client.key",
                 "spiffe://tlsshim.test/workload/client", why, sizeof(why)),
            "%s", why);
  cr_assert_not(mtls(CERTS "client.pem", CERTS "client.key", "*.client.test",
                     why, sizeof(why)),
                "a wildcard stands for exactly one label");
}

// Ed25519 keys on both sides: the client verifies an Ed25519 server chain
// and handshake signature, the server an Ed25519 client certificate.
Test(engine, ed25519_certificates_both_ways) {
  struct ts_rule cr = client_rule(CERTS "ed-ca.pem");
  cr.cert = CERTS "ed-client.pem";
  cr.key = CERTS "ed-client.key";
  struct ts_rule sr = server_rule(CERTS "ed-server.pem", CERTS "ed-server.key");
  sr.client_ca = CERTS "ed-ca.pem";
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  enum ts_io c;
  enum ts_io s;
  int err = 0;
  cr_assert(handshake(&p, &c, &s), "client: %s; server: %s",
            eng->error(p.c, &err), eng->error(p.s, &err));
  char desc[400];
  eng->describe(p.s, desc, sizeof(desc));
  cr_assert(strstr(desc, "CN=client.test (verified)") != NULL, "%s", desc);
  close_pair(&p);
}

static struct pair open_session(void) {
  static struct ts_tls_ctx *cctx;
  static struct ts_tls_ctx *sctx;
  if (cctx == NULL) {
    struct ts_rule *cr = malloc(sizeof(*cr));
    struct ts_rule *sr = malloc(sizeof(*sr));
    *cr = client_rule(CERTS "ca.pem");
    *sr = server_rule(CERTS "server.pem", CERTS "server.key");
    cctx = ctx_or_die(cr);
    sctx = ctx_or_die(sr);
  }
  struct pair p;
  open_pair(&p, cctx, sctx, "localhost");
  enum ts_io c;
  enum ts_io s;
  cr_assert(handshake(&p, &c, &s));
  return p;
}

Test(engine, bulk_transfer_through_full_buffers) {
  struct pair p = open_session();
  int small = 4096;
  setsockopt(p.cfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  setsockopt(p.sfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  size_t total = 8 << 20;
  unsigned char *src = malloc(total);
  unsigned char *dst = malloc(total);
  for (size_t i = 0; i < total; i++) {
    src[i] = (unsigned char)(i * 31 + (i >> 12));
  }
  size_t sent = 0;
  size_t got = 0;
  int want_write = 0;
  while (got < total) {
    if (sent < total) {
      size_t n = 0;
      enum ts_io w = eng->write(p.c, p.cfd, src + sent, total - sent, &n);
      cr_assert(w == TS_IO_DONE || w == TS_IO_WANT_WRITE);
      want_write |= w == TS_IO_WANT_WRITE;
      sent += n;
    } else {
      cr_assert_neq(eng->flush(p.c, p.cfd), TS_IO_FAILED);
    }
    size_t n = 0;
    enum ts_io r = eng->read(p.s, p.sfd, dst + got, total - got, 0, &n);
    cr_assert(r == TS_IO_DONE || r == TS_IO_WANT_READ);
    got += n;
  }
  cr_assert(want_write, "the socket buffer never filled; the test is void");
  cr_assert_eq(memcmp(src, dst, total), 0);
  cr_assert_not(eng->has_output(p.c));
  free(src);
  free(dst);
  close_pair(&p);
}

// drain_into reads everything |p|'s server can read into |dst|.
static size_t drain_into(struct pair *p, unsigned char *dst, size_t cap) {
  size_t got = 0;
  size_t n = 0;
  while (got < cap &&
         eng->read(p->s, p->sfd, dst + got, cap - got, 0, &n) == TS_IO_DONE) {
    got += n;
  }
  return got;
}

// One write seals up to four records and sends each straight from
// BoringSSL's buffer: MSG_MORE while more of the same write follow, none on
// the last, so nothing is held back once the write returns.
Test(engine, bulk_write_sends_each_record_with_msg_more_until_the_last) {
  struct pair p = open_session();
  int big = 1 << 20;
  setsockopt(p.cfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  static unsigned char src[100000];
  static unsigned char dst[100000];
  memset(src, 'x', sizeof(src));
  const size_t lens[] = {40000, 100000, 16384, 5};
  const size_t records[] = {3, 4, 1, 1};
  for (size_t t = 0; t < 4; t++) {
    size_t n = 0;
    send_calls = 0;
    cr_assert_eq(eng->write(p.c, p.cfd, src, lens[t], &n), TS_IO_DONE);
    size_t want = lens[t] < 4 * 16384 ? lens[t] : 4 * 16384;
    cr_assert_eq(n, want, "write of %zu consumed %zu", lens[t], n);
    cr_assert_eq(send_calls, records[t], "write of %zu took %zu sends", lens[t],
                 send_calls);
    for (size_t i = 0; i < send_calls; i++) {
      int more = (send_flags[i] & MSG_MORE) != 0;
      cr_assert_eq(more, i + 1 < send_calls,
                   "write of %zu: send %zu of %zu has MSG_MORE=%d", lens[t],
                   i + 1, send_calls, more);
    }
    cr_assert_not(eng->has_output(p.c));
    cr_assert_eq(drain_into(&p, dst, sizeof(dst)), want);
  }
  close_pair(&p);
}

// When the kernel refuses part of a record, only that record's rest is
// kept, and nothing more is sealed until it has gone.
Test(engine, write_stops_sealing_where_the_kernel_refuses) {
  struct pair p = open_session();
  int small = 4096;
  setsockopt(p.cfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  setsockopt(p.sfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  static unsigned char src[4 * 16384];
  static unsigned char dst[4 * 16384];
  for (size_t i = 0; i < sizeof(src); i++) {
    src[i] = (unsigned char)(i * 7);
  }
  size_t n = 0;
  send_calls = 0;
  cr_assert_eq(eng->write(p.c, p.cfd, src, sizeof(src), &n), TS_IO_DONE);
  cr_assert_eq(n, 16384, "sealed %zu bytes past a full socket", n);
  cr_assert(eng->has_output(p.c), "the kernel took a whole record; void");
  size_t got = 0;
  for (int i = 0; i < 1000 && got < n; i++) {
    cr_assert_neq(eng->flush(p.c, p.cfd), TS_IO_FAILED);
    got += drain_into(&p, dst + got, sizeof(dst) - got);
  }
  cr_assert_eq(got, n);
  cr_assert_eq(memcmp(src, dst, n), 0);
  cr_assert_not(eng->has_output(p.c));
  close_pair(&p);
}

// A send that fails after earlier records of the same write went out: the
// write reports those, and the next write reports the socket's error, even
// from another buffer (a ring buffer moves on), not BoringSSL's complaint
// that a failed write was not retried with the same arguments.
Test(engine, send_failing_mid_write_fails_the_next_write) {
  struct pair p = open_session();
  static unsigned char src[4 * 16384];
  static unsigned char rest[3 * 16384];
  size_t n = 0;
  send_calls = 0;
  fail_sends_from = 2;
  cr_assert_eq(eng->write(p.c, p.cfd, src, sizeof(src), &n), TS_IO_DONE);
  cr_assert_eq(n, 16384, "the first record went out; the write says %zu", n);
  memcpy(rest, src + n, sizeof(rest));
  cr_assert_eq(eng->write(p.c, p.cfd, rest, sizeof(rest), &n), TS_IO_FAILED);
  int err = 0;
  const char *why = eng->error(p.c, &err);
  cr_assert_eq(err, EPIPE, "errno %d, reason '%s'", err, why);
  cr_assert(strstr(why, "socket error") != NULL, "reason '%s'", why);
  fail_sends_from = 0;
  close_pair(&p);
}

Test(engine, peek_pending_and_close_notify) {
  struct pair p = open_session();
  size_t n = 0;
  cr_assert_eq(eng->write(p.c, p.cfd, "hello world", 11, &n), TS_IO_DONE);
  char buf[32];
  cr_assert_eq(eng->read(p.s, p.sfd, buf, 5, 1, &n), TS_IO_DONE);
  cr_assert_eq(n, 5);
  cr_assert_eq(eng->pending(p.s), 11, "a peek consumes nothing");
  cr_assert_eq(eng->read(p.s, p.sfd, buf, sizeof(buf), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, 11);
  cr_assert_eq(memcmp(buf, "hello world", 11), 0);
  cr_assert_eq(eng->read(p.s, p.sfd, buf, sizeof(buf), 0, &n), TS_IO_WANT_READ);
  cr_assert_eq(eng->close_notify(p.c, p.cfd), TS_IO_DONE);
  cr_assert_eq(eng->read(p.s, p.sfd, buf, sizeof(buf), 0, &n), TS_IO_CLOSED);
  close_pair(&p);
}

// kernel_empty tells whether the kernel holds nothing more to read on |fd|.
static int kernel_empty(int fd) {
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  return poll(&pfd, 1, 0) == 0;
}

static void write_all(struct ts_tls *tls, int fd, const char *text) {
  size_t n = 0;
  cr_assert_eq(eng->write(tls, fd, text, strlen(text), &n), TS_IO_DONE);
  cr_assert_eq(n, strlen(text));
}

static void read_expect(struct ts_tls *tls, int fd, const char *text) {
  char buf[64];
  size_t n = 0;
  cr_assert_eq(eng->read(tls, fd, buf, sizeof(buf), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, strlen(text));
  cr_assert_eq(memcmp(buf, text, n), 0);
}

// send_forged_record sends an application-data record whose authentication
// tag cannot verify.
static void send_forged_record(int fd) {
  unsigned char forged[5 + 32] = {0x17, 0x03, 0x03, 0x00, 0x20};
  memset(forged + 5, 0xA5, 32);
  cr_assert_eq(send(fd, forged, sizeof(forged), 0), (ssize_t)sizeof(forged));
}

// next_read_fails checks that the server side shows readable, and that its
// next read fails with |want_errno| for a reason containing |reason|.
static void next_read_fails(struct pair *p, int want_errno,
                            const char *reason) {
  cr_assert(eng->readable(p->s));
  char buf[8];
  size_t n = 0;
  cr_assert_eq(eng->read(p->s, p->sfd, buf, sizeof(buf), 0, &n), TS_IO_FAILED);
  int err = 0;
  const char *why = eng->error(p->s, &err);
  cr_assert_eq(err, want_errno, "errno %d, reason '%s'", err, why);
  cr_assert(strstr(why, reason) != NULL, "reason '%s' lacks '%s'", why, reason);
}

Test(engine, records_that_arrived_together_cost_one_recv) {
  struct pair p = open_session();
  write_all(p.c, p.cfd, "one");
  write_all(p.c, p.cfd, "two");
  write_all(p.c, p.cfd, "three");
  recv_calls = 0;
  // The next records were read ahead with the first: one read takes them
  // all, as a plaintext read takes what the kernel holds.
  read_expect(p.s, p.sfd, "onetwothree");
  cr_assert(kernel_empty(p.sfd));
  cr_assert_not(eng->readable(p.s));
  size_t n = 0;
  char buf[8];
  cr_assert_eq(eng->read(p.s, p.sfd, buf, sizeof(buf), 0, &n), TS_IO_WANT_READ);
  cr_assert_eq(recv_calls, 2,
               "three records and an empty socket took %zu "
               "recvmsg calls",
               recv_calls);
  close_pair(&p);
}

// A read goes on past a full record to the next ones already queued, as a
// plaintext read takes everything the kernel holds, and past a short record
// whose successor was read ahead in part (here the header of "tail", whose
// body is in the kernel): stopping there would look like a drained socket.
Test(engine, read_takes_every_full_record_already_queued) {
  struct pair p = open_session();
  int big = 1 << 20;
  setsockopt(p.cfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  static unsigned char src[100000];
  static unsigned char dst[sizeof(src) + 100];
  for (size_t i = 0; i < sizeof(src); i++) {
    src[i] = (unsigned char)(i * 13 + (i >> 10));
  }
  size_t sent = 0;
  while (sent < sizeof(src)) {
    size_t n = 0;
    cr_assert_eq(eng->write(p.c, p.cfd, src + sent, sizeof(src) - sent, &n),
                 TS_IO_DONE);
    sent += n;
  }
  write_all(p.c, p.cfd, "tail");
  size_t n = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, sizeof(src) + 4, "one read took %zu of %zu queued bytes", n,
               sizeof(src) + 4);
  cr_assert_eq(memcmp(src, dst, sizeof(src)), 0);
  cr_assert_eq(memcmp(dst + sizeof(src), "tail", 4), 0);
  cr_assert_not(eng->readable(p.s));
  cr_assert(kernel_empty(p.sfd));
  close_pair(&p);
}

static void write_records(struct pair *p, size_t records) {
  static unsigned char src[4 * 16384];
  size_t n = 0;
  cr_assert(records <= 4);
  cr_assert_eq(eng->write(p->c, p->cfd, src, records * 16384, &n), TS_IO_DONE);
  cr_assert_eq(n, records * 16384);
}

// A bulk sender's records are taken from the kernel many at a time: the
// recv for a large record's body reads the records queued behind it too.
Test(engine, large_records_queued_together_cost_three_recvs) {
  struct pair p = open_session();
  write_records(&p, 4);
  static unsigned char dst[4 * 16384];
  size_t n = 0;
  recv_calls = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, sizeof(dst));
  cr_assert(kernel_empty(p.sfd));
  // The first header with the start of its body; the rest of it with the
  // records behind it, as far as the read has room once a whole record is
  // counted for the first (all but 66 bytes here); those 66 bytes. One recv
  // per record would be five.
  cr_assert_eq(recv_calls, 3, "four full records took %zu recvmsg calls",
               recv_calls);
  close_pair(&p);
}

// The bulk read-ahead takes no more from the kernel than the read can
// return: a reader with room for one record leaves the rest where TCP's
// flow control sees it, and one with room for all takes all.
Test(engine, bulk_read_ahead_takes_only_what_the_read_has_room_for) {
  struct pair p = open_session();
  write_records(&p, 4);
  static unsigned char dst[4 * 16384];
  size_t n = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, dst, 16384, 0, &n), TS_IO_DONE);
  cr_assert_eq(n, 16384);
  cr_assert_not(kernel_empty(p.sfd), "a one-record read emptied the kernel");
  cr_assert_not(eng->readable(p.s));
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, 3 * 16384);
  cr_assert(kernel_empty(p.sfd));
  cr_assert_not(eng->readable(p.s));
  close_pair(&p);
}

// A recvmsg that fills all it was offered may have left more in the kernel,
// even when it ended exactly where a short record ends: the read goes on,
// or an edge-triggered program would take the short read for a drained
// socket and wait for bytes that already arrived. 4079 bytes make a record
// of 4101, its header and the 4096 bytes read ahead with it.
Test(engine, read_goes_on_after_a_read_ahead_that_was_filled) {
  struct pair p = open_session();
  char desc[256];
  eng->describe(p.s, desc, sizeof(desc));
  cr_assert(strncmp(desc, "TLSv1.3 ", 8) == 0,
            "the sizes below are TLS 1.3's; got '%s'", desc);
  static char first[4080];
  memset(first, 'f', sizeof(first) - 1);
  write_all(p.c, p.cfd, first);
  write_all(p.c, p.cfd, "next");
  static unsigned char dst[8192];
  size_t n = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, 4079 + 4, "one read took %zu of %d queued bytes", n,
               4079 + 4);
  cr_assert_eq(memcmp(dst + 4079, "next", 4), 0);
  cr_assert(kernel_empty(p.sfd));
  close_pair(&p);
}

// A broken record met in a bulk read-ahead, with a good record behind it:
// the read returns what came before, what the buffer still holds is never
// read (the connection has failed), and the next read reports the error.
Test(engine, broken_record_in_a_bulk_read_ahead_fails_the_next_read) {
  struct pair p = open_session();
  int big = 1 << 20;
  setsockopt(p.cfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  write_records(&p, 2);
  send_forged_record(p.cfd);
  write_records(&p, 1);
  static unsigned char dst[4 * 16384];
  size_t n = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, 2 * 16384);
  cr_assert(kernel_empty(p.sfd), "the records after were not read ahead");
  next_read_fails(&p, ECONNRESET, "TLS error");
  close_pair(&p);
}

// Small records queued behind a large one are read ahead with it, or many
// at a time after it.
Test(engine, small_records_after_a_large_one_are_read_ahead_together) {
  struct pair p = open_session();
  int big = 1 << 20;
  setsockopt(p.cfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
  write_records(&p, 1);
  char small[200];
  memset(small, 's', sizeof(small) - 1);
  small[sizeof(small) - 1] = '\0';
  for (int i = 0; i < 100; i++) {
    write_all(p.c, p.cfd, small);
  }
  static unsigned char dst[16384 + 100 * 199];
  recv_calls = 0;
  cr_assert_eq(drain_into(&p, dst, sizeof(dst)), sizeof(dst));
  // About 20 KiB in 4 KiB read-aheads; one recv per record would be 100.
  cr_assert_leq(recv_calls, 12,
                "one large and 100 small records took %zu "
                "recvmsg calls",
                recv_calls);
  close_pair(&p);
}

Test(engine, close_notify_after_full_records_is_readable) {
  struct pair p = open_session();
  write_records(&p, 2);
  cr_assert_eq(eng->close_notify(p.c, p.cfd), TS_IO_DONE);
  static unsigned char dst[4 * 16384];
  size_t n = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, 2 * 16384);
  cr_assert(kernel_empty(p.sfd));
  cr_assert(eng->readable(p.s),
            "the close_notify that ended the read was taken from the "
            "kernel; readiness must still show it");
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_CLOSED);
  close_pair(&p);
}

// A forged record met while a read goes on past a full record: the read
// returns the data, and the error, already taken from the kernel, stays
// readable for the next read to report.
Test(engine, broken_record_after_a_full_record_fails_the_next_read) {
  struct pair p = open_session();
  write_records(&p, 1);
  send_forged_record(p.cfd);
  static unsigned char dst[4 * 16384];
  size_t n = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n), TS_IO_DONE);
  cr_assert_eq(n, 16384);
  cr_assert(kernel_empty(p.sfd), "the forged record was not read; void");
  next_read_fails(&p, ECONNRESET, "TLS error");
  close_pair(&p);
}

// A reset met while a read goes on past its first record: the read returns
// the data, and the next read reports the reset, which the kernel will not
// report again.
Test(engine, reset_after_a_full_record_fails_the_next_read) {
  struct pair p = open_session();
  write_records(&p, 3);
  static unsigned char dst[4 * 16384];
  size_t n = 0;
  recv_calls = 0;
  // The first record costs two: its header with the start of its body read
  // ahead, then the rest of it with the two records behind it (a bulk
  // read-ahead). The third recv, for a fourth record, meets the reset.
  fail_recv_number = 3;
  enum ts_io r = eng->read(p.s, p.sfd, dst, sizeof(dst), 0, &n);
  fail_recv_number = 0;
  cr_assert_eq(r, TS_IO_DONE);
  cr_assert_eq(n, 3 * 16384);
  cr_assert_geq(recv_calls, 3, "the reset was never met; the test is void");
  next_read_fails(&p, ECONNRESET, "socket error");
  close_pair(&p);
}

Test(engine, close_notify_read_ahead_is_readable) {
  struct pair p = open_session();
  write_all(p.c, p.cfd, "last");
  cr_assert_eq(eng->close_notify(p.c, p.cfd), TS_IO_DONE);
  read_expect(p.s, p.sfd, "last");
  cr_assert(kernel_empty(p.sfd));
  cr_assert(eng->readable(p.s),
            "the end of the stream must not wait for "
            "bytes that will never come");
  char buf[8];
  size_t n = 0;
  cr_assert_eq(eng->read(p.s, p.sfd, buf, sizeof(buf), 0, &n), TS_IO_CLOSED);
  close_pair(&p);
}

Test(engine, broken_record_read_ahead_fails_the_next_read) {
  struct pair p = open_session();
  write_all(p.c, p.cfd, "good");
  send_forged_record(p.cfd);
  read_expect(p.s, p.sfd, "good");
  cr_assert(kernel_empty(p.sfd));
  next_read_fails(&p, ECONNRESET, "TLS error");
  close_pair(&p);
}

Test(engine, data_sent_with_the_finished_is_readable_after_the_handshake) {
  struct ts_rule cr = client_rule(CERTS "ca.pem");
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  enum ts_io c = TS_IO_WANT_WRITE;
  for (int i = 0; i < 20 && c != TS_IO_DONE; i++) {
    c = eng->handshake(p.c, p.cfd);
    if (c != TS_IO_DONE) {
      cr_assert_neq(eng->handshake(p.s, p.sfd), TS_IO_FAILED);
    }
  }
  cr_assert_eq(c, TS_IO_DONE);
  cr_assert_not(eng->handshake_done(p.s),
                "the server has not read the "
                "client's Finished yet; the test is void");
  write_all(p.c, p.cfd, "request");
  cr_assert_eq(eng->handshake(p.s, p.sfd), TS_IO_DONE);
  cr_assert(kernel_empty(p.sfd));
  cr_assert(eng->readable(p.s));
  cr_assert_eq(eng->pending(p.s), 7);
  read_expect(p.s, p.sfd, "request");
  close_pair(&p);
  eng->ctx_free(p.cctx);
  eng->ctx_free(p.sctx);
}

Test(engine, plaintext_peer_is_named) {
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  struct ts_tls_ctx *sctx = ctx_or_die(&sr);
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  char err[256];
  struct ts_tls *s = eng->tls_new(sctx, NULL, "client", err, sizeof(err));
  const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  cr_assert_eq(write(sv[0], req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
  cr_assert_eq(eng->handshake(s, sv[1]), TS_IO_FAILED);
  int e = 0;
  const char *why = eng->error(s, &e);
  cr_assert(strstr(why, "not a TLS peer") != NULL, "%s", why);
  cr_assert_eq(e, ECONNRESET);
  eng->tls_free(s);
  close(sv[0]);
  close(sv[1]);
}

// second_handshake_resumed makes two connections between new contexts with
// the given `resumption` settings and tells whether the second resumed.
static int second_handshake_resumed(int client_resumes, int server_resumes) {
  struct ts_rule cr = client_rule(CERTS "ca.pem");
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  cr.resumption = client_resumes;
  sr.resumption = server_resumes;
  struct ts_tls_ctx *cctx = ctx_or_die(&cr);
  struct ts_tls_ctx *sctx = ctx_or_die(&sr);
  char desc[400] = "";
  for (int i = 0; i < 2; i++) {
    struct pair p;
    open_pair(&p, cctx, sctx, "localhost");
    enum ts_io c;
    enum ts_io s;
    cr_assert(handshake(&p, &c, &s));
    // The server's session tickets arrive after the handshake; a read on
    // the client processes them.
    size_t n = 0;
    cr_assert_eq(eng->write(p.s, p.sfd, "x", 1, &n), TS_IO_DONE);
    char b;
    cr_assert_eq(eng->read(p.c, p.cfd, &b, 1, 0, &n), TS_IO_DONE);
    eng->describe(p.c, desc, sizeof(desc));
    close_pair(&p);
  }
  eng->ctx_free(cctx);
  eng->ctx_free(sctx);
  return strstr(desc, "resumed=yes") != NULL;
}

Test(engine, second_connection_resumes) {
  cr_assert(second_handshake_resumed(1, 1));
}

Test(engine, resumption_off_on_either_side_means_full_handshakes) {
  cr_assert_not(second_handshake_resumed(0, 1), "client resumption = no");
  cr_assert_not(second_handshake_resumed(1, 0), "server resumption = no");
}

// connect_once makes one connection between the contexts and tells whether
// the handshake succeeded; |desc| gets the client's description (or its
// failure), |server_desc| the server's.
static int connect_once(struct ts_tls_ctx *cctx, struct ts_tls_ctx *sctx,
                        const char *name, char *desc, char *server_desc,
                        size_t len) {
  struct pair p;
  open_pair(&p, cctx, sctx, name);
  enum ts_io c;
  enum ts_io s;
  int ok = handshake(&p, &c, &s);
  int err = 0;
  if (ok) {
    eng->describe(p.c, desc, len);
    eng->describe(p.s, server_desc, len);
  } else {
    snprintf(desc, len, "%s", eng->error(p.c, &err));
    snprintf(server_desc, len, "%s", eng->error(p.s, &err));
  }
  close_pair(&p);
  return ok;
}

#define EARLIER "chain verified earlier"

// full_handshake_ctxs makes a client context trusting the test CA and a
// server context with |cert|, both with `resumption = no`, so that every
// connection sends and checks the chain. The contexts keep pointers to their
// rules, which therefore live until the test process ends.
static void full_handshake_ctxs(const char *cert, const char *key,
                                struct ts_tls_ctx **cctx,
                                struct ts_tls_ctx **sctx) {
  struct ts_rule *cr = malloc(sizeof(*cr));
  struct ts_rule *sr = malloc(sizeof(*sr));
  cr_assert(cr != NULL && sr != NULL);
  *cr = client_rule(CERTS "ca.pem");
  *sr = server_rule(cert, key);
  cr->resumption = sr->resumption = 0;
  *cctx = ctx_or_die(cr);
  *sctx = ctx_or_die(sr);
}

// connect_twice connects twice expecting |name|: the first connection
// verifies the chain, the second must find it verified earlier. |desc| gets
// the second connection's description.
static void connect_twice(struct ts_tls_ctx *cctx, struct ts_tls_ctx *sctx,
                          const char *name, char *desc, size_t len) {
  char sd[400];
  cr_assert(connect_once(cctx, sctx, name, desc, sd, len), "%s", desc);
  cr_assert(strstr(desc, EARLIER) == NULL, "first connection: %s", desc);
  cr_assert(connect_once(cctx, sctx, name, desc, sd, len), "%s", desc);
  cr_assert(strstr(desc, EARLIER) != NULL, "second connection: %s", desc);
}

Test(engine, reconnection_reuses_the_verified_chain) {
  struct ts_tls_ctx *cctx;
  struct ts_tls_ctx *sctx;
  full_handshake_ctxs(CERTS "server.pem", CERTS "server.key", &cctx, &sctx);
  char d[400];
  connect_twice(cctx, sctx, "localhost", d, sizeof(d));
  cr_assert(strstr(d, "resumed=no") != NULL, "second connection: %s", d);
  eng->ctx_free(cctx);
  eng->ctx_free(sctx);
}

Test(engine, verified_chain_counts_only_for_the_name_it_was_checked_for) {
  struct ts_tls_ctx *cctx;
  struct ts_tls_ctx *sctx;
  full_handshake_ctxs(CERTS "server.pem", CERTS "server.key", &cctx, &sctx);
  char d[400];
  char sd[400];
  cr_assert(connect_once(cctx, sctx, "localhost", d, sd, sizeof(d)), "%s", d);
  // The same chain, now expected to carry another address: checked again.
  cr_assert_not(connect_once(cctx, sctx, "10.9.9.9", d, sd, sizeof(d)));
  cr_assert(strstr(d, "IP address mismatch: wanted 10.9.9.9") != NULL, "%s", d);
  connect_twice(cctx, sctx, "127.0.0.1", d, sizeof(d));
  eng->ctx_free(cctx);
  eng->ctx_free(sctx);
}

Test(engine, refused_chain_is_refused_again_with_its_reason) {
  struct ts_tls_ctx *cctx;
  struct ts_tls_ctx *sctx;
  full_handshake_ctxs(CERTS "wrongname.pem", CERTS "wrongname.key", &cctx,
                      &sctx);
  char d[400];
  char sd[400];
  for (int i = 0; i < 2; i++) {
    cr_assert_not(connect_once(cctx, sctx, "localhost", d, sd, sizeof(d)));
    cr_assert(strstr(d, "host name mismatch") != NULL, "attempt %d: %s", i, d);
  }
  eng->ctx_free(cctx);
  eng->ctx_free(sctx);
}

Test(engine, server_reuses_a_verified_client_chain_only) {
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  sr.client_ca = CERTS "ca.pem";
  char *names[1] = {"client.test"};
  sr.allow_names = names;
  sr.num_allow_names = 1;
  sr.resumption = 0;
  struct ts_tls_ctx *sctx = ctx_or_die(&sr);
  struct ts_rule allowed = client_rule(CERTS "ca.pem");
  allowed.cert = CERTS "client.pem";
  allowed.key = CERTS "client.key";
  struct ts_rule other = allowed;
  other.cert = CERTS "client2.pem";
  other.key = CERTS "client2.key";
  struct ts_tls_ctx *actx = ctx_or_die(&allowed);
  struct ts_tls_ctx *octx = ctx_or_die(&other);
  char d[400];
  char sd[400];
  cr_assert(connect_once(actx, sctx, "localhost", d, sd, sizeof(d)), "%s", sd);
  cr_assert(strstr(sd, EARLIER) == NULL, "%s", sd);
  cr_assert(connect_once(actx, sctx, "localhost", d, sd, sizeof(d)), "%s", sd);
  cr_assert(strstr(sd, "(verified, " EARLIER ")") != NULL, "%s", sd);
  // Another client certificate from the same CA is still held to allow_names.
  cr_assert_not(connect_once(octx, sctx, "localhost", d, sd, sizeof(d)));
  cr_assert(strstr(sd, "client certificate name not allowed") != NULL, "%s",
            sd);
  eng->ctx_free(actx);
  eng->ctx_free(octx);
  eng->ctx_free(sctx);
}

Test(engine, ctx_errors_name_the_file) {
  char err[512] = "";
  struct ts_rule cr = client_rule(CERTS "does-not-exist.pem");
  cr_assert_null(eng->ctx_new(&cr, err, sizeof(err)));
  cr_assert(strstr(err, "does-not-exist.pem") != NULL, "%s", err);
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "client.key");
  cr_assert_null(eng->ctx_new(&sr, err, sizeof(err)));
  cr_assert(strstr(err, "does not match") != NULL, "%s", err);
  struct ts_rule nocert = server_rule(CERTS "server.key", CERTS "server.key");
  cr_assert_null(eng->ctx_new(&nocert, err, sizeof(err)));
  cr_assert(strstr(err, "server.key: no PEM certificate in it") != NULL, "%s",
            err);
  struct ts_rule unverified = client_rule(NULL);  // never from a config file
  cr_assert_null(eng->ctx_new(&unverified, err, sizeof(err)));
  cr_assert(strstr(err, "no ca_file") != NULL, "%s", err);
}

Test(engine, min_version_13_floor) {
  struct ts_rule cr = client_rule(CERTS "ca.pem");
  cr.min_version = 0x0304;
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  enum ts_io c;
  enum ts_io s;
  cr_assert(handshake(&p, &c, &s));
  char desc[400];
  eng->describe(p.c, desc, sizeof(desc));
  cr_assert(strstr(desc, "TLSv1.3") != NULL, "%s", desc);
  close_pair(&p);
}

Test(engine, probe_that_sends_nothing_is_closed_not_failed) {
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  struct ts_tls_ctx *sctx = ctx_or_die(&sr);
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  char err[256];
  struct ts_tls *s = eng->tls_new(sctx, NULL, "probe", err, sizeof(err));
  close(sv[0]);  // connected and left without a byte, as a health check does
  cr_assert_eq(eng->handshake(s, sv[1]), TS_IO_CLOSED);
  int e = 0;
  cr_assert(strstr(eng->error(s, &e), "before sending anything") != NULL);
  eng->tls_free(s);
  close(sv[1]);
}

// open_after_client_hello opens a client and server pair over the test CA
// whose client has sent its ClientHello, and nothing else has happened.
static void open_after_client_hello(struct pair *p) {
  struct ts_rule cr = client_rule(CERTS "ca.pem");
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  open_pair(p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  cr_assert_eq(eng->handshake(p->c, p->cfd), TS_IO_WANT_READ);
}

// expect_reason asserts that |tls| failed for a reason that says |text|.
static void expect_reason(const struct ts_tls *tls, const char *text) {
  int e = 0;
  const char *why = eng->error(tls, &e);
  cr_assert(strstr(why, text) != NULL, "%s", why);
}

// A client that leaves in the middle of a server's handshake (ab closing its
// spare connections, a client that gave up) is routine for the server: the
// handshake ends as closed, not failed, so the preload writes no error line.
Test(engine, client_leaving_mid_handshake_is_closed_for_the_server) {
  struct pair p;
  open_after_client_hello(&p);
  cr_assert_eq(shutdown(p.cfd, SHUT_RDWR), 0);
  cr_assert_eq(eng->handshake(p.s, p.sfd), TS_IO_CLOSED);
  int e = 0;
  const char *why = eng->error(p.s, &e);
  cr_assert(strstr(why, "closed") != NULL || strstr(why, "socket error"), "%s",
            why);
  close_pair(&p);
}

Test(engine, client_reset_mid_handshake_is_closed_for_the_server) {
  struct pair p;
  open_after_client_hello(&p);
  fail_recv_number = recv_calls + 1;  // the server's next recvmsg
  enum ts_io s = eng->handshake(p.s, p.sfd);
  fail_recv_number = 0;
  cr_assert_eq(s, TS_IO_CLOSED);
  expect_reason(p.s, "reset");
  close_pair(&p);
}

// A client whose server leaves mid-handshake has not reached the service it
// asked for: that stays a failure, with an error line.
Test(engine, server_leaving_mid_handshake_fails_the_client) {
  struct pair p;
  open_after_client_hello(&p);
  cr_assert_eq(shutdown(p.sfd, SHUT_RDWR), 0);
  cr_assert_eq(eng->handshake(p.c, p.cfd), TS_IO_FAILED);
  expect_reason(p.c, "before sending anything");
  close_pair(&p);
}

// An alert is the peer's word that something is wrong: still a failure.
Test(engine, client_alert_mid_handshake_fails_the_server) {
  struct ts_rule cr = client_rule(CERTS "other-ca.pem");
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  struct pair p;
  open_pair(&p, ctx_or_die(&cr), ctx_or_die(&sr), "localhost");
  enum ts_io c;
  enum ts_io s;
  cr_assert_not(handshake(&p, &c, &s));
  cr_assert_eq(s, TS_IO_FAILED);
  expect_reason(p.s, "alert");
  close_pair(&p);
}

// A plaintext peer is refused as one even when it leaves before a whole
// record could be read.
Test(engine, plaintext_client_that_leaves_still_fails) {
  struct ts_rule sr = server_rule(CERTS "server.pem", CERTS "server.key");
  struct ts_tls_ctx *sctx = ctx_or_die(&sr);
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  char err[256];
  struct ts_tls *s = eng->tls_new(sctx, NULL, "plain", err, sizeof(err));
  cr_assert_eq(write(sv[0], "hi", 2), 2);
  cr_assert_eq(shutdown(sv[0], SHUT_RDWR), 0);
  cr_assert_eq(eng->handshake(s, sv[1]), TS_IO_FAILED);
  eng->tls_free(s);
  close(sv[0]);
  close(sv[1]);
}
