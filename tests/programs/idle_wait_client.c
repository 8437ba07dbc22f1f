// idle_wait_client HOST PORT IDLE — what idle connections add to an epoll
// wait. It opens IDLE + 1 connections, on which nothing will come, and
// times 2,000 epoll_wait calls with a zero timeout, first on a set that
// holds one of them, then on a set that holds them all. Over TCP the second
// costs about what the first does: the kernel looks only at what is ready.
// Exits 0 when the median wait on the full set is under LIMIT times the
// median on the one-connection set (and prints both); before the change
// that passes over idle connections, it measured about 30 times. It knows
// nothing of TLS; the integration tests run it under tlsshim.
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "connect_util.h"
#include "fd_limit_util.h"
#include "timing_util.h"

#define WAITS 2000
#define LIMIT 15

// median_wait times WAITS zero-timeout waits on |ep|; -1 if one reports.
static double median_wait(int ep) {
  static double took[WAITS];
  for (int i = 0; i < WAITS; i++) {
    struct epoll_event ev[8];
    double start = now_us();
    int n = epoll_wait(ep, ev, 8, 0);
    took[i] = now_us() - start;
    if (n != 0) {
      fprintf(stderr, "idle_wait_client: wait %d reported %d events\n", i, n);
      return -1;
    }
  }
  return median_us(took, WAITS);
}

int main(int argc, char **argv) {
  if (argc != 4 || atoi(argv[3]) < 1) {
    fprintf(stderr, "usage: idle_wait_client HOST PORT IDLE\n");
    return 2;
  }
  int idle = atoi(argv[3]);
  if (allow_descriptors("idle_wait_client", idle + 64) < 0) {
    return 1;
  }
  int one = epoll_create1(EPOLL_CLOEXEC);
  int all = epoll_create1(EPOLL_CLOEXEC);
  if (one < 0 || all < 0) {
    perror("idle_wait_client: epoll_create1");
    return 1;
  }
  for (int i = 0; i <= idle; i++) {
    int fd = connect_to(argv[1], argv[2]);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (fd < 0 || epoll_ctl(all, EPOLL_CTL_ADD, fd, &ev) < 0 ||
        (i == 0 && epoll_ctl(one, EPOLL_CTL_ADD, fd, &ev) < 0)) {
      fprintf(stderr, "idle_wait_client: connection %d failed\n", i);
      return 1;
    }
  }
  double with_one = median_wait(one);
  double with_all = median_wait(all);
  if (with_one < 0 || with_all < 0) {
    return 1;
  }
  printf(
      "idle_wait_client: median wait %.2f us with 1 connection, %.2f us "
      "with %d\n",
      with_one, with_all, idle + 1);
  return with_all < LIMIT * with_one ? 0 : 1;
}
