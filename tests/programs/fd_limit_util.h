// fd_limit_util.h — room for many descriptors, for the test clients that
// open thousands of connections.
#ifndef TLSSHIM_TEST_FD_LIMIT_UTIL_H
#define TLSSHIM_TEST_FD_LIMIT_UTIL_H

#include <stdio.h>
#include <sys/resource.h>

// allow_descriptors raises the soft limit on open descriptors to at least
// |n|. Returns 0, or -1 after saying why on stderr, as |who|.
static inline int allow_descriptors(const char *who, int n) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur >= (rlim_t)n) {
    return 0;
  }
  lim.rlim_cur = (rlim_t)n;
  if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
    fprintf(stderr, "%s: cannot allow %d descriptors (hard limit %llu)\n", who,
            n, (unsigned long long)lim.rlim_max);
    return -1;
  }
  return 0;
}

#endif  // TLSSHIM_TEST_FD_LIMIT_UTIL_H
