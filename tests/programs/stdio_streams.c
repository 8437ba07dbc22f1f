// stdio_streams HOST PORT OTHER_PORT — a plaintext client that checks the rest
// of what glibc's standard streams do on a covered socket (stdio_lands.c has
// how a socket gets onto descriptor 1):
//   stdin    dup3() puts the socket on 0; a line written to the socket
//            comes back through fgets(stdin).
//   stderr   dup2() puts it on 2; fprintf(stderr) comes back. Meanwhile a
//            second connection is made (to OTHER_PORT: PORT may serve one
//            connection at a time), whose log line (the tests log to
//            standard error) must not reach the socket.
//   freopen  freopen() of a stdout that follows the socket reopens it on
//            /dev/null, ending the connection, instead of crashing.
//   locked   a thread that holds stdout's lock (flockfile) while the socket
//            arrives on 1 or leaves it: stdio fails rather than follow
//            while the lock is held, and afterwards another thread's printf
//            must not hang.
//   fork     stdout holds unflushed output when the program forks, and the
//            child calls exit(): the child must not send its copy (that
//            would break the parent's session); the parent's echo comes
//            back whole.
//   signal   a signal handler dup2()s onto 1 while the program does too,
//            100,000 times: no hang.
//   fclose   fclose(stdout) while it follows the socket; using stdout
//            afterwards must not touch freed memory.
// After each case the original stream is back, and "back CASE" is printed
// on standard output. Exits 0 when every case held; 1 otherwise, saying
// why on the original standard error.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "connect_util.h"
#include "echo_util.h"

static const char *host, *port, *other_port;
static int saved[3] = {-1, -1, -1};
static FILE *report;  // the original standard error, for failures

static int fail(const char *what) {
  fprintf(report, "stdio_streams: %s (%s)\n", what, strerror(errno));
  return 0;
}

static int back(int fd, const char *name) {
  if (dup2(saved[fd], fd) != fd) {
    return fail("putting a standard descriptor back");
  }
  return printf("back %s\n", name) > 0 && fflush(stdout) == 0;
}

// socket_on_stdout connects, puts the socket on 1 with dup2() and, given a
// |line|, checks that printf() of it comes back. Returns the socket, or -1.
static int socket_on_stdout(const char *line) {
  int fd = connect_to(host, port);
  if (fd < 0 || dup2(fd, 1) != 1) {
    fail("connect and dup2 onto 1");
    return -1;
  }
  if (line != NULL &&
      (printf("%s", line) < 0 || fflush(stdout) != 0 || !read_echo(fd, line))) {
    fail("printf did not come back");
    return -1;
  }
  return fd;
}

static int on_stdin(void) {
  int fd = connect_to(host, port);
  if (fd < 0 || dup3(fd, 0, O_CLOEXEC) != 0) {
    return fail("connect and dup3 onto 0");
  }
  const char line[] = "stdio-stdin 1\n";
  char got[64];
  if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
      fgets(got, sizeof(got), stdin) == NULL || strcmp(got, line) != 0) {
    return fail("the echo did not come back through stdin");
  }
  close(fd);
  return back(0, "stdin");
}

static int on_stderr(void) {
  int fd = connect_to(host, port);
  if (fd < 0 || dup2(fd, 2) != 2) {
    return fail("connect and dup2 onto 2");
  }
  if (fprintf(stderr, "stdio-stderr 2\n") < 0 ||
      !read_echo(fd, "stdio-stderr 2\n")) {
    return fail("fprintf(stderr) did not come back");
  }
  int other = connect_to(host, other_port);  // logs "TLS established"
  if (other < 0) {
    return fail("a second connection");
  }
  close(other);
  // Anything but TLS on the socket breaks the session: one more echo.
  if (fprintf(stderr, "stdio-stderr 3\n") < 0 ||
      !read_echo(fd, "stdio-stderr 3\n")) {
    return fail("the session did not survive the log");
  }
  close(fd);
  return back(2, "stderr");
}

static int on_freopen(void) {
  int fd = socket_on_stdout("stdio-freopen 4\n");
  if (fd < 0) {
    return 0;
  }
  if (freopen("/dev/null", "w", stdout) == NULL) {
    return fail("freopen");
  }
  struct stat st;
  if (fstat(1, &st) != 0 || !S_ISCHR(st.st_mode)) {
    return fail("descriptor 1 is not /dev/null after freopen");
  }
  if (printf("to /dev/null\n") < 0 || fflush(stdout) != 0) {
    return fail("printf after freopen");
  }
  close(fd);
  return back(1, "freopen");
}

static void *print_line(void *arg) {
  printf("%s\n", (const char *)arg);
  fflush(stdout);
  return NULL;
}

// in_other_thread runs printf(|line|) on a thread of its own; a printf
// still blocked after 10 s is a hang.
static int in_other_thread(const char *line) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, print_line, (void *)line) != 0) {
    return fail("pthread_create");
  }
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 10;
  if (pthread_timedjoin_np(thread, NULL, &until) != 0) {
    errno = ETIMEDOUT;
    return fail("another thread's printf hung");
  }
  return 1;
}

static int locked(void) {
  int fd = connect_to(host, port);
  if (fd < 0) {
    return fail("connect");
  }
  // The socket arrives on 1 while this thread holds stdout: stdio there
  // fails, and nothing reaches the socket.
  flockfile(stdout);
  if (dup2(fd, 1) != 1) {
    return fail("dup2 onto 1");
  }
  funlockfile(stdout);
  fputs("stdio-locked plaintext\n", stdout);
  if (fflush(stdout) != EOF) {
    fprintf(report, "stdio_streams: stdout wrote to the socket\n");
    return 0;
  }
  clearerr(stdout);
  if (!back(1, "locked-arrive") || !in_other_thread("thread after arrive")) {
    return 0;
  }
  // Now it follows the socket, and leaves 1 while the lock is held.
  if (dup2(fd, 1) != 1 || printf("stdio-locked 5\n") < 0 ||
      fflush(stdout) != 0 || !read_echo(fd, "stdio-locked 5\n")) {
    return fail("printf did not come back");
  }
  flockfile(stdout);
  if (dup2(saved[1], 1) != 1) {
    return fail("dup2 back");
  }
  funlockfile(stdout);
  close(fd);
  return in_other_thread("thread after leave") && back(1, "locked-leave");
}

static int on_fork(void) {
  int fd = socket_on_stdout(NULL);
  if (fd < 0) {
    return 0;
  }
  printf("stdio-parent-a ");  // left in the buffer across fork()
  pid_t child = fork();
  if (child == 0) {
    exit(0);  // flushes its copy of the buffer, unless tlsshim stops it
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) {
    return fail("fork");
  }
  if (printf("stdio-parent-b\n") < 0 || fflush(stdout) != 0 ||
      !read_echo(fd, "stdio-parent-a stdio-parent-b\n")) {
    return fail("the parent's session did not survive its child's exit");
  }
  close(fd);
  return back(1, "fork");
}

static int devnull = -1;

static void on_alarm(int sig) {
  (void)sig;
  int saved_errno = errno;
  dup2(devnull, 1);
  errno = saved_errno;
}

static int on_signal(void) {
  devnull = open("/dev/null", O_WRONLY);
  int fd = socket_on_stdout("stdio-signal 6\n");
  if (fd < 0 || devnull < 0) {
    return fail("the socket and /dev/null on 1");
  }
  close(fd);
  struct sigaction sa = {.sa_handler = on_alarm};
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every = {{0, 50}, {0, 50}};
  setitimer(ITIMER_REAL, &every, NULL);
  for (int i = 0; i < 100000; i++) {
    dup2(devnull, 1);
  }
  struct itimerval stop = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &stop, NULL);
  return back(1, "signal");
}

static int on_fclose(void) {
  int fd = socket_on_stdout("stdio-fclose 7\n");
  if (fd < 0) {
    return 0;
  }
  if (fclose(stdout) != 0) {
    return fail("fclose(stdout)");
  }
  // Whatever took the freed stream's memory, stdout must not be it.
  for (int i = 0; i < 64; i++) {
    memset(malloc(512), 0x5a, 512);
  }
  fflush(stdout);
  close(fd);
  return back(1, "fclose");
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: stdio_streams HOST PORT OTHER_PORT\n");
    return 2;
  }
  host = argv[1];
  port = argv[2];
  other_port = argv[3];
  for (int fd = 0; fd < 3; fd++) {
    saved[fd] = dup(fd);
  }
  report = fdopen(dup(2), "w");
  if (report == NULL || saved[0] < 0 || saved[1] < 0 || saved[2] < 0) {
    return 1;
  }
  setvbuf(report, NULL, _IONBF, 0);
  int ok = on_stdin() && on_stderr() && on_freopen() && locked() && on_fork() &&
           on_signal() && on_fclose();
  return ok ? 0 : 1;
}
