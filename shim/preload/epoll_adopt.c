// epoll_adopt.c — epoll registrations made before a socket became TLS.
//
// A program may add a socket to an epoll set and only then connect() it. The
// kernel then holds the program's own interest and data for what is now a
// TLS descriptor: it would report handshake bytes as readable and miss
// records already out of the kernel (read ahead or decrypted). So epoll_ctl
// notes every set that was given a descriptor we do not track, and connect()
// looks in those sets (in /proc/self/fdinfo) for the new TLS descriptor and
// hands each registration it finds to epoll_watch.c. Programs that register
// after connect() (the usual order) never pay for the look-up.
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "epoll_watch.h"

// Sets are noted in a bitmap by descriptor, and the first HIGH_SETS sets
// numbered above it in a list; sets beyond that are not looked in.
#define NOTED_FDS 1024
#define HIGH_SETS 32

static _Atomic uint64_t noted[NOTED_FDS / 64];
static atomic_int high[HIGH_SETS];  // epfd + 1; 0 when free
static atomic_int any_high;         // set once a high set was noted

void ts_epoll_note_untracked(int epfd) {
  if (epfd < 0) {
    return;
  }
  if (epfd < NOTED_FDS) {
    if ((atomic_load(&noted[epfd / 64]) & (1ULL << (epfd % 64))) == 0) {
      atomic_fetch_or(&noted[epfd / 64], 1ULL << (epfd % 64));
    }
    return;
  }
  atomic_store(&any_high, 1);
  for (int i = 0; i < HIGH_SETS; i++) {
    int expected = 0;
    int cur = atomic_load(&high[i]);
    if (cur == epfd + 1 || (cur == 0 && atomic_compare_exchange_strong(
                                            &high[i], &expected, epfd + 1))) {
      return;
    }
  }
}

void ts_epoll_note_closed(int fd) {
  if (fd >= 0 && fd < NOTED_FDS &&
      (atomic_load(&noted[fd / 64]) & (1ULL << (fd % 64))) != 0) {
    atomic_fetch_and(&noted[fd / 64], ~(1ULL << (fd % 64)));
  }
  // Every close() comes here: a program with many descriptors above the
  // bitmap pays only a flag load unless it ever noted a set up there.
  if (fd < NOTED_FDS || !atomic_load(&any_high)) {
    return;
  }
  for (int i = 0; i < HIGH_SETS; i++) {
    int expected = fd + 1;
    if (atomic_load(&high[i]) == expected) {
      (void)atomic_compare_exchange_strong(&high[i], &expected, 0);
    }
  }
}

void ts_epoll_note_closed_range(unsigned int first, unsigned int last) {
  for (unsigned int fd = first; fd <= last && fd < NOTED_FDS; fd++) {
    ts_epoll_note_closed((int)fd);
  }
  for (int i = 0; atomic_load(&any_high) && i < HIGH_SETS; i++) {
    int cur = atomic_load(&high[i]);
    if (cur > 0 && (unsigned int)(cur - 1) >= first &&
        (unsigned int)(cur - 1) <= last) {
      (void)atomic_compare_exchange_strong(&high[i], &cur, 0);
    }
  }
}

// registration_of reads |fd|'s registration in |epfd| from fdinfo. Returns 1
// with the program's events and data, or 0 (not registered, not an epoll
// set, or gone). stdio reads without going through our hooks.
static int registration_of(int epfd, int fd, uint32_t *events, uint64_t *data) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
  FILE *info = fopen(path, "re");
  if (info == NULL) {
    return 0;
  }
  // Lines: "tfd: <fd> events: <hex> data: <hex> pos:0 ino:... sdev:..."
  char line[256];
  int found = 0;
  while (!found && fgets(line, sizeof(line), info) != NULL) {
    int tfd = -1;
    unsigned int ev = 0;
    uint64_t d = 0;
    if (sscanf(line, "tfd: %d events: %x data: %" SCNx64, &tfd, &ev, &d) == 3 &&
        tfd == fd) {
      *events = ev;
      *data = d;
      found = 1;
    }
  }
  fclose(info);
  return found;
}

static void adopt_from(int epfd, int fd, struct ts_conn *conn) {
  uint32_t events = 0;
  uint64_t data = 0;
  if (epfd != fd && registration_of(epfd, fd, &events, &data)) {
    epoll_data_t app_data = {.u64 = data};
    (void)ts_epoll_adopt(epfd, fd, conn, events, app_data);
  }
}

void ts_epoll_adopt_all(int fd, struct ts_conn *conn) {
  for (int word = 0; word < NOTED_FDS / 64; word++) {
    uint64_t bits = atomic_load(&noted[word]);
    while (bits != 0) {
      int bit = __builtin_ctzll(bits);
      bits &= bits - 1;
      adopt_from(word * 64 + bit, fd, conn);
    }
  }
  for (int i = 0; i < HIGH_SETS; i++) {
    int epfd = atomic_load(&high[i]) - 1;
    if (epfd >= 0) {
      adopt_from(epfd, fd, conn);
    }
  }
}
