// inherit_many PORT N [WRAPPER...] — accepts N connections without touching
// them, then execs `[WRAPPER...] inherit_many -w FD...`, which inherits them
// all and writes one line with write() on each, in the order accepted:
// "connection from port P", P being the client's port. WRAPPER (a command
// that ends by running its arguments) lets a test change the new image's
// surroundings, such as hiding /proc.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd_limit_util.h"
#include "listen_util.h"

// write_lines answers every descriptor in |fds| (decimal strings). Returns
// the exit status: 0 when every line was written whole.
static int write_lines(char **fds) {
  int status = 0;
  for (; *fds != NULL; fds++) {
    int fd = atoi(*fds);
    struct sockaddr_in peer;
    socklen_t peer_len = sizeof(peer);
    char line[64];
    if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) != 0) {
      perror("inherit_many: getpeername");
      status = 1;
      continue;
    }
    int len = snprintf(line, sizeof(line), "connection from port %u\n",
                       ntohs(peer.sin_port));
    if (write(fd, line, (size_t)len) != len) {
      fprintf(stderr, "inherit_many: descriptor %d: ", fd);
      perror("write");
      status = 1;
    }
  }
  return status;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-w") == 0) {
    return write_lines(argv + 2);
  }
  if (argc < 3) {
    fprintf(stderr, "usage: inherit_many PORT N [WRAPPER...]\n");
    return 2;
  }
  int n = atoi(argv[2]);
  if (n <= 0 || allow_descriptors("inherit_many", n + 16) != 0) {
    return 2;
  }
  int nwrap = argc - 3;
  // WRAPPER..., this program, -w, N descriptors, NULL.
  char **args = calloc((size_t)(nwrap + n + 3), sizeof(*args));
  if (args == NULL) {
    return 2;
  }
  memcpy(args, argv + 3, (size_t)nwrap * sizeof(*args));
  args[nwrap] = argv[0];
  args[nwrap + 1] = "-w";
  int lfd = listen_on(argv[1]);
  for (int i = 0; i < n; i++) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0 || asprintf(&args[nwrap + 2 + i], "%d", fd) < 0) {
      perror("inherit_many: accept");
      return 1;
    }
  }
  close(lfd);
  execvp(args[0], args);
  perror("inherit_many: exec");
  return 127;
}
