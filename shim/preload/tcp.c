// tcp.c — see tcp.h.
#include "tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "real.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

int ts_is_tcp(int fd) {
  int protocol = 0;
  socklen_t len = sizeof(protocol);
  return TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) ==
             0 &&
         (protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP);
}

enum ts_tcp_stage ts_tcp_stage(int fd, struct sockaddr_storage *peer,
                               socklen_t *peer_len) {
  int saved_errno = errno;
  enum ts_tcp_stage stage = TS_TCP_NONE;
  int listening = 0;
  socklen_t len = sizeof(listening);
  struct sockaddr_storage ignored;
  socklen_t ignored_len = sizeof(ignored);
  if (peer == NULL || peer_len == NULL) {
    peer = &ignored;
    peer_len = &ignored_len;
  } else {
    *peer_len = sizeof(*peer);
  }
  if (!ts_is_tcp(fd) || TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_ACCEPTCONN,
                                            &listening, &len) != 0) {
    stage = TS_TCP_NONE;
  } else if (listening) {
    stage = TS_TCP_LISTENING;
  } else if (getpeername(fd, (struct sockaddr *)peer, peer_len) == 0) {
    stage = TS_TCP_CONNECTED;
  } else if (errno == ENOTCONN) {
    struct tcp_info info;
    socklen_t info_len = sizeof(info);
    stage =
        TS_REAL(getsockopt)(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len) == 0 &&
                info.tcpi_state == TCP_SYN_SENT
            ? TS_TCP_CONNECTING
            : TS_TCP_UNCONNECTED;
  }
  errno = saved_errno;
  return stage;
}
