// duplex_client HOST PORT BYTES — a plaintext, blocking, threaded client:
// one thread writes BYTES of the test pattern with write(), another reads
// the echo with read() on the same socket at the same time. Exits 0 only if
// every byte came back intact.
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect_util.h"
#include "pattern.h"

#define CHUNK 65536

struct shared {
  int fd;
  uint64_t total;
  int failed;
};

static void *writer(void *arg) {
  struct shared *s = arg;
  static uint8_t buf[CHUNK];
  uint64_t sent = 0;
  while (sent < s->total) {
    size_t len = s->total - sent < CHUNK ? (size_t)(s->total - sent) : CHUNK;
    pattern_fill(buf, len, sent);
    size_t off = 0;
    while (off < len) {
      ssize_t w = write(s->fd, buf + off, len - off);
      if (w <= 0) {
        perror("write");
        s->failed = 1;
        return NULL;
      }
      off += (size_t)w;
    }
    sent += len;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: duplex_client HOST PORT BYTES\n");
    return 2;
  }
  struct addrinfo *res = resolve(argv[1], argv[2]);
  if (res == NULL) {
    return 1;
  }
  struct shared s = {.total = strtoull(argv[3], NULL, 10)};
  s.fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (s.fd < 0 || connect(s.fd, res->ai_addr, res->ai_addrlen) < 0) {
    perror("connect");
    return 1;
  }
  freeaddrinfo(res);
  pthread_t t;
  pthread_create(&t, NULL, writer, &s);
  static uint8_t buf[CHUNK];
  uint64_t received = 0;
  while (received < s.total) {
    ssize_t r = read(s.fd, buf, sizeof(buf));
    if (r <= 0) {
      fprintf(stderr, "read returned %zd (%s) after %llu bytes\n", r,
              r < 0 ? strerror(errno) : "end of stream",
              (unsigned long long)received);
      return 1;
    }
    long bad = pattern_check(buf, (size_t)r, received);
    if (bad >= 0) {
      fprintf(stderr, "wrong byte at offset %llu\n",
              (unsigned long long)(received + (uint64_t)bad));
      return 1;
    }
    received += (uint64_t)r;
  }
  pthread_join(t, NULL);
  if (s.failed) {
    return 1;
  }
  printf("duplex_client: %llu bytes each way intact\n",
         (unsigned long long)s.total);
  close(s.fd);
  return 0;
}
