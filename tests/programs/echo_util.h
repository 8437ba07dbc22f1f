// echo_util.h — reading an echo back, for the test clients that talk to an
// echo server.
#ifndef TLSSHIM_TEST_ECHO_UTIL_H
#define TLSSHIM_TEST_ECHO_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// read_echo reads from |fd| until |line| has come back whole; returns 1, or
// 0 (having said why) on a short stream, an error or other bytes.
static inline int read_echo(int fd, const char *line) {
  size_t len = strlen(line);
  char buf[128];
  size_t got = 0;
  if (len > sizeof(buf)) {
    return 0;
  }
  while (got < len) {
    ssize_t n = read(fd, buf + got, len - got);
    if (n <= 0) {
      fprintf(stderr, "read: %s\n", n == 0 ? "end of stream" : strerror(errno));
      return 0;
    }
    got += (size_t)n;
  }
  if (memcmp(buf, line, len) != 0) {
    fprintf(stderr, "the echo of %.*s differs\n", (int)len - 1, line);
    return 0;
  }
  return 1;
}

#endif  // TLSSHIM_TEST_ECHO_UTIL_H
