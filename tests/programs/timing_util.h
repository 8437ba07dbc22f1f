// timing_util.h — a clock and a median, for the test clients that time
// their own calls.
#ifndef TLSSHIM_TEST_TIMING_UTIL_H
#define TLSSHIM_TEST_TIMING_UTIL_H

#include <stdlib.h>
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

// median_us sorts the |n| times in |took| in place (so that took[n - 1] is
// the longest) and returns the median.
static inline double median_us(double *took, size_t n) {
  qsort(took, n, sizeof(took[0]), by_value);
  return took[n / 2];
}

#endif  // TLSSHIM_TEST_TIMING_UTIL_H
