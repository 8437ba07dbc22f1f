// echo.h — what bench/echo_server does with each connection, with or without
// TLS of its own. echo_server.c runs the epoll loop; echo_plain.c
// (echo_server) and echo_bssl.c (echo_server-bssl) each implement this.
#ifndef TLSSHIM_BENCH_ECHO_H
#define TLSSHIM_BENCH_ECHO_H

// The arguments echo_init takes, for echo_server's usage message.
extern const char echo_usage[];

// echo_init takes the arguments after the port; 0 if they are wrong or the
// set-up failed (with a message on stderr).
int echo_init(int argc, char **argv);

// echo_open takes a newly accepted, non-blocking connection; 0 to close it.
int echo_open(int fd);

// echo_readable echoes what has arrived on |fd|, until it would block
// (edge-triggered); 0 when the connection is over and is to be closed.
int echo_readable(int fd);

// echo_close drops what echo_open set up for |fd|, before it is closed.
void echo_close(int fd);

#endif  // TLSSHIM_BENCH_ECHO_H
