// signal_close_client HOST PORT — connects (a TLS connection under
// tlsshim), puts the socket in an epoll set, then polls that set in a tight
// loop while a SIGALRM handler, every 200 us, closes one of many spare
// descriptors (close is async-signal-safe). Exits 0 once the handler has
// closed them all and the echo of a line has come back through the set.
// Under a library whose close() takes a lock the interrupted epoll_wait
// holds, it hangs.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

#include "connect_util.h"

#define SPARES 5000

static int spare[SPARES];
static volatile sig_atomic_t closed;

static void on_alarm(int sig) {
  (void)sig;
  if (closed < SPARES) {
    close(spare[closed]);
    closed = closed + 1;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: signal_close_client HOST PORT\n");
    return 2;
  }
  int fd = connect_to(argv[1], argv[2]);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    perror("connect/epoll");
    return 1;
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int i = 0; i < SPARES; i++) {
    if ((spare[i] = dup(devnull)) < 0) {
      perror("dup");
      return 1;
    }
  }
  struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
  struct itimerval every = {{0, 200}, {0, 200}};
  if (sigaction(SIGALRM, &sa, NULL) != 0 ||
      setitimer(ITIMER_REAL, &every, NULL) != 0) {
    perror("sigaction/setitimer");
    return 1;
  }
  struct epoll_event out[4];
  while (closed < SPARES) {
    (void)epoll_wait(ep, out, 4, 0);
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  const char line[] = "closed from a signal handler\n";
  char echo[sizeof(line)];
  if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
      epoll_wait(ep, out, 4, 10000) != 1) {
    perror("write/epoll_wait");
    return 1;
  }
  size_t got = 0;
  while (got < strlen(line)) {
    ssize_t n = read(fd, echo + got, strlen(line) - got);
    if (n <= 0) {
      perror("read");
      return 1;
    }
    got += (size_t)n;
  }
  return memcmp(echo, line, strlen(line)) == 0 ? 0 : 1;
}
