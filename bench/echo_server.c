// echo_server PORT — an epoll echo server for the connection-rate and
// idle-memory scenarios: one thread, non-blocking, edge-triggered; it echoes
// what arrives and closes at end of stream. echo_server is plaintext (under
// tlsshim, TLS); `echo_server-bssl PORT CERT KEY full|resumed` runs TLS
// itself, with or without session tickets. See echo.h.
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"

static void finish(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  echo_close(fd);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 2 || !echo_init(argc - 2, argv + 2)) {
    fprintf(stderr, "usage: %s PORT%s\n", argv[0], echo_usage);
    return 2;
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
      listen(lfd, 1024) < 0) {
    perror("echo_server");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd != lfd) {
        if (!echo_readable(fd)) {
          finish(ep, fd);
        }
        continue;
      }
      int c;
      while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        struct epoll_event cev = {.events = EPOLLIN | EPOLLET, .data.fd = c};
        if (!echo_open(c) || epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) != 0) {
          echo_close(c);
          close(c);
        }
      }
    }
  }
}
