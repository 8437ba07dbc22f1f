// poll_under_close HOST PORT close|dup2 — a plaintext client with two
// threads. One waits in poll() for a connection whose server sends nothing;
// once it waits in the kernel, the other closes that descriptor (close), or
// puts the read end of an emptied pipe in its place (dup2, as Java's
// Socket.close() does to wake a blocked reader).
//
// Under tlsshim the close ends the TLS session (close_notify and FIN), the
// server then closes too, and that wakes the poll. The poll must then report
// what the number names now, as the kernel does: POLLNVAL for a closed
// descriptor, the pipe's POLLHUP after dup2; not the ended connection's
// state. Exits 0 when it did within 5 s; 1 otherwise. It knows nothing of
// TLS; the integration tests run it under tlsshim against a TLS server.
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "connect_util.h"
#include "in_poll_util.h"

struct poller {
  int fd;
  _Atomic pid_t tid;
  int result;
  short revents;
};

static void *poll_once(void *arg) {
  struct poller *p = arg;
  p->tid = (pid_t)syscall(SYS_gettid);
  struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
  p->result = poll(&pfd, 1, 20000);
  p->revents = pfd.revents;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4 ||
      (strcmp(argv[3], "close") != 0 && strcmp(argv[3], "dup2") != 0)) {
    fprintf(stderr, "usage: poll_under_close HOST PORT close|dup2\n");
    return 2;
  }
  int dup2_mode = strcmp(argv[3], "dup2") == 0;
  struct poller p = {.fd = connect_to(argv[1], argv[2])};
  if (p.fd < 0) {
    perror("connect");
    return 1;
  }
  int pipefd[2];
  if (pipe(pipefd) != 0) {
    perror("pipe");
    return 1;
  }
  close(pipefd[1]);  // the read end reports POLLHUP: no writer is left
  pthread_t thread;
  if (pthread_create(&thread, NULL, poll_once, &p) != 0) {
    fprintf(stderr, "pthread_create failed\n");
    return 1;
  }
  // Wait (5 s at most) until the poller is in the kernel.
  for (int waited = 0; p.tid == 0 || !in_poll(p.tid); waited++) {
    if (waited > 5000) {
      fprintf(stderr, "the poller never waited\n");
      return 1;
    }
    struct timespec ms = {0, 1000000L};
    nanosleep(&ms, NULL);
  }
  if (dup2_mode) {
    if (dup2(pipefd[0], p.fd) != p.fd) {
      perror("dup2");
      return 1;
    }
  } else {
    close(p.fd);
  }
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  if (pthread_timedjoin_np(thread, NULL, &until) != 0) {
    fprintf(stderr, "the poller is still waiting 5 s after the %s\n", argv[3]);
    return 1;
  }
  short want = dup2_mode ? POLLHUP : POLLNVAL;
  if (p.result != 1 || p.revents != want) {
    fprintf(stderr, "poll returned %d with revents 0x%x, not 0x%x\n", p.result,
            (unsigned)(unsigned short)p.revents,
            (unsigned)(unsigned short)want);
    return 1;
  }
  return 0;
}
