// tcp.h — which sockets carry TCP, and how far along they are. MPTCP
// counts: the program reads and writes it as one TCP stream, which the
// kernel spreads over several paths, and a covered port's bytes on it must
// be TLS all the same.
#ifndef TLSSHIM_TCP_H
#define TLSSHIM_TCP_H

#include <sys/socket.h>

// ts_is_tcp says whether |fd| is a TCP or MPTCP socket (one getsockopt).
int ts_is_tcp(int fd);

enum ts_tcp_stage {
  TS_TCP_NONE,         // not a TCP socket, or not open
  TS_TCP_LISTENING,    // accepts connections
  TS_TCP_UNCONNECTED,  // a connect() may yet make it a connection
  TS_TCP_CONNECTING,   // its connect() is under way (SYN sent)
  TS_TCP_CONNECTED,    // one end of a connection
};

// ts_tcp_stage says where |fd| stands; for TS_TCP_CONNECTED it writes the
// peer's address into |peer| and |*peer_len| when they are not NULL.
// errno is left as it was.
enum ts_tcp_stage ts_tcp_stage(int fd, struct sockaddr_storage *peer,
                               socklen_t *peer_len);

#endif  // TLSSHIM_TCP_H
