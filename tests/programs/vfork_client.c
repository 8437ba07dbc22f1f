// vfork_client HOST PORT [child-first] — a plaintext client that starts a
// child with vfork(), as Python's subprocess does. The child runs on the
// parent's memory until it ends.
//
// By default the child comes in the middle of a connection: the parent
// sends "vfork-one\n" and reads the echo; the child starts and waits for a
// vfork child of its own, sends "vfork-child\n" through a dup() of the
// socket and reads the echo there, duplicates the socket (dup2 onto 100,
// F_DUPFD from 200), puts /dev/null on the socket's number and makes that
// non-blocking, closes it, closes every descriptor from 3 up with
// close_range(), tries a connection of its own to HOST:PORT, and ends with
// _exit(). The parent then checks that none of that changed its own descriptors
// (the socket still blocking, the child's duplicates not open), starts a
// second child that ends with exit() instead, and sends "vfork-two\n" and
// reads the echo.
//
// With child-first, the child's connection attempt is the process's first
// TCP call, before the parent connects and exchanges both lines.
//
// Exits 0 when every echo came back, the parent's descriptors are as they
// were, and the child's own connection was refused; 1 otherwise. It knows
// nothing of TLS; the integration tests run it under tlsshim against a TLS
// echo server.
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connect_util.h"
#include "echo_util.h"

// exchange sends |line| and reads its echo.
static int exchange(int fd, const char *line) {
  size_t len = strlen(line);
  if (write(fd, line, len) != (ssize_t)len) {
    perror("write");
    return 0;
  }
  return read_echo(fd, line);
}

// Written by the child, read by the parent: vfork shares the memory.
static volatile int child_connected;
static volatile int child_copy = -1;

// child_connect is the vfork child's attempt at a connection of its own:
// 1 if it was made, 0 if refused.
static int child_connect(const struct addrinfo *server) {
  int own = socket(server->ai_family, SOCK_STREAM, 0);
  return own >= 0 && connect(own, server->ai_addr, server->ai_addrlen) == 0;
}

// run_child starts a vfork child and waits for it. Unless |first|, the
// child first does what children do with their descriptors before exec.
// Returns 1 when it exited cleanly and its own connection was refused.
static int run_child(int first, int fd, const struct addrinfo *server) {
  child_connected = -1;
  pid_t pid = vfork();
  if (pid == 0) {
    if (!first) {
      // A vfork of its own first (a shell runs commands so): the child is
      // still its parent's child afterwards.
      pid_t grandchild = vfork();
      if (grandchild == 0) {
        _exit(0);
      }
      if (grandchild < 0 || waitpid(grandchild, NULL, 0) != grandchild) {
        _exit(4);
      }
      // A line and its echo through a duplicate of the socket, with a
      // blocking read: the parent's session.
      int copy = dup(fd);
      child_copy = copy;
      if (copy < 0 || !exchange(copy, "vfork-child\n")) {
        _exit(3);
      }
      dup2(fd, 100);
      fcntl(fd, F_DUPFD, 200);
      // The socket's number, given to another file and used.
      int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, fd);
      fcntl(fd, F_SETFL, O_NONBLOCK);
      close(fd);
      close_range(3, ~0U, 0);
    }
    child_connected = child_connect(server);
    _exit(0);
  }
  if (pid < 0) {
    perror("vfork");
    return 0;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    fprintf(stderr, "the child did not exit cleanly\n");
    return 0;
  }
  if (child_connected != 0) {
    fprintf(stderr, "the vfork child's own connection was %s\n",
            child_connected < 0 ? "never tried" : "made");
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  int first = argc == 4 && strcmp(argv[3], "child-first") == 0;
  if (argc != 3 && !first) {
    fprintf(stderr, "usage: vfork_client HOST PORT [child-first]\n");
    return 2;
  }
  // Resolved before vfork: a vfork child should call only what is safe in
  // a signal handler.
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo *server = NULL;
  if (getaddrinfo(argv[1], argv[2], &hints, &server) != 0) {
    fprintf(stderr, "cannot resolve %s\n", argv[1]);
    return 1;
  }
  if (first && !run_child(1, -1, server)) {
    return 1;
  }
  int fd = connect_to(argv[1], argv[2]);
  if (fd < 0) {
    perror("connect");
    return 1;
  }
  if (!exchange(fd, "vfork-one\n")) {
    return 1;
  }
  if (!first) {
    if (!run_child(0, fd, server)) {
      return 1;
    }
    // The child's view of its own descriptors is not the parent's.
    if ((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0) {
      fprintf(stderr, "the child's fcntl on a reused number reached ours\n");
      return 1;
    }
    char c;
    if (read(child_copy, &c, 1) != -1 || errno != EBADF ||
        read(100, &c, 1) != -1 || errno != EBADF || read(200, &c, 1) != -1 ||
        errno != EBADF) {
      fprintf(stderr, "the child's duplicates were taken as the parent's\n");
      return 1;
    }
    // A child that ends with exit() rather than _exit(), a common mistake:
    // the exit handlers run on the parent's memory.
    pid_t quitter = vfork();
    if (quitter == 0) {
      exit(0);
    }
    if (quitter < 0 || waitpid(quitter, NULL, 0) != quitter) {
      perror("vfork");
      return 1;
    }
  }
  freeaddrinfo(server);
  return exchange(fd, "vfork-two\n") ? 0 : 1;
}
