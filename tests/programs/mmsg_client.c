// mmsg_client HOST PORT — a plaintext client that talks to an echo server
// with the less common vector calls: sendmmsg() sends "mmsg-one\n" and
// "mmsg-two\n" as two messages of two buffers each, recvmmsg() (with
// MSG_WAITFORONE) reads the echo until all of it is back; then pwritev2()
// and preadv2() with offset -1 do the same for "pwritev2-three\n", with a
// recvmsg(MSG_ERRQUEUE) in between that must find nothing. Then a sendmmsg
// with 2000 buffers must fail with EMSGSIZE, and a pwritev2(RWF_NOSIGNAL)
// after shutdown(SHUT_WR) with EPIPE and no SIGPIPE. Exits 0 when every
// echo came back whole and every refusal was as said; 1 otherwise. It knows
// nothing of TLS; the integration tests run it under tlsshim against a TLS echo
// server.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "connect_util.h"

static int fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: mmsg_client HOST PORT\n");
    return 2;
  }
  int fd = connect_to(argv[1], argv[2]);
  if (fd < 0) {
    return fail("connect");
  }
  struct iovec out[4] = {
      {"mmsg-", 5}, {"one\n", 4}, {"mmsg-", 5}, {"two\n", 4}};
  struct mmsghdr sent[2];
  memset(sent, 0, sizeof(sent));
  sent[0].msg_hdr.msg_iov = &out[0];
  sent[0].msg_hdr.msg_iovlen = 2;
  sent[1].msg_hdr.msg_iov = &out[2];
  sent[1].msg_hdr.msg_iovlen = 2;
  int n = sendmmsg(fd, sent, 2, 0);
  if (n != 2 || sent[0].msg_len != 9 || sent[1].msg_len != 9) {
    return fail("sendmmsg");
  }
  const char *want = "mmsg-one\nmmsg-two\n";
  char got[64];
  size_t have = 0;
  while (have < strlen(want)) {
    // Two messages of 4 bytes: the echo spreads over them and over calls.
    char first[4];
    char second[4];
    struct iovec in[2] = {{first, 4}, {second, 4}};
    struct mmsghdr received[2];
    memset(received, 0, sizeof(received));
    received[0].msg_hdr.msg_iov = &in[0];
    received[0].msg_hdr.msg_iovlen = 1;
    received[1].msg_hdr.msg_iov = &in[1];
    received[1].msg_hdr.msg_iovlen = 1;
    int m = recvmmsg(fd, received, 2, MSG_WAITFORONE, NULL);
    if (m <= 0 || received[0].msg_len == 0) {
      return fail("recvmmsg");
    }
    memcpy(got + have, first, received[0].msg_len);
    have += received[0].msg_len;
    if (m == 2) {
      memcpy(got + have, second, received[1].msg_len);
      have += received[1].msg_len;
    }
  }
  if (have != strlen(want) || memcmp(got, want, have) != 0) {
    fprintf(stderr, "the echo of the sendmmsg lines differs\n");
    return 1;
  }
  struct iovec line[2] = {{"pwritev2-", 9}, {"three\n", 6}};
  if (pwritev2(fd, line, 2, -1, 0) != 15) {
    return fail("pwritev2");
  }
  // The error queue is not the stream: empty, and the echo stays.
  char scratch[16];
  struct iovec scratch_iov = {scratch, sizeof(scratch)};
  struct msghdr errq = {.msg_iov = &scratch_iov, .msg_iovlen = 1};
  if (recvmsg(fd, &errq, MSG_ERRQUEUE | MSG_DONTWAIT) != -1 ||
      errno != EAGAIN) {
    fprintf(stderr, "recvmsg(MSG_ERRQUEUE) did not find the queue empty\n");
    return 1;
  }
  have = 0;
  while (have < 15) {
    struct iovec in = {got + have, 15 - have};
    ssize_t r = preadv2(fd, &in, 1, -1, 0);
    if (r <= 0) {
      return fail("preadv2");
    }
    have += (size_t)r;
  }
  if (memcmp(got, "pwritev2-three\n", 15) != 0) {
    fprintf(stderr, "the echo of the pwritev2 line differs\n");
    return 1;
  }
  // More buffers than a message may have: refused, not read past.
  sent[0].msg_hdr.msg_iovlen = 2000;
  if (sendmmsg(fd, sent, 1, 0) != -1 || errno != EMSGSIZE) {
    fprintf(stderr, "sendmmsg with 2000 buffers was not refused\n");
    return 1;
  }
  // After SHUT_WR, RWF_NOSIGNAL (0x100) gets EPIPE without SIGPIPE, which
  // would end this process.
  if (shutdown(fd, SHUT_WR) != 0 || pwritev2(fd, line, 2, -1, 0x100) != -1 ||
      errno != EPIPE) {
    fprintf(stderr, "pwritev2(RWF_NOSIGNAL) after shutdown: not EPIPE\n");
    return 1;
  }
  return 0;
}
