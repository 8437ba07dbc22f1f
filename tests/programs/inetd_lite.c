// inetd_lite PORT PROGRAM [ARGS...] — accepts connections and, like inetd,
// runs PROGRAM for each with the connection as its standard input and
// output.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "listen_util.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: inetd_lite PORT PROGRAM [ARGS...]\n");
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
      dup2(fd, 0);
      dup2(fd, 1);
      close(fd);
      execvp(argv[2], argv + 2);
      _exit(127);
    }
    close(fd);
  }
}
