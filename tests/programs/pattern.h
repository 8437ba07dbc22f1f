// pattern.h — the deterministic byte stream the test clients send and expect
// back from an echo server: byte i is a function of i, so any loss,
// duplication or reordering is caught at the first wrong byte.
#ifndef TLSSHIM_TEST_PATTERN_H
#define TLSSHIM_TEST_PATTERN_H

#include <stddef.h>
#include <stdint.h>

static inline uint8_t pattern_byte(uint64_t i) {
  return (uint8_t)((i * 2654435761u) >> 13 ^ (i >> 8));
}

static inline void pattern_fill(uint8_t *buf, size_t len, uint64_t offset) {
  for (size_t i = 0; i < len; i++) {
    buf[i] = pattern_byte(offset + i);
  }
}

// pattern_check returns the index of the first wrong byte, or -1.
static inline long pattern_check(const uint8_t *buf, size_t len,
                                 uint64_t offset) {
  for (size_t i = 0; i < len; i++) {
    if (buf[i] != pattern_byte(offset + i)) {
      return (long)i;
    }
  }
  return -1;
}

#endif  // TLSSHIM_TEST_PATTERN_H
