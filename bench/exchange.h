// exchange.h — one connection of bench/connrate, with or without TLS of its
// own: connect, send one byte, read it back, close. connrate.c runs the
// loop; exchange_plain.c (connrate) and exchange_bssl.c (connrate-bssl)
// each implement this.
#ifndef TLSSHIM_BENCH_EXCHANGE_H
#define TLSSHIM_BENCH_EXCHANGE_H

#include <netdb.h>

// The arguments exchange_init takes, for connrate's usage message.
extern const char exchange_usage[];

// exchange_init takes the arguments after connrate's own; 0 if they are
// wrong or the set-up failed (with a message on stderr).
int exchange_init(int argc, char **argv);

// exchange makes one connection to |target|; 1 if the byte came back.
// Called from several threads at once.
int exchange(const struct addrinfo *target);

// exchange_check is called once the threads are done, with the number of
// exchanges that succeeded; 0, with a message, if they did not do what was
// asked of them.
int exchange_check(long done);

#endif  // TLSSHIM_BENCH_EXCHANGE_H
