// connrate HOST PORT SECONDS THREADS — new connections per second: each
// thread connects, sends one byte, reads it back and closes, as fast as it
// can, for SECONDS. Prints the rate; exits 1 if any exchange failed. It is a
// plaintext client: under tlsshim every connection is a TLS handshake.
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct addrinfo *target;
static double seconds;
static atomic_long done;
static atomic_long failed;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exchange(void) {
  int fd = socket(target->ai_family, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  char byte = 'x';
  int ok = connect(fd, target->ai_addr, target->ai_addrlen) == 0 &&
           write(fd, &byte, 1) == 1 && read(fd, &byte, 1) == 1 && byte == 'x';
  close(fd);
  return ok;
}

static void *worker(void *arg) {
  (void)arg;
  double end = now() + seconds;
  while (now() < end) {
    if (exchange()) {
      atomic_fetch_add(&done, 1);
    } else {
      atomic_fetch_add(&failed, 1);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: connrate HOST PORT SECONDS THREADS\n");
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
  double start = now();
  for (int i = 0; i < threads; i++) {
    pthread_create(&tids[i], NULL, worker, NULL);
  }
  for (int i = 0; i < threads; i++) {
    pthread_join(tids[i], NULL);
  }
  double elapsed = now() - start;
  printf("%.1f\n", (double)atomic_load(&done) / elapsed);
  if (atomic_load(&failed) > 0) {
    fprintf(stderr, "connrate: %ld exchanges failed\n", atomic_load(&failed));
    return 1;
  }
  return 0;
}
