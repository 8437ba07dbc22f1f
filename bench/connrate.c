// connrate HOST PORT SECONDS THREADS — new connections per second: each
// thread connects, sends one byte, reads it back and closes, as fast as it
// can, for SECONDS. Prints the rate, the number of connections and the CPU
// this process spent per connection in microseconds (while every thread
// runs its loop, not while threads start or end); exits 1 if any
// exchange failed. connrate is a plaintext client: under tlsshim every
// connection is a TLS handshake. `connrate-bssl HOST PORT SECONDS THREADS
// CA NAME full|resumed` makes the same connections over TLS itself, with
// full or resumed handshakes; see exchange.h.
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exchange.h"

static struct addrinfo *target;
static double seconds;
static atomic_long done;
static atomic_long failed;
// The threads start their loops together and report having ended them
// before they exit: the clock and the CPU are read between the two. Creating
// and ending threads is no connection's cost, and ending them is not cheap
// here: glibc releases their stacks, and the TLB shootdown that follows
// waits for the other vCPU. In a perf profile of one run against stunnel
// (about 600 connections), that was a fifth of connrate's CPU.
static pthread_barrier_t start_line;
static pthread_barrier_t finish_line;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// The CPU, user and system, this process has used, in microseconds.
static double cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void *worker(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start_line);
  double end = now() + seconds;
  while (now() < end) {
    if (exchange(target)) {
      atomic_fetch_add(&done, 1);
    } else {
      atomic_fetch_add(&failed, 1);
    }
  }
  pthread_barrier_wait(&finish_line);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5 || !exchange_init(argc - 5, argv + 5)) {
    fprintf(stderr, "usage: %s HOST PORT SECONDS THREADS%s\n", argv[0],
            exchange_usage);
    return 2;
  }
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  if (getaddrinfo(argv[1], argv[2], &hints, &target) != 0) {
    fprintf(stderr, "connrate: cannot resolve %s\n", argv[1]);
    return 2;
  }
  seconds = atof(argv[3]);
  int threads = atoi(argv[4]);
  pthread_t tids[64];
  if (threads < 1 || threads > 64) {
    fprintf(stderr, "connrate: THREADS must be 1-64\n");
    return 2;
  }
  pthread_barrier_init(&start_line, NULL, (unsigned)threads + 1);
  pthread_barrier_init(&finish_line, NULL, (unsigned)threads + 1);
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
      fprintf(stderr, "connrate: cannot start thread %d\n", i + 1);
      return 2;  // the others wait at the start line; exit ends them
    }
  }
  double cpu = cpu_us();
  double start = now();
  pthread_barrier_wait(&start_line);
  pthread_barrier_wait(&finish_line);
  double elapsed = now() - start;
  double spent = cpu_us() - cpu;
  for (int i = 0; i < threads; i++) {
    pthread_join(tids[i], NULL);
  }
  long n = atomic_load(&done);
  printf("%.1f %ld %.1f\n", (double)n / elapsed, n,
         n > 0 ? spent / (double)n : 0.0);
  if (atomic_load(&failed) > 0) {
    fprintf(stderr, "connrate: %ld exchanges failed\n", atomic_load(&failed));
    return 1;
  }
  return exchange_check(n) ? 0 : 1;
}
