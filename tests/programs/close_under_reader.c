// close_under_reader HOST PORT — a plaintext client with two threads. One
// blocks reading a connection whose server sends nothing; once it waits in
// the kernel, the other closes that descriptor under it and at once gives
// the number to one end of a socketpair, with a byte waiting in it.
//
// Linux does not end a blocked read when another thread closes its
// descriptor, so over TCP the reader would wait for the peer. Under tlsshim
// the reader's read must end with EBADF, and must not touch what the number
// names now. Exits 0 when the read failed with EBADF within 5 s and the
// byte is still in the socketpair; 1 otherwise. It knows nothing of TLS; the
// integration tests run it under tlsshim against a TLS server.
#include <errno.h>
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

struct reader {
  int fd;
  _Atomic pid_t tid;
  ssize_t result;
  int err;
};

static void *read_once(void *arg) {
  struct reader *r = arg;
  r->tid = (pid_t)syscall(SYS_gettid);
  char buf[64];
  r->result = read(r->fd, buf, sizeof(buf));
  r->err = errno;
  return NULL;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: close_under_reader HOST PORT\n");
    return 2;
  }
  struct reader r = {.fd = connect_to(argv[1], argv[2])};
  if (r.fd < 0) {
    perror("connect");
    return 1;
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, read_once, &r) != 0) {
    fprintf(stderr, "pthread_create failed\n");
    return 1;
  }
  // Wait (5 s at most) until the reader is blocked in the kernel.
  int waited = 0;
  while (r.tid == 0 || !in_poll(r.tid)) {
    if (++waited > 5000) {
      fprintf(stderr, "the reader never blocked\n");
      return 1;
    }
    pause_ms(1);
  }
  close(r.fd);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    perror("socketpair");
    return 1;
  }
  if (sv[0] != r.fd) {
    fprintf(stderr, "descriptor %d was not reused (got %d and %d)\n", r.fd,
            sv[0], sv[1]);
    return 1;
  }
  if (write(sv[1], "x", 1) != 1) {
    perror("write");
    return 1;
  }
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  if (pthread_timedjoin_np(thread, NULL, &until) != 0) {
    fprintf(stderr, "the reader is still blocked 5 s after the close\n");
    return 1;
  }
  if (r.result != -1 || r.err != EBADF) {
    fprintf(stderr, "the reader's read returned %zd (%s), not EBADF\n",
            r.result, r.result < 0 ? strerror(r.err) : "data");
    return 1;
  }
  char c = 0;
  if (recv(sv[0], &c, 1, MSG_DONTWAIT) != 1 || c != 'x') {
    fprintf(stderr, "the byte in the socketpair was taken by the reader\n");
    return 1;
  }
  return 0;
}
