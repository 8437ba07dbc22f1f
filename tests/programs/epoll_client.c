// epoll_client HOST PORT BYTES [pwait2|exclusive] — a plaintext,
// non-blocking, edge-triggered epoll client: connects (EINPROGRESS), sends
// BYTES of the test pattern while receiving the echo, and exits 0 only if
// every byte came back intact. It waits in epoll_wait, or with "pwait2" in
// epoll_pwait2 (a nanosecond timeout, glibc 2.35); with "exclusive" it
// registers its socket with EPOLLEXCLUSIVE. It knows nothing of TLS; the
// integration tests run it under tlsshim.
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

#define CHUNK 65536

static int connect_nonblocking(const char *host, const char *port) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(rc));
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0 || (connect(fd, res->ai_addr, res->ai_addrlen) < 0 &&
                 errno != EINPROGRESS)) {
    perror("connect");
    freeaddrinfo(res);
    return -1;
  }
  freeaddrinfo(res);
  return fd;
}

int main(int argc, char **argv) {
  const char *mode = argc == 5 ? argv[4] : "";
  int pwait2 = strcmp(mode, "pwait2") == 0;
  int exclusive = strcmp(mode, "exclusive") == 0;
  if ((argc != 4 && argc != 5) || (argc == 5 && !pwait2 && !exclusive)) {
    fprintf(stderr, "usage: epoll_client HOST PORT BYTES [pwait2|exclusive]\n");
    return 2;
  }
  uint64_t total = strtoull(argv[3], NULL, 10);
  int fd = connect_nonblocking(argv[1], argv[2]);
  int ep = epoll_create1(0);
  if (fd < 0 || ep < 0) {
    return 1;
  }
  struct epoll_event ev = {
      .events = EPOLLIN | EPOLLOUT | EPOLLET | (exclusive ? EPOLLEXCLUSIVE : 0),
      .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
    perror("epoll_ctl");
    return 1;
  }
  static uint8_t out[CHUNK];
  static uint8_t in[CHUNK];
  uint64_t sent = 0;
  uint64_t received = 0;
  int connected = 0;
  long waits = 0;
  while (received < total) {
    struct epoll_event got;
    // The data is the descriptor: a wait that handed back anything else
    // would be handing back someone else's registration.
    struct timespec ten_seconds = {.tv_sec = 10};
    int n = pwait2 ? epoll_pwait2(ep, &got, 1, &ten_seconds, NULL)
                   : epoll_wait(ep, &got, 1, 10000);
    waits++;
    if (n == 1 && got.data.fd != fd) {
      fprintf(stderr, "epoll returned data %llu, not descriptor %d\n",
              (unsigned long long)got.data.u64, fd);
      return 1;
    }
    if (n == 0) {
      fprintf(stderr, "epoll_wait timed out: sent %llu received %llu\n",
              (unsigned long long)sent, (unsigned long long)received);
      return 1;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      perror("epoll_wait");
      return 1;
    }
    if (!connected) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        fprintf(stderr, "connect failed: %s\n", strerror(err));
        return 1;
      }
      connected = 1;
    }
    // Edge-triggered: drain both directions until they would block.
    while (sent < total) {
      size_t len = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;
      pattern_fill(out, len, sent);
      ssize_t w = send(fd, out, len, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN) {
          break;
        }
        perror("send");
        return 1;
      }
      sent += (uint64_t)w;
    }
    for (;;) {
      ssize_t r = recv(fd, in, sizeof(in), 0);
      if (r < 0) {
        if (errno == EAGAIN) {
          break;
        }
        perror("recv");
        return 1;
      }
      if (r == 0) {
        fprintf(stderr, "early end of stream after %llu bytes\n",
                (unsigned long long)received);
        return 1;
      }
      long bad = pattern_check(in, (size_t)r, received);
      if (bad >= 0) {
        fprintf(stderr, "wrong byte at offset %llu\n",
                (unsigned long long)(received + (uint64_t)bad));
        return 1;
      }
      received += (uint64_t)r;
    }
  }
  printf("epoll_client: %llu bytes each way intact, %ld waits\n",
         (unsigned long long)total, waits);
  close(fd);
  return 0;
}
