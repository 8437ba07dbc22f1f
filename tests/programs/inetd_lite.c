// inetd_lite [-u] PORT PROGRAM [ARGS...] — accepts connections and, like
// inetd, runs PROGRAM for each with the connection as its standard input,
// output and error. With -u the child first uses the connection itself (reads a line,
// answers "ready") and only then execs PROGRAM, which then inherits a
// connection whose TLS session is already under way.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listen_util.h"

// use_first reads one line and answers it, before the exec.
static void use_first(int fd) {
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') {
  }
  if (write(fd, "ready\n", 6) != 6) {
    _exit(1);
  }
}

int main(int argc, char **argv) {
  int use = argc > 1 && strcmp(argv[1], "-u") == 0;
  argv += use;
  argc -= use;
  if (argc < 3) {
    fprintf(stderr, "usage: inetd_lite [-u] PORT PROGRAM [ARGS...]\n");
    return 2;
  }
  signal(SIGCHLD, SIG_IGN);
  int lfd = listen_on(argv[1]);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      continue;
    }
    if (fork() == 0) {
      close(lfd);
      if (use) {
        use_first(fd);
      }
      dup2(fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
      execvp(argv[2], argv + 2);
      _exit(127);
    }
    close(fd);
  }
}
