// fork_server PORT — a plaintext fork-per-connection echo server: the parent
// accepts and closes its copy at once; the child echoes until end of stream.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listen_util.h"

static void serve(int fd) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    if (write(fd, buf, (size_t)n) != n) {
      break;
    }
  }
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fork_server PORT\n");
    return 2;
  }
  signal(SIGCHLD, SIG_IGN);  // children are reaped by the kernel
  int lfd = listen_on(argv[1]);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(lfd);
      serve(fd);
      _exit(0);
    }
    close(fd);  // the parent never used it: the child's session goes on
  }
}
