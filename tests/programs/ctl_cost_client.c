// ctl_cost_client HOST PORT MANY — what many watched connections add to an
// epoll_ctl. It starts MANY + 1 connections (non-blocking, not waited for:
// the server need not accept them) and adds them all to one epoll set, the
// last one also to a set of its own; then it times 2,000 EPOLL_CTL_MOD calls
// of that connection in each set. Over TCP both cost the same. Exits 0 when
// the median in the full set is under LIMIT times the median in the other
// (and prints both); when a watch was found by a scan of the set, 4,000
// connections made it about 10 times. It knows nothing of TLS; the
// integration tests run it under tlsshim.
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd_limit_util.h"
#include "timing_util.h"

#define CALLS 2000
#define LIMIT 4

// start_connect returns a non-blocking socket whose connect to |res| is
// under way or done, or -1.
static int start_connect(const struct addrinfo *res) {
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0 &&
      errno != EINPROGRESS) {
    close(fd);
    fd = -1;
  }
  return fd;
}

// median_mod times CALLS modifications of |fd|'s events in |ep|; -1 if one
// fails.
static double median_mod(int ep, int fd) {
  static double took[CALLS];
  for (int i = 0; i < CALLS; i++) {
    struct epoll_event ev = {.events = EPOLLIN | (i & 1 ? EPOLLRDHUP : 0),
                             .data.fd = fd};
    double start = now_us();
    int r = epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    took[i] = now_us() - start;
    if (r < 0) {
      perror("ctl_cost_client: epoll_ctl");
      return -1;
    }
  }
  return median_us(took, CALLS);
}

int main(int argc, char **argv) {
  if (argc != 4 || atoi(argv[3]) < 1) {
    fprintf(stderr, "usage: ctl_cost_client HOST PORT MANY\n");
    return 2;
  }
  int many = atoi(argv[3]);
  if (allow_descriptors("ctl_cost_client", many + 64) < 0) {
    return 1;
  }
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  if (getaddrinfo(argv[1], argv[2], &hints, &res) != 0) {
    fprintf(stderr, "ctl_cost_client: cannot resolve %s\n", argv[1]);
    return 1;
  }
  int one = epoll_create1(EPOLL_CLOEXEC);
  int all = epoll_create1(EPOLL_CLOEXEC);
  if (one < 0 || all < 0) {
    perror("ctl_cost_client: epoll_create1");
    return 1;
  }
  int fd = -1;
  for (int i = 0; i <= many; i++) {
    fd = start_connect(res);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (fd < 0 || epoll_ctl(all, EPOLL_CTL_ADD, fd, &ev) < 0) {
      fprintf(stderr, "ctl_cost_client: connection %d failed\n", i);
      return 1;
    }
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(one, EPOLL_CTL_ADD, fd, &ev) < 0) {
    perror("ctl_cost_client: epoll_ctl");
    return 1;
  }
  freeaddrinfo(res);
  double with_one = median_mod(one, fd);
  double with_all = median_mod(all, fd);
  if (with_one < 0 || with_all < 0) {
    return 1;
  }
  printf(
      "ctl_cost_client: median EPOLL_CTL_MOD %.2f us in a set of 1, %.2f us "
      "in a set of %d\n",
      with_one, with_all, many + 1);
  return with_all < LIMIT * with_one ? 0 : 1;
}
