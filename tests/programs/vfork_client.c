// vfork_client HOST PORT — a plaintext client that starts a child with
// vfork() in the middle of a connection, as Python's subprocess and some
// shells do. It sends "vfork-one\n" and reads the echo; then the child, which
// runs on the parent's memory until it ends, does what such children do before
// exec: duplicates the socket onto another number, closes it, closes every
// descriptor from 3 up with close_range(), tries a connection of its own to
// HOST:PORT, and ends with _exit(). Then the parent sends
// "vfork-two\n" and reads the echo. Exits 0 when both echoes came back and the
// child's own connection was refused; 1 otherwise. It knows nothing of
// TLS; the integration tests run it under tlsshim against a TLS echo server.
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connect_util.h"

// exchange sends |line| and reads until its echo is complete.
static int exchange(int fd, const char *line) {
  size_t len = strlen(line);
  if (write(fd, line, len) != (ssize_t)len) {
    perror("write");
    return 0;
  }
  char buf[64];
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, buf + got, sizeof(buf) - got);
    if (n <= 0) {
      fprintf(stderr, "read: %s\n", n == 0 ? "end of stream" : strerror(errno));
      return 0;
    }
    got += (size_t)n;
  }
  if (got != len || memcmp(buf, line, len) != 0) {
    fprintf(stderr, "the echo of %.*s differs\n", (int)len - 1, line);
    return 0;
  }
  return 1;
}

// Written by the child, read by the parent: vfork shares the memory.
static volatile int child_connected;

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: vfork_client HOST PORT\n");
    return 2;
  }
  int fd = connect_to(argv[1], argv[2]);
  if (fd < 0) {
    perror("connect");
    return 1;
  }
  if (!exchange(fd, "vfork-one\n")) {
    return 1;
  }
  // Resolved before vfork: a vfork child should call only what is safe in
  // a signal handler.
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo *server = NULL;
  if (getaddrinfo(argv[1], argv[2], &hints, &server) != 0) {
    fprintf(stderr, "cannot resolve %s\n", argv[1]);
    return 1;
  }
  child_connected = -1;
  pid_t pid = vfork();
  if (pid == 0) {
    dup2(fd, 100);
    close(fd);
    close_range(3, ~0U, 0);
    int own = socket(server->ai_family, SOCK_STREAM, 0);
    child_connected =
        own >= 0 && connect(own, server->ai_addr, server->ai_addrlen) == 0;
    _exit(0);
  }
  freeaddrinfo(server);
  if (pid < 0) {
    perror("vfork");
    return 1;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    fprintf(stderr, "the child did not exit cleanly\n");
    return 1;
  }
  if (child_connected != 0) {
    fprintf(stderr, "the vfork child's own connection was %s\n",
            child_connected < 0 ? "never tried" : "made");
    return 1;
  }
  return exchange(fd, "vfork-two\n") ? 0 : 1;
}
