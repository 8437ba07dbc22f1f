// splice_server PORT — a plaintext echo server that moves every byte with
// splice() through a pipe (socket -> pipe -> socket), after moving the
// connection to another descriptor with dup2() and closing the original; it
// closes each connection with close_range().
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <unistd.h>

#include "listen_util.h"

#define MOVED_FD 200

static void serve(int fd) {
  int pipefd[2];
  if (pipe(pipefd) < 0) {
    perror("pipe");
    return;
  }
  for (;;) {
    ssize_t n = splice(fd, NULL, pipefd[1], NULL, 65536, 0);
    if (n <= 0) {
      break;
    }
    while (n > 0) {
      ssize_t m = splice(pipefd[0], NULL, fd, NULL, (size_t)n, 0);
      if (m <= 0) {
        perror("splice to socket");
        return;
      }
      n -= m;
    }
  }
  close(pipefd[0]);
  close(pipefd[1]);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: splice_server PORT\n");
    return 2;
  }
  int lfd = listen_on(argv[1]);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      continue;
    }
    if (dup2(fd, MOVED_FD) < 0) {
      perror("dup2");
      return 1;
    }
    close(fd);  // the connection lives on as MOVED_FD
    serve(MOVED_FD);
    if (close_range(MOVED_FD, MOVED_FD, 0) < 0) {
      perror("close_range");
      return 1;
    }
  }
}
