// alias_client HOST PORT — a plaintext client that reaches the socket only
// through the second names glibc exports for some calls (__connect,
// __write, __send, __poll, __select, __read, __fcntl, __dup2, __close), as some
// binaries import them: it connects, sends "alias-one\n" with __write and
// "alias-two\n" with __send on a __dup2 copy, and reads both echoes with
// __read after __poll; then a __dup2 from a closed descriptor must fail
// and leave the connection as it was for "alias-three\n" (__select waits
// for its echo). Exits 0 when all came back whole; 1 otherwise. It
// knows nothing of TLS; the integration tests run it under tlsshim.
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect_util.h"

extern int __connect(int fd, const struct sockaddr *addr, socklen_t len);
extern ssize_t __write(int fd, const void *buf, size_t len);
extern ssize_t __send(int fd, const void *buf, size_t len, int flags);
extern ssize_t __read(int fd, void *buf, size_t len);
extern int __poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);
extern int __select(int nfds, fd_set *r, fd_set *w, fd_set *e,
                    struct timeval *timeout);
extern int __fcntl(int fd, int cmd, ...);
extern int __dup2(int old_fd, int new_fd);
extern int __close(int fd);

// read_back reads |want| from |fd| with __read, waiting for each piece
// with __poll, or with __select when |use_select|; returns 1 when it came
// back whole.
static int read_back(int fd, const char *want, int use_select) {
  size_t len = strlen(want);
  char buf[32];
  size_t got = 0;
  while (got < len) {
    int ready;
    if (use_select) {
      fd_set readable;
      FD_ZERO(&readable);
      FD_SET(fd, &readable);
      struct timeval five = {5, 0};
      ready = __select(fd + 1, &readable, NULL, NULL, &five);
    } else {
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      ready = __poll(&pfd, 1, 5000);
    }
    if (ready != 1) {
      fprintf(stderr, "%s: nothing came back\n",
              use_select ? "__select" : "__poll");
      return 0;
    }
    ssize_t n = __read(fd, buf + got, len - got);
    if (n <= 0) {
      fprintf(stderr, "__read: %s\n",
              n == 0 ? "end of stream" : strerror(errno));
      return 0;
    }
    got += (size_t)n;
  }
  if (memcmp(buf, want, len) != 0) {
    fprintf(stderr, "the echo of %.*s differs\n", (int)len - 1, want);
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: alias_client HOST PORT\n");
    return 2;
  }
  struct addrinfo *res = resolve(argv[1], argv[2]);
  if (res == NULL) {
    return 1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd < 0 || __connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    perror("__connect");
    return 1;
  }
  freeaddrinfo(res);
  int copy = 50;
  if (__dup2(fd, copy) != copy || (__fcntl(copy, F_GETFL) & O_NONBLOCK) != 0) {
    perror("__dup2/__fcntl");
    return 1;
  }
  if (__write(fd, "alias-one\n", 10) != 10 ||
      __send(copy, "alias-two\n", 10, 0) != 10) {
    perror("__write/__send");
    return 1;
  }
  if (!read_back(fd, "alias-one\nalias-two\n", 0)) {
    return 1;
  }
  // A dup2 the kernel refuses (999 is not open) leaves the connection on
  // |fd| as it was; then "alias-three\n" goes out with __write and its echo
  // is awaited with __select.
  if (__dup2(999, fd) != -1 || errno != EBADF) {
    fprintf(stderr, "__dup2 from a closed descriptor did not fail\n");
    return 1;
  }
  if (__write(fd, "alias-three\n", 12) != 12) {
    perror("__write");
    return 1;
  }
  if (!read_back(fd, "alias-three\n", 1)) {
    return 1;
  }
  return __close(copy) == 0 && __close(fd) == 0 ? 0 : 1;
}
