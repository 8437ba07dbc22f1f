// handshake CA CERT KEY SECONDS — the CPU BoringSSL itself spends on each side
// of one TLS 1.3 handshake, with no sockets and no tlsshim: a client and a
// server in one thread, talking through a memory BIO pair, configured as
// tlsshim configures them (bssl_ctx.c: one session ticket per handshake;
// the client checks the handshake signature every time and, like tlsshim's
// cache of verified chains, the chain and name only in the first
// handshake). Each handshake also carries one byte each way, as ab's
// request and response would, and ends with close_notify from both sides.
//
// Prints four figures, in microseconds of CPU per handshake: client and
// server of a full handshake, then client and server of a resumed one. They
// are the floor under what a program pays for a TLS connection under
// tlsshim, before a single system call: run.sh's report adds them to the
// plaintext cost of a connection to show how far the new-connection targets
// can be reached at all. Exits 1 on any handshake failure, or if a resumed
// run ever falls back to a full handshake.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bssl_ctx.h"

static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// The clock is read once at each switch between client and server, and each
// interval carries one reading's cost; |clock_cost| is taken off again.
static double clock_cost;
static double last;
static double spent[2];  // ns per side since the last reset

static void charge(int side) {
  double now = cpu_ns();
  spent[side] += now - last - clock_cost;
  last = now;
}

static void die(const char *what) {
  fprintf(stderr, "handshake: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static const char *ca_file;    // the client's trust store
static const char *cert_file;  // the server's chain
static const char *key_file;   // and its key

// step runs one side's call, charges its CPU to that side, and returns
// whether it finished (1) or waits for the other side (0).
static int step(int side, SSL *ssl, int ret) {
  charge(side);
  if (ret > 0) {
    return 1;
  }
  if (SSL_get_error(ssl, ret) != SSL_ERROR_WANT_READ) {
    die(side == 0 ? "client failed" : "server failed");
  }
  return 0;
}

// connection runs one handshake, a byte each way and close_notify; returns
// whether the client resumed.
static int connection(SSL_CTX *cctx, SSL_CTX *sctx) {
  last = cpu_ns();  // the loop around us is nobody's
  SSL *client = bench_client_ssl(cctx, "localhost");
  BIO *cbio;
  BIO *sbio;
  if (client == NULL || !BIO_new_bio_pair(&cbio, 0, &sbio, 0)) {
    die("cannot set up the client connection");
  }
  SSL_set_bio(client, cbio, cbio);
  charge(0);
  SSL *server = SSL_new(sctx);
  if (server == NULL) {
    die("out of memory");
  }
  SSL_set_bio(server, sbio, sbio);
  SSL_set_accept_state(server);
  charge(1);
  int client_done = 0;
  int server_done = 0;
  while (!client_done || !server_done) {
    if (!client_done) {
      client_done = step(0, client, SSL_do_handshake(client));
    }
    if (!server_done) {
      server_done = step(1, server, SSL_do_handshake(server));
    }
  }
  uint8_t byte = 'x';
  step(0, client, SSL_write(client, &byte, 1));
  while (!step(1, server, SSL_read(server, &byte, 1))) {
  }
  step(1, server, SSL_write(server, &byte, 1));
  while (!step(0, client, SSL_read(client, &byte, 1))) {  // and the ticket
  }
  int resumed = SSL_session_reused(client);
  SSL_shutdown(client);
  SSL_free(client);
  charge(0);
  SSL_shutdown(server);
  SSL_free(server);
  charge(1);
  return resumed;
}

// run measures |seconds| of handshakes and prints client and server CPU per
// handshake.
static void run(int resume, double seconds) {
  SSL_CTX *sctx = bench_server_ctx(cert_file, key_file, resume);
  SSL_CTX *cctx = bench_client_ctx(ca_file, resume);
  if (sctx == NULL || cctx == NULL) {
    die("cannot set up the TLS contexts");
  }
  // A warm-up: it verifies the chain and gets a session.
  connection(cctx, sctx);
  spent[0] = spent[1] = 0;
  long count = 0;
  struct timespec start;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    if (connection(cctx, sctx) != resume) {
      die(resume ? "a resumed handshake was full" : "a full handshake resumed");
    }
    count++;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((double)(now.tv_sec - start.tv_sec) +
               (double)(now.tv_nsec - start.tv_nsec) / 1e9 <
           seconds);
  printf("%.1f %.1f", spent[0] / (double)count / 1e3,
         spent[1] / (double)count / 1e3);
  SSL_CTX_free(cctx);
  SSL_CTX_free(sctx);
}

int main(int argc, char **argv) {
  if (argc != 5 || atof(argv[4]) <= 0) {
    fprintf(stderr, "usage: handshake CA CERT KEY SECONDS\n");
    return 2;
  }
  ca_file = argv[1];
  cert_file = argv[2];
  key_file = argv[3];
  double seconds = atof(argv[4]) / 2;
  double begin = cpu_ns();
  for (int i = 0; i < 1000; i++) {
    cpu_ns();
  }
  clock_cost = (cpu_ns() - begin) / 1001;
  run(0, seconds);
  printf(" ");
  run(1, seconds);
  printf("\n");
  bench_session_free();
  return 0;
}
