// stream — bulk throughput over STREAMS connections, each side in one thread,
// as iperf3 moves it, in a program that can also do TLS itself:
//   stream recv PORT STREAMS ...   accepts STREAMS connections and reads them
//                                  until each ends; prints Gbit/s received
//   stream send HOST PORT SECONDS STREAMS ...
//                                  connects STREAMS times and writes 128 KiB
//                                  blocks round-robin for SECONDS
// Both sides wait with poll() and read or write 128 KiB at a time (iperf3's
// block). `stream` is plaintext; `stream-bssl`, with the arguments
// stream.h's usage strings give, runs TLS itself (stream_bssl.c). The bench
// runs stream plaintext and under tlsshim, and stream-bssl, to compare
// tlsshim with a program doing its own TLS on bulk transfer, which iperf3
// cannot.
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (128 * 1024)
#define MAX_STREAMS 16

static unsigned char block[BLOCK];

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int nonblocking(int fd, int on) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 &&
         fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0;
}

static int receiver(const char *port, int n) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
  struct addrinfo *at;
  if (getaddrinfo("127.0.0.1", port, &hints, &at) != 0) {
    fprintf(stderr, "stream: bad port %s\n", port);
    return 2;
  }
  int one = 1;
  int lfd = socket(at->ai_family, SOCK_STREAM, 0);
  if (lfd < 0 ||
      setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(lfd, at->ai_addr, at->ai_addrlen) != 0 || listen(lfd, 64) != 0) {
    perror("stream: listen");
    return 2;
  }
  freeaddrinfo(at);
  // Connections are accepted in the loop that reads them: under tlsshim a
  // client's connect() returns once the TLS handshake is done, and the
  // server's side of it runs when the program first waits on or reads the
  // socket.
  struct stream *s[MAX_STREAMS + 1];
  struct pollfd p[MAX_STREAMS + 1];
  p[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
  int accepted = 0;
  double start = 0;
  double bytes = 0;
  for (int open = n; open > 0;) {
    if (poll(p, (nfds_t)accepted + 1, -1) < 0 && errno != EINTR) {
      perror("stream: poll");
      return 1;
    }
    if (accepted < n && p[0].revents != 0) {
      int fd = accept(lfd, NULL, NULL);
      int i = ++accepted;
      if (fd < 0 || (s[i] = stream_open(fd, 0)) == NULL ||
          !nonblocking(fd, 1)) {
        fprintf(stderr, "stream: stream %d did not open\n", i);
        return 1;
      }
      p[i] = (struct pollfd){.fd = fd, .events = POLLIN};
      if (accepted == n) {
        p[0].fd = -1;
        start = now();
      }
    }
    for (int i = 1; i <= accepted; i++) {
      if (p[i].fd < 0 || p[i].revents == 0) {
        continue;
      }
      ssize_t got = stream_recv(s[i], block, BLOCK);
      if (got > 0) {
        // A plaintext sender may start on its first streams before the
        // last is accepted: what arrives before the clock starts is not
        // counted.
        bytes += start > 0 ? (double)got : 0;
      } else if (got == 0) {
        p[i].fd = -1;
        open--;
      } else if (errno != EAGAIN) {
        fprintf(stderr, "stream: stream %d failed: %s\n", i, strerror(errno));
        return 1;
      }
    }
  }
  double elapsed = now() - start;
  printf("%.2f\n", bytes * 8 / elapsed / 1e9);
  return 0;
}

static int sender(const char *host, const char *port, double seconds, int n) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo *at;
  if (getaddrinfo(host, port, &hints, &at) != 0) {
    fprintf(stderr, "stream: cannot resolve %s\n", host);
    return 2;
  }
  struct stream *s[MAX_STREAMS];
  struct pollfd p[MAX_STREAMS];
  size_t off[MAX_STREAMS] = {0};
  for (int i = 0; i < n; i++) {
    int fd = socket(at->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, at->ai_addr, at->ai_addrlen) != 0 ||
        (s[i] = stream_open(fd, 1)) == NULL || !nonblocking(fd, 1)) {
      fprintf(stderr, "stream: stream %d did not open\n", i + 1);
      return 1;
    }
    p[i] = (struct pollfd){.fd = fd, .events = POLLOUT};
  }
  freeaddrinfo(at);
  double end = now() + seconds;
  while (now() < end) {
    if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR) {
      perror("stream: poll");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      if (p[i].revents == 0) {
        continue;
      }
      ssize_t sent = stream_send(s[i], block + off[i], BLOCK - off[i]);
      if (sent > 0) {
        off[i] = (off[i] + (size_t)sent) % BLOCK;
      } else if (errno != EAGAIN) {
        fprintf(stderr, "stream: stream %d failed: %s\n", i + 1,
                strerror(errno));
        return 1;
      }
    }
  }
  for (int i = 0; i < n; i++) {
    if (!nonblocking(p[i].fd, 0) ||
        !stream_finish(s[i], block + off[i], BLOCK - off[i])) {
      fprintf(stderr, "stream: stream %d did not end cleanly\n", i + 1);
      return 1;
    }
    stream_free(s[i]);
  }
  return 0;
}

int main(int argc, char **argv) {
  int is_recv = argc >= 4 && strcmp(argv[1], "recv") == 0;
  int is_send = argc >= 6 && strcmp(argv[1], "send") == 0;
  int nargs = is_recv ? 4 : 6;
  int streams = is_recv ? atoi(argv[3]) : is_send ? atoi(argv[5]) : 0;
  if ((!is_recv && !is_send) || streams < 1 || streams > MAX_STREAMS ||
      !stream_init(is_send, argc - nargs, argv + nargs)) {
    fprintf(stderr,
            "usage: %s recv PORT STREAMS%s\n"
            "       %s send HOST PORT SECONDS STREAMS%s\n",
            argv[0], stream_recv_usage, argv[0], stream_send_usage);
    return 2;
  }
  memset(block, 'x', sizeof(block));
  return is_recv ? receiver(argv[2], streams)
                 : sender(argv[2], argv[3], atof(argv[4]), streams);
}
