// connect_util.h — a blocking TCP connection, for the test clients.
#ifndef TLSSHIM_TEST_CONNECT_UTIL_H
#define TLSSHIM_TEST_CONNECT_UTIL_H

#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

// resolve returns HOST:PORT's first stream address (free it with
// freeaddrinfo), or NULL, having said so on standard error.
static inline struct addrinfo *resolve(const char *host, const char *port) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  if (getaddrinfo(host, port, &hints, &res) != 0) {
    fprintf(stderr, "cannot resolve %s\n", host);
    return NULL;
  }
  return res;
}

// connect_to returns a socket connected to HOST:PORT (under tlsshim, with
// its handshake done), or -1.
static inline int connect_to(const char *host, const char *port) {
  struct addrinfo *res = resolve(host, port);
  if (res == NULL) {
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

#endif  // TLSSHIM_TEST_CONNECT_UTIL_H
