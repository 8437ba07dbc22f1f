// timing_util.h — a clock and a sort order, for the test clients that time
// their own calls.
#ifndef TLSSHIM_TEST_TIMING_UTIL_H
#define TLSSHIM_TEST_TIMING_UTIL_H

#include <time.h>

// now_us is the monotonic clock in microseconds.
static inline double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

// by_value orders doubles for qsort.
static inline int by_value(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

#endif  // TLSSHIM_TEST_TIMING_UTIL_H
