// resolver.h — remembers which host name the program resolved to which
// address, so a later connect() to that address can be verified against the
// name the program meant (and matched against `host = NAME` rules).
#ifndef TLSSHIM_RESOLVER_H
#define TLSSHIM_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

// TS_RESOLVER_SLOTS is how many address→name pairs are kept; the oldest is
// forgotten first.
#define TS_RESOLVER_SLOTS 256

// ts_resolver_remember records that |name| resolved to |addr| (4 bytes for
// AF_INET, 16 for AF_INET6). IP literals and over-long names are ignored.
// When two names resolve to one address, the most recent wins.
void ts_resolver_remember(const char *name, int family, const uint8_t *addr);

// ts_resolver_lookup copies the name last resolved to |addr| into |out|
// (lower-cased) and returns 1, or returns 0 when none is known. IPv4-mapped
// IPv6 addresses are looked up as IPv4.
int ts_resolver_lookup(int family, const uint8_t *addr, char *out,
                       size_t out_len);

// ts_resolver_after_fork_child re-creates the lock in a child process (a
// thread of the parent may have held it at the moment of fork).
void ts_resolver_after_fork_child(void);

#endif  // TLSSHIM_RESOLVER_H
