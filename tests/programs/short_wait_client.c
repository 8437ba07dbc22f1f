// short_wait_client HOST PORT — a plaintext client that waits in
// epoll_pwait2 with a 200 us timeout, 50 times on a set that holds its
// connected socket (no data is coming) and 50 times on a second set that
// holds only a pipe. Exits 0 when every wait times out with no event, none
// returns before its 200 us, and the median of each kind stays under
// 900 us: a wait rounded up to a whole millisecond takes at least 1,000 us.
// It knows nothing of TLS; the integration tests run it under tlsshim.
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "connect_util.h"
#include "timing_util.h"

#define WAITS 50
#define TIMEOUT_US 200
#define MEDIAN_LIMIT_US 900

// timed_waits waits WAITS times on |ep| and returns the median wait in us,
// or -1 after printing what went wrong.
static double timed_waits(int ep, const char *what) {
  double took[WAITS];
  struct timespec timeout = {.tv_nsec = TIMEOUT_US * 1000};
  for (int i = 0; i < WAITS; i++) {
    struct epoll_event ev;
    double start = now_us();
    int n = epoll_pwait2(ep, &ev, 1, &timeout, NULL);
    took[i] = now_us() - start;
    if (n != 0) {
      fprintf(stderr, "%s: wait %d returned %d, not a timeout\n", what, i, n);
      return -1;
    }
    if (took[i] < TIMEOUT_US) {
      fprintf(stderr, "%s: wait %d returned after %.0f us, before %d us\n",
              what, i, took[i], TIMEOUT_US);
      return -1;
    }
  }
  double median = median_us(took, WAITS);
  printf("short_wait_client: %s: median %.0f us, longest %.0f us\n", what,
         median, took[WAITS - 1]);
  return median;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: short_wait_client HOST PORT\n");
    return 2;
  }
  int fd = connect_to(argv[1], argv[2]);
  int pipe_fds[2];
  int socket_set = epoll_create1(0);
  int pipe_set = epoll_create1(0);
  if (fd < 0 || pipe(pipe_fds) != 0 || socket_set < 0 || pipe_set < 0) {
    perror("short_wait_client: set-up");
    return 1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  struct epoll_event pev = {.events = EPOLLIN, .data.fd = pipe_fds[0]};
  if (epoll_ctl(socket_set, EPOLL_CTL_ADD, fd, &ev) != 0 ||
      epoll_ctl(pipe_set, EPOLL_CTL_ADD, pipe_fds[0], &pev) != 0) {
    perror("short_wait_client: epoll_ctl");
    return 1;
  }
  double on_socket = timed_waits(socket_set, "set with the socket");
  double on_pipe = timed_waits(pipe_set, "set with a pipe");
  if (on_socket < 0 || on_pipe < 0) {
    return 1;
  }
  if (on_socket >= MEDIAN_LIMIT_US || on_pipe >= MEDIAN_LIMIT_US) {
    fprintf(stderr, "short_wait_client: a %d us wait took %d us or more\n",
            TIMEOUT_US, MEDIAN_LIMIT_US);
    return 1;
  }
  close(fd);
  return 0;
}
