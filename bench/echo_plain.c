// echo_plain.c — echo_server's plaintext echo (see echo.h).
#include <errno.h>
#include <unistd.h>

#include "echo.h"

const char echo_usage[] = "";

int echo_init(int argc, char **argv) {
  (void)argv;
  return argc == 0;
}

int echo_open(int fd) {
  (void)fd;
  return 1;
}

int echo_readable(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      if (write(fd, buf, (size_t)n) != n) {
        return 0;
      }
      continue;
    }
    return n < 0 && errno == EAGAIN;  // else end of stream or error
  }
}

void echo_close(int fd) { (void)fd; }
