// listen_util.h — a listening TCP socket on 127.0.0.1, for the test servers.
#ifndef TLSSHIM_TEST_LISTEN_UTIL_H
#define TLSSHIM_TEST_LISTEN_UTIL_H

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static inline int listen_on(const char *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(port)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
      listen(fd, 64) < 0) {
    perror("listen");
    exit(1);
  }
  return fd;
}

#endif  // TLSSHIM_TEST_LISTEN_UTIL_H
