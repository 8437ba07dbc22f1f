// inherit.h — TCP connections a process receives already open, from another
// program image or another process, rather than by connect() or accept().
#ifndef TLSSHIM_INHERIT_H
#define TLSSHIM_INHERIT_H

#include <sys/socket.h>

// Across exec, inherit.c finds them itself when the library starts.

// ts_inherit_received takes in the descriptors an SCM_RIGHTS message
// brought (|msg|, as recvmsg filled it in). A connected TCP socket on a
// covered port is adopted as one inherited across exec is, its fate decided
// on first use (conn.c: step_inherited): a connection whose handshake has
// not begun gets its TLS session here, any other fails. Left alone, the
// program would read its ciphertext, or serve a plaintext peer in plaintext.
// errno is left as it was.
void ts_inherit_received(const struct msghdr *msg);

// ts_inherit_sent logs a warning for each TLS connection an SCM_RIGHTS
// message in |msg| sends away with its session already begun in this
// process: the receiver will fail it, and the log should say why here.
void ts_inherit_sent(const struct msghdr *msg);

#endif  // TLSSHIM_INHERIT_H
