// surface_client HOST PORT — a plaintext client that talks to an echo server
// through every I/O entry point a program may use: write/read, send/recv,
// sendto/recvfrom, writev/readv, sendmsg/recvmsg, MSG_PEEK, MSG_WAITALL,
// MSG_DONTWAIT, poll, select, FIONREAD, fcntl(F_GETFL), dup, and shutdown.
// Exits 0 only if every echo comes back intact and every call behaves as it
// would on a plain TCP socket.
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHECK(cond, what)                                         \
  do {                                                            \
    if (!(cond)) {                                                \
      fprintf(stderr, "FAILED: %s (errno %d: %s)\n", what, errno, \
              strerror(errno));                                   \
      exit(1);                                                    \
    }                                                             \
  } while (0)

static int sock;

// read_exact reads |len| bytes with read(), which may return short counts.
static void read_exact(char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(sock, buf + got, len - got);
    CHECK(r > 0, "read");
    got += (size_t)r;
  }
}

static void expect_echo(const char *sent, size_t len, const char *via) {
  char buf[256];
  read_exact(buf, len);
  if (memcmp(buf, sent, len) != 0) {
    fprintf(stderr, "FAILED: echo after %s differs\n", via);
    exit(1);
  }
}

static void connect_to(const char *host, const char *port) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  CHECK(getaddrinfo(host, port, &hints, &res) == 0, "getaddrinfo");
  sock = socket(res->ai_family, SOCK_STREAM, 0);
  CHECK(sock >= 0, "socket");
  CHECK(connect(sock, res->ai_addr, res->ai_addrlen) == 0, "blocking connect");
  freeaddrinfo(res);
}

static void plain_calls(void) {
  CHECK(write(sock, "write-1", 7) == 7, "write");
  expect_echo("write-1", 7, "write");
  CHECK(send(sock, "send-2", 6, MSG_NOSIGNAL) == 6, "send");
  char buf[64];
  size_t got = 0;
  while (got < 6) {
    ssize_t r = recv(sock, buf + got, 6 - got, 0);
    CHECK(r > 0, "recv");
    got += (size_t)r;
  }
  CHECK(memcmp(buf, "send-2", 6) == 0, "recv echo");
  CHECK(sendto(sock, "sendto-3", 8, 0, NULL, 0) == 8, "sendto");
  struct sockaddr_storage from;
  socklen_t from_len = sizeof(from);
  CHECK(recvfrom(sock, buf, 8, MSG_WAITALL, (struct sockaddr *)&from,
                 &from_len) == 8,
        "recvfrom MSG_WAITALL");
  CHECK(memcmp(buf, "sendto-3", 8) == 0, "recvfrom echo");
}

static void vector_calls(void) {
  struct iovec out[3] = {{"wri", 3}, {"tev", 3}, {"-4", 2}};
  CHECK(writev(sock, out, 3) == 8, "writev");
  char a[3];
  char b[5];
  struct iovec in[2] = {{a, 3}, {b, 5}};
  size_t got = 0;
  // readv may return early; MSG_WAITALL through recvmsg is tested below.
  while (got < 8) {
    ssize_t r =
        got == 0 ? readv(sock, in, 2) : read(sock, b + (got - 3), 8 - got);
    CHECK(r > 0, "readv");
    got += (size_t)r;
  }
  CHECK(memcmp(a, "wri", 3) == 0 && memcmp(b, "tev-4", 5) == 0, "readv echo");
  struct iovec mout[2] = {{"sendm", 5}, {"sg-5", 4}};
  struct msghdr msg = {.msg_iov = mout, .msg_iovlen = 2};
  CHECK(sendmsg(sock, &msg, MSG_NOSIGNAL) == 9, "sendmsg");
  char c[9];
  struct iovec min[1] = {{c, 9}};
  struct msghdr rmsg = {.msg_iov = min, .msg_iovlen = 1};
  CHECK(recvmsg(sock, &rmsg, MSG_WAITALL) == 9, "recvmsg MSG_WAITALL");
  CHECK(memcmp(c, "sendmsg-5", 9) == 0, "recvmsg echo");
}

static void readiness_calls(void) {
  char buf[64];
  errno = 0;
  CHECK(recv(sock, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
        "MSG_DONTWAIT on an idle socket gives EAGAIN");
  CHECK(write(sock, "peek-6", 6) == 6, "write for peek");
  struct pollfd pfd = {.fd = sock, .events = POLLIN};
  CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "poll readable");
  CHECK(recv(sock, buf, 6, MSG_PEEK | MSG_WAITALL) > 0, "MSG_PEEK");
  int avail = 0;
  CHECK(ioctl(sock, FIONREAD, &avail) == 0 && avail > 0,
        "FIONREAD counts plaintext");
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(sock, &rs);
  struct timeval tv = {5, 0};
  CHECK(select(sock + 1, &rs, NULL, NULL, &tv) == 1, "select readable");
  expect_echo("peek-6", 6, "peek");
  CHECK((fcntl(sock, F_GETFL) & O_NONBLOCK) == 0, "F_GETFL shows blocking");
  pfd.events = POLLIN;
  CHECK(poll(&pfd, 1, 50) == 0, "poll idle socket times out");
}

static void dup_and_shutdown(void) {
  int copy = dup(sock);
  CHECK(copy >= 0, "dup");
  CHECK(write(copy, "dup-7", 5) == 5, "write on dup");
  close(copy);  // the connection lives on through |sock|
  expect_echo("dup-7", 5, "dup");
  CHECK(shutdown(sock, SHUT_WR) == 0, "shutdown(SHUT_WR)");
  char buf[16];
  ssize_t r = read(sock, buf, sizeof(buf));
  CHECK(r == 0, "end of stream after our close_notify");
  CHECK(close(sock) == 0, "close");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: surface_client HOST PORT\n");
    return 2;
  }
  connect_to(argv[1], argv[2]);
  plain_calls();
  vector_calls();
  readiness_calls();
  dup_and_shutdown();
  printf("surface_client: every call behaved\n");
  return 0;
}
