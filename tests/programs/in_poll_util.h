// in_poll_util.h — whether a thread waits in poll() now, for the test
// clients that act on a descriptor while another thread waits on it (every
// blocking wait under tlsshim is a poll).
#ifndef TLSSHIM_TEST_IN_POLL_UTIL_H
#define TLSSHIM_TEST_IN_POLL_UTIL_H

#include <stdio.h>
#include <sys/syscall.h>
#include <sys/types.h>

// in_poll returns whether thread |tid| is inside poll() or ppoll() now.
static inline int in_poll(pid_t tid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
  FILE *f = fopen(path, "re");
  long nr = -1;
  if (f != NULL) {
    if (fscanf(f, "%ld", &nr) != 1) {
      nr = -1;
    }
    fclose(f);
  }
  return nr == SYS_poll || nr == SYS_ppoll;
}

#endif  // TLSSHIM_TEST_IN_POLL_UTIL_H
