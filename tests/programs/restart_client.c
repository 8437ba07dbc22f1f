// restart_client HOST PORT restart|norestart|crash-handler — a plaintext
// blocking client whose read is interrupted by signals: it sends "hello\n",
// arms a 5 ms interval timer whose SIGALRM handler is installed with
// SA_RESTART or without it, and blocks in read() while the server takes its
// time to answer. With SA_RESTART the kernel restarts an interrupted socket
// read, so read() must return the answer; without it, read() must fail with
// EINTR. crash-handler is restart with a SIGSEGV handler installed too,
// without SA_RESTART, as crash reporters do: a fault cannot interrupt a
// read, so the read must still be restarted.
// Exits 0 when it behaves as plain TCP would. It knows nothing of TLS; the
// integration tests run it under tlsshim.
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "connect_util.h"

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

static void on_fault(int sig) {
  signal(sig, SIG_DFL);
  raise(sig);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(
        stderr,
        "usage: restart_client HOST PORT restart|norestart|crash-handler\n");
    return 2;
  }
  int crash_handler = strcmp(argv[3], "crash-handler") == 0;
  int restart = strcmp(argv[3], "restart") == 0 || crash_handler;
  int fd = connect_to(argv[1], argv[2]);
  if (fd < 0 || write(fd, "hello\n", 6) != 6) {
    perror("connect/write");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_alarm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  if (crash_handler) {
    struct sigaction fault;
    memset(&fault, 0, sizeof(fault));
    fault.sa_handler = on_fault;
    sigaction(SIGSEGV, &fault, NULL);
  }
  struct itimerval every = {{0, 5000}, {0, 5000}};
  setitimer(ITIMER_REAL, &every, NULL);
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf));
  int err = errno;
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  if (restart) {
    if (n <= 0) {
      fprintf(stderr, "read under SA_RESTART: %s\n",
              n < 0 ? strerror(err) : "end of stream");
      return 1;
    }
    if (alarms < 2) {
      fprintf(stderr, "only %d signals arrived; the test is void\n",
              (int)alarms);
      return 1;
    }
    printf("read %zd bytes through %d signals\n", n, (int)alarms);
    return 0;
  }
  if (n >= 0 || err != EINTR) {
    fprintf(stderr, "read without SA_RESTART returned %zd (%s), not EINTR\n", n,
            n < 0 ? strerror(err) : "data");
    return 1;
  }
  printf("EINTR without SA_RESTART\n");
  return 0;
}
