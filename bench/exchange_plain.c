// exchange_plain.c — connrate's plaintext exchange (see exchange.h). Under
// tlsshim every connection is a TLS handshake.
#include <sys/socket.h>
#include <unistd.h>

#include "exchange.h"

const char exchange_usage[] = "";

int exchange_init(int argc, char **argv) {
  (void)argv;
  return argc == 0;
}

int exchange(const struct addrinfo *target) {
  int fd = socket(target->ai_family, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  char byte = 'x';
  int ok = connect(fd, target->ai_addr, target->ai_addrlen) == 0 &&
           write(fd, &byte, 1) == 1 && read(fd, &byte, 1) == 1 && byte == 'x';
  close(fd);
  return ok;
}

int exchange_check(long done) {
  (void)done;
  return 1;
}
