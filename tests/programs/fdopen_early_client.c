// fdopen_early_client HOST PORT — opens its stdio stream on the socket
// before connecting, as some old clients do, then writes a line with
// fprintf and reads the echo back with fgets through that stream. Exits 0
// when the echo matches. ftell on the stream must fail with ESPIPE, as on
// any socket's stream.
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect_util.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fdopen_early_client HOST PORT\n");
    return 2;
  }
  struct addrinfo *res = resolve(argv[1], argv[2]);
  if (res == NULL) {
    return 1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  FILE *stream = fd < 0 ? NULL : fdopen(fd, "r+");
  if (stream == NULL) {
    perror("socket/fdopen");
    return 1;
  }
  if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    perror("connect");
    return 1;
  }
  freeaddrinfo(res);
  errno = 0;
  long at = ftell(stream);
  if (at != -1 || errno != ESPIPE) {
    fprintf(stderr, "ftell gave %ld (%s), not ESPIPE as on a socket\n", at,
            strerror(errno));
    return 1;
  }
  const char line[] = "fdopen-early line through the stream\n";
  if (fputs(line, stream) < 0 || fflush(stream) != 0) {
    perror("fputs");
    return 1;
  }
  char echo[sizeof(line) + 16];
  if (fgets(echo, sizeof(echo), stream) == NULL) {
    perror("fgets");
    return 1;
  }
  if (strcmp(echo, line) != 0) {
    fprintf(stderr, "echo differs: %s", echo);
    return 1;
  }
  fclose(stream);
  return 0;
}
