// stdio_lands HOST PORT — a plaintext client that puts its socket on
// descriptor 1 in every way a program can (connect() on a socket that got
// number 1, dup() and fcntl(F_DUPFD) into a closed 1, dup2()) and writes
// each time with printf, reading the echo back; then it writes through a
// pointer to stdout kept from before the dup2 (as C++'s std::cout keeps
// one), which must fail rather than reach the socket, and works again once
// the socket has left 1. After each case it puts its original standard
// output back and prints "back CASE" there.
// Exits 0 when every echo came back and the kept pointer failed; 1
// otherwise, saying why on stderr.
//
// stdio_lands -s PORT — a server that closes its standard output, then
// accepts connections (each gets descriptor 1) until one sends a line,
// which it reads with read() and answers "reply: LINE" with printf, and
// returns from main() without flushing: exit() must deliver the answer.
//
// stdio_lands -f PORT — the same answer from a fork-per-connection server:
// each child puts its connection on 1, answers with printf and calls
// exit(); what the child wrote itself must reach the client.
//
// Neither knows anything of TLS; the integration tests run them under
// tlsshim, against TLS peers.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect_util.h"
#include "echo_util.h"
#include "listen_util.h"

static int saved_stdout = -1;

static int fail(const char *what) {
  fprintf(stderr, "stdio_lands: %s (%s)\n", what, strerror(errno));
  return 0;
}

// echo_through_stdout writes |line| with printf and reads it back from |fd|.
static int echo_through_stdout(int fd, const char *line) {
  if (printf("%s", line) < 0 || fflush(stdout) != 0) {
    return fail("printf to the socket failed");
  }
  return read_echo(fd, line);
}

// put_back gives descriptor 1 back to the original standard output (which
// ends the connection there) and says |name| on it.
static int put_back(const char *name) {
  if (dup2(saved_stdout, 1) != 1) {
    return fail("dup2 back");
  }
  return printf("back %s\n", name) > 0 && fflush(stdout) == 0;
}

static int close_stdout(void) {
  fflush(stdout);
  return close(1) == 0 || fail("close(1)");
}

static int on_connect(const char *host, const char *port) {
  if (!close_stdout()) {
    return 0;
  }
  int fd = connect_to(host, port);
  if (fd != 1) {
    return fail("the socket did not get descriptor 1");
  }
  return echo_through_stdout(1, "stdio-connect 1\n") && put_back("connect");
}

// by_copy puts a connected socket on the closed descriptor 1 with dup()
// or, with |use_fcntl|, fcntl(F_DUPFD).
static int by_copy(const char *host, const char *port, int use_fcntl) {
  int fd = connect_to(host, port);
  if (fd < 0 || !close_stdout()) {
    return fail("connect");
  }
  int copy = use_fcntl ? fcntl(fd, F_DUPFD, 1) : dup(fd);
  if (copy != 1) {
    return fail("the copy did not get descriptor 1");
  }
  int ok = echo_through_stdout(
               fd, use_fcntl ? "stdio-fdupfd 3\n" : "stdio-dup 2\n") &&
           put_back(use_fcntl ? "fdupfd" : "dup");
  close(fd);
  return ok;
}

// leave_stdout takes the socket off descriptor 1 as |how| says: dup2() of
// the original standard output, or close() or close_range() and then
// open() of /dev/null, which no hook follows.
static int leave_stdout(const char *how) {
  if (strcmp(how, "dup2") == 0) {
    return dup2(saved_stdout, 1) == 1;
  }
  int r = strcmp(how, "close") == 0 ? close(1) : close_range(1, 1, 0);
  return r == 0 && open("/dev/null", O_WRONLY) == 1;
}

// kept_pointer writes through a pointer to glibc's stdout kept from before
// a dup2() put the socket on 1; then the socket leaves 1 by dup2(),
// close() or close_range(), as |how| says, and the pointer must work again.
static int kept_pointer(const char *host, const char *port, const char *how) {
  FILE *kept = stdout;
  int fd = connect_to(host, port);
  if (fd < 0 || dup2(fd, 1) != 1) {
    return fail("connect and dup2");
  }
  if (!echo_through_stdout(fd, "stdio-dup2 4\n")) {
    return 0;
  }
  // glibc's own stream writes with the kernel's write(): on the socket it
  // would be plaintext, so it must fail instead.
  fputs("stdio-kept plaintext\n", kept);
  if (fflush(kept) != EOF || errno != EBADF) {
    fprintf(stderr, "stdio_lands: the kept stdout wrote to the socket\n");
    return 0;
  }
  clearerr(kept);
  if (!leave_stdout(how)) {
    return fail(how);
  }
  close(fd);
  // With the connection gone from 1, the kept pointer works again.
  if (fprintf(kept, "kept after %s\n", how) < 0 || fflush(kept) != 0) {
    return fail("the kept stdout still fails");
  }
  return put_back(how);
}

// read_line reads one line from |fd| a byte at a time into |line| (|cap|
// bytes) and returns its length, 0 at once on an end of stream.
static size_t read_line(int fd, char *line, size_t cap) {
  size_t got = 0;
  while (got < cap - 1 && read(fd, line + got, 1) == 1) {
    if (line[got++] == '\n') {
      break;
    }
  }
  line[got] = '\0';
  return got;
}

static int serve(const char *port) {
  int lfd = listen_on(port);
  if (!close_stdout()) {
    return 1;
  }
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd != 1) {
      fail("the accepted connection did not get descriptor 1");
      return 1;
    }
    char line[256];
    if (read_line(fd, line, sizeof(line)) > 0) {  // not a probe
      // Left in the buffer: exit() must still deliver it, through TLS.
      printf("reply: %s", line);
      return 0;
    }
    close(1);
  }
}

static int serve_forking(const char *port) {
  int lfd = listen_on(port);
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      continue;
    }
    if (fork() == 0) {
      close(lfd);
      dup2(fd, 1);
      close(fd);
      char line[256];
      if (read_line(1, line, sizeof(line)) > 0) {
        printf("reply: %s", line);  // exit() flushes it
      }
      exit(0);
    }
    close(fd);
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "-s") == 0) {
    return serve(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "-f") == 0) {
    return serve_forking(argv[2]);
  }
  if (argc != 3) {
    fprintf(stderr, "usage: stdio_lands HOST PORT | stdio_lands -s|-f PORT\n");
    return 2;
  }
  saved_stdout = dup(1);
  int ok = saved_stdout > 2 && on_connect(argv[1], argv[2]) &&
           by_copy(argv[1], argv[2], 0) && by_copy(argv[1], argv[2], 1) &&
           kept_pointer(argv[1], argv[2], "dup2") &&
           kept_pointer(argv[1], argv[2], "close") &&
           kept_pointer(argv[1], argv[2], "close_range");
  return ok ? 0 : 1;
}
