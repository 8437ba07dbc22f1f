// Unit tests for the connection layer (shim/preload/conn*.c): the life of a
// TLS connection on a real loopback TCP socket, driven through the calls the
// hooks make, with the real engine, configuration loader and runtime. Two
// connections in one process play client and server; a thread plays the side
// that would block.
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../shim/preload/conn.h"
#include "../../shim/preload/runtime.h"

#define CERTS "build/certs/"
#define CONFIG "build/tests/test_conn.ini"

static const struct ts_rule *client_good;   // trusts the test CA
static const struct ts_rule *client_other;  // trusts only the Ed25519 CA
static const struct ts_rule *server_rule;

static const struct ts_rule *rule_named(const struct ts_config *config,
                                        const char *name) {
  for (size_t i = 0; i < config->num_rules; i++) {
    if (strcmp(config->rules[i].name, name) == 0) {
      return &config->rules[i];
    }
  }
  cr_assert_fail("no rule %s", name);
  return NULL;
}

static void setup(void) {
  cr_assert_eq(system("tests/certs/make-certs.sh " CERTS), 0,
               "make-certs.sh failed (run from the repository root)");
  char cwd[1024];
  cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
  // Criterion runs tests in parallel processes, each through this setup:
  // the file is replaced whole, never seen half written.
  char tmp[64];
  snprintf(tmp, sizeof(tmp), CONFIG ".%d", (int)getpid());
  FILE *f = fopen(tmp, "w");
  cr_assert_not_null(f);
  fprintf(f,
          "[global]\nlog_level = error\nlog_file = %s/build/tests/"
          "test_conn.log\n"
          "[client:good]\nport = 1\nca_file = %s/" CERTS
          "ca.pem\n"
          "[client:other]\nport = 2\nca_file = %s/" CERTS
          "ed-ca.pem\n"
          "[server:srv]\nport = 3\ncert = %s/" CERTS
          "server.pem\n"
          "key = %s/" CERTS "server.key\n",
          cwd, cwd, cwd, cwd, cwd);
  cr_assert(fclose(f) == 0 && rename(tmp, CONFIG) == 0);
  setenv("TLSSHIM_CONFIG", CONFIG, 1);
  setenv("TLSSHIM_ENGINE", "build/libtlsshim-engine.so", 1);
  const struct ts_config *config = ts_runtime_config();
  cr_assert_not_null(config, "the test configuration did not load");
  client_good = rule_named(config, "good");
  client_other = rule_named(config, "other");
  server_rule = rule_named(config, "srv");
}

TestSuite(conn, .init = setup, .timeout = 20);

// A connected loopback TCP pair, both ends blocking as a program opens them.
static void tcp_pair(int *client_fd, int *server_fd) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(addr);
  cr_assert(listener >= 0 &&
            bind(listener, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
            listen(listener, 1) == 0 &&
            getsockname(listener, (struct sockaddr *)&addr, &len) == 0);
  *client_fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert(connect(*client_fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
  *server_fd = accept(listener, NULL, NULL);
  cr_assert(*server_fd >= 0);
  close(listener);
}

struct side {
  struct ts_conn *conn;
  int fd;
};

struct pair {
  struct side client;
  struct side server;
};

static struct side attach(int fd, enum ts_role role, const struct ts_rule *r) {
  struct sockaddr_storage peer;
  socklen_t len = sizeof(peer);
  cr_assert_eq(getpeername(fd, (struct sockaddr *)&peer, &len), 0);
  int err = 0;
  struct ts_conn *conn = ts_conn_attach(
      fd, role, r, (struct sockaddr *)&peer,
      role == TS_ROLE_CLIENT ? "localhost" : NULL, TS_CONN_HANDSHAKE, &err);
  cr_assert_not_null(conn, "ts_conn_attach: %s", strerror(-err));
  return (struct side){conn, fd};
}

static struct pair open_pair(const struct ts_rule *client_rule) {
  struct pair p;
  int cfd;
  int sfd;
  tcp_pair(&cfd, &sfd);
  p.client = attach(cfd, TS_ROLE_CLIENT, client_rule);
  p.server = attach(sfd, TS_ROLE_SERVER, server_rule);
  return p;
}

// close_side does what the close() hook does for the last descriptor of a
// connection, then drops the reference ts_conn_attach gave us.
static void close_side(struct side *s) {
  int last = 0;
  struct ts_conn *conn = (struct ts_conn *)ts_fdtable_remove(s->fd, &last);
  cr_assert(conn == s->conn && last);
  ts_conn_close_last(conn, s->fd, 1000);
  ts_conn_put(conn);
  ts_conn_put(s->conn);
  close(s->fd);
}

// What the server thread does and what it saw.
struct server_job {
  struct side *s;
  char got[64];
  ssize_t first;   // the first recv's result
  ssize_t second;  // the recv after answering
};

static void *serve_echo_once(void *arg) {
  struct server_job *job = arg;
  job->first =
      ts_conn_recv(job->s->conn, job->s->fd, job->got, sizeof(job->got) - 1, 0);
  if (job->first > 0) {
    (void)ts_conn_send(job->s->conn, job->s->fd, "world", 5, 0);
    char more[16];
    job->second = ts_conn_recv(job->s->conn, job->s->fd, more, sizeof(more), 0);
  }
  return NULL;
}

static ssize_t recv_all(struct side *s, char *buf, size_t len) {
  return ts_conn_recv(s->conn, s->fd, buf, len, MSG_WAITALL);
}

Test(conn, blocking_round_trip_then_close_ends_the_peers_stream) {
  struct pair p = open_pair(client_good);
  struct server_job job = {.s = &p.server};
  pthread_t t;
  pthread_create(&t, NULL, serve_echo_once, &job);
  // The first write drives the whole handshake, as in a blocking program.
  cr_assert_eq(ts_conn_send(p.client.conn, p.client.fd, "hello", 5, 0), 5);
  char answer[6] = "";
  cr_assert_eq(recv_all(&p.client, answer, 5), 5);
  cr_assert_str_eq(answer, "world");
  cr_assert_eq(p.client.conn->state, TS_CONN_OPEN);
  close_side(&p.client);
  pthread_join(t, NULL);
  cr_assert_eq(job.first, 5);
  cr_assert_str_eq(job.got, "hello");
  cr_assert_eq(job.second, 0, "the close must read as the end: %zd",
               job.second);
  cr_assert(p.server.conn->peer_closed);
  close_side(&p.server);
}

Test(conn, refused_handshake_fails_each_side_with_its_errno) {
  struct pair p = open_pair(client_other);  // cannot verify the server
  struct server_job job = {.s = &p.server};
  pthread_t t;
  pthread_create(&t, NULL, serve_echo_once, &job);
  cr_assert_eq(ts_conn_send(p.client.conn, p.client.fd, "secret", 6, 0),
               -ECONNREFUSED);
  cr_assert_eq(p.client.conn->state, TS_CONN_FAILED);
  // Every later call fails the same way; nothing is ever sent in plaintext.
  cr_assert_eq(ts_conn_send(p.client.conn, p.client.fd, "secret", 6, 0),
               -ECONNREFUSED);
  char buf[8];
  cr_assert_eq(ts_conn_recv(p.client.conn, p.client.fd, buf, sizeof(buf), 0),
               -ECONNREFUSED);
  pthread_join(t, NULL);
  cr_assert_eq(job.first, -ECONNRESET, "server saw %zd", job.first);
  cr_assert_eq(p.server.conn->state, TS_CONN_FAILED);
  close_side(&p.client);
  close_side(&p.server);
}

// open_both completes the handshake with one exchange each way.
static void open_both(struct pair *p) {
  struct server_job job = {.s = &p->server};
  pthread_t t;
  pthread_create(&t, NULL, serve_echo_once, &job);
  cr_assert_eq(ts_conn_send(p->client.conn, p->client.fd, "hello", 5, 0), 5);
  char answer[5];
  cr_assert_eq(recv_all(&p->client, answer, 5), 5);
  ts_conn_shutdown(p->client.conn, p->client.fd, SHUT_WR);
  pthread_join(t, NULL);
  cr_assert_eq(job.second, 0);
}

Test(conn, shutdown_write_half_closes_and_the_other_way_still_flows) {
  struct pair p = open_pair(client_good);
  open_both(&p);  // ends with the client's shutdown(SHUT_WR)
  cr_assert_eq(ts_conn_send(p.client.conn, p.client.fd, "x", 1, 0), -EPIPE);
  cr_assert_eq(ts_conn_send(p.server.conn, p.server.fd, "late", 4, 0), 4);
  char buf[5] = "";
  cr_assert_eq(recv_all(&p.client, buf, 4), 4);
  cr_assert_str_eq(buf, "late");
  close_side(&p.client);
  close_side(&p.server);
}

Test(conn, nonblocking_read_without_data_is_eagain) {
  struct pair p = open_pair(client_good);
  open_both(&p);
  char buf[8];
  cr_assert_eq(
      ts_conn_recv(p.server.conn, p.server.fd, buf, sizeof(buf), MSG_DONTWAIT),
      0, "the client shut down its side: the end, not EAGAIN");
  cr_assert_eq(
      ts_conn_recv(p.client.conn, p.client.fd, buf, sizeof(buf), MSG_DONTWAIT),
      -EAGAIN);
  close_side(&p.client);
  close_side(&p.server);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(conn, blocking_read_honours_the_programs_receive_timeout) {
  struct pair p = open_pair(client_good);
  open_both(&p);
  struct timeval tv = {0, 150000};
  cr_assert_eq(
      setsockopt(p.client.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
  char buf[8];
  double start = now_s();
  cr_assert_eq(ts_conn_recv(p.client.conn, p.client.fd, buf, sizeof(buf), 0),
               -EAGAIN);
  double waited = now_s() - start;
  cr_assert(waited >= 0.14 && waited < 2.0, "waited %.3f s", waited);
  close_side(&p.client);
  close_side(&p.server);
}

Test(conn, peeked_bytes_stay_and_readiness_sees_them_without_the_kernel) {
  struct pair p = open_pair(client_good);
  open_both(&p);
  cr_assert_eq(ts_conn_send(p.server.conn, p.server.fd, "abc", 3, 0), 3);
  char buf[4] = "";
  cr_assert_eq(ts_conn_recv(p.client.conn, p.client.fd, buf, 3, MSG_PEEK), 3);
  cr_assert_str_eq(buf, "abc");
  // The kernel socket is empty now; the bytes wait decrypted in the engine.
  struct pollfd pfd = {.fd = p.client.fd, .events = POLLIN};
  cr_assert_eq(poll(&pfd, 1, 0), 0);
  uint32_t kernel = 0;
  cr_assert_eq(
      ts_conn_ready_prepare(p.client.conn, p.client.fd, POLLIN, 0, &kernel),
      POLLIN);
  cr_assert_eq(ts_conn_pending_bytes(p.client.conn, p.client.fd), 3);
  memset(buf, 0, sizeof(buf));
  cr_assert_eq(ts_conn_recv(p.client.conn, p.client.fd, buf, sizeof(buf), 0),
               3);
  cr_assert_str_eq(buf, "abc");
  close_side(&p.client);
  close_side(&p.server);
}

Test(conn, plaintext_client_is_reset_and_never_read_as_data) {
  int cfd;
  int sfd;
  tcp_pair(&cfd, &sfd);
  struct side server = attach(sfd, TS_ROLE_SERVER, server_rule);
  static const char request[] = "GET / HTTP/1.0\r\n\r\n";
  cr_assert_eq(write(cfd, request, sizeof(request) - 1),
               (ssize_t)sizeof(request) - 1);
  char buf[64];
  cr_assert_eq(ts_conn_recv(server.conn, server.fd, buf, sizeof(buf), 0),
               -ECONNRESET);
  cr_assert_eq(server.conn->state, TS_CONN_FAILED);
  // The refused peer sees the end of the connection (an alert at most).
  char reply[256];
  ssize_t n;
  while ((n = read(cfd, reply, sizeof(reply))) > 0) {
    cr_assert_eq(reply[0], 0x15, "only a TLS alert may come back");
  }
  cr_assert(n == 0 || errno == ECONNRESET, "read: %s", strerror(errno));
  close_side(&server);
  close(cfd);
}

Test(conn, blocking_connect_gives_up_on_a_silent_server) {
  int cfd;
  int sfd;
  tcp_pair(&cfd, &sfd);  // the server end never speaks TLS
  struct side client = attach(cfd, TS_ROLE_CLIENT, client_good);
  struct timeval tv = {0, 200000};
  cr_assert_eq(setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
  double start = now_s();
  cr_assert_eq(ts_conn_connect_wait(client.conn, cfd), -ETIMEDOUT);
  double waited = now_s() - start;
  cr_assert(waited >= 0.19 && waited < 2.0, "waited %.3f s", waited);
  cr_assert_eq(client.conn->state, TS_CONN_FAILED);
  close_side(&client);
  close(sfd);
}
