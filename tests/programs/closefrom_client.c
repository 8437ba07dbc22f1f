// closefrom_client HOST PORT FILE — a client that closes every descriptor
// above standard error with closefrom(3) while connected, as daemons do,
// then goes on: it opens FILE (which gets the lowest free number), connects
// again, and writes its own line into FILE. Each connection sends a line
// and must get its echo back. Exits 0 when both did.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect_util.h"

static int echo_once(int fd, const char *line) {
  size_t len = strlen(line);
  if (write(fd, line, len) != (ssize_t)len) {
    perror("write");
    return 0;
  }
  char buf[128];
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, buf + got, len - got);
    if (n <= 0) {
      perror("read");
      return 0;
    }
    got += (size_t)n;
  }
  if (memcmp(buf, line, len) != 0) {
    fprintf(stderr, "the echo of %s differs\n", line);
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: closefrom_client HOST PORT FILE\n");
    return 2;
  }
  int fd = connect_to(argv[1], argv[2]);
  if (fd < 0 || !echo_once(fd, "closefrom-first\n")) {
    return 1;
  }
  closefrom(STDERR_FILENO + 1);
  int file = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (file < 0) {
    perror("open");
    return 1;
  }
  int again = connect_to(argv[1], argv[2]);
  if (again < 0 || !echo_once(again, "closefrom-second\n")) {
    return 1;
  }
  const char mine[] = "the program's own line\n";
  if (write(file, mine, sizeof(mine) - 1) != (ssize_t)(sizeof(mine) - 1)) {
    perror("write file");
    return 1;
  }
  close(again);
  close(file);
  return 0;
}
