// tcp.h — which sockets carry TCP. MPTCP counts: the program reads and
// writes it as one TCP stream, which the kernel spreads over several paths,
// and a covered port's bytes on it must be TLS all the same.
#ifndef TLSSHIM_TCP_H
#define TLSSHIM_TCP_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "real.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

// ts_is_tcp says whether |fd| is a TCP or MPTCP socket (one getsockopt).
static inline int ts_is_tcp(int fd) {
  int protocol = 0;
  socklen_t len = sizeof(protocol);
  return TS_REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) ==
             0 &&
         (protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP);
}

#endif  // TLSSHIM_TCP_H
