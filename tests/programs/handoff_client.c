// handoff_client HOST PORT LINES WAITERS main|pool|pool-del [SENT] — hands one
// connection between threads with EPOLLONESHOT, as thread-pool servers do.
// It sends "go", waits for the file SENT to exist if given (the server has
// sent every line), and reads one byte of the reply ("line <i>" LINES times, as
// tests/integration/tls_reply.py sends them), so that unread bytes remain;
// WAITERS threads wait in epoll_wait on one set. Once every waiter is
// blocked in the kernel, the main thread arms the connection with
// EPOLL_CTL_ADD for EPOLLIN|EPOLLONESHOT. Then, LINES times, the one waiter
// that gets the event hands it on:
//   main: to the main thread, which reads one line and, once every waiter
//         is blocked again, re-arms with EPOLL_CTL_MOD;
//   pool: to nobody: it reads one line itself, re-arms with EPOLL_CTL_MOD
//         and waits again, with the other waiters;
//   pool-del: as pool, but re-arms with EPOLL_CTL_DEL and EPOLL_CTL_ADD.
// Each arm carries its own number as its data, so that a report of an
// earlier arm, one delivered already, shows.
// Every arm is made while unread bytes remain. Over TCP the kernel sees
// them and each arm wakes exactly one waiter. Under tlsshim they may sit
// decrypted in the TLS layer, which a waiter blocked in the kernel cannot
// see, and which every waiter may find at once. Exits 0 when every arm was
// delivered within 5 s, once, and no two threads held the connection at
// once. It knows nothing of TLS; the integration tests run it under tlsshim.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "connect_util.h"

#define MAX_WAITERS 8
#define WAKE_MS 5000
#define ARM_TAG 0x1000000  // + the arm's number
#define STOP_TAG UINT64_MAX

static int ep;
static int conn_fd;
static int lines;
static int pool;     // waiters read and re-arm themselves
static int use_del;  // and re-arm with EPOLL_CTL_DEL, EPOLL_CTL_ADD
static int notify_pipe[2];
static atomic_int deliveries;
static atomic_int next_line;
static atomic_int holding;  // a thread is reading the connection
static atomic_int errors;
static _Atomic pid_t tids[MAX_WAITERS];

static void complain(const char *what, int arm) {
  fprintf(stderr, "arm %d: %s\n", arm, what);
  atomic_fetch_add(&errors, 1);
}

// read_line reads up to and including '\n' from the non-blocking |fd|.
static int read_line(int fd, char *line, size_t size) {
  size_t len = 0;
  while (len + 1 < size) {
    ssize_t n = read(fd, line + len, 1);
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      if (poll(&p, 1, WAKE_MS) != 1) {
        return -1;
      }
      continue;
    }
    if (n <= 0) {
      return -1;
    }
    if (line[len++] == '\n') {
      break;
    }
  }
  line[len] = '\0';
  return 0;
}

// take_line reads the next line, which must be "line <arm>" (less the byte
// read first, for arm 0), as the only thread holding the connection.
static void take_line(void) {
  int arm = atomic_load(&next_line);
  if (atomic_exchange(&holding, 1)) {
    complain("two threads hold the connection at once", arm);
    return;
  }
  char line[64];
  char want[64];
  snprintf(want, sizeof(want), "line %d\n", arm);
  if (read_line(conn_fd, line, sizeof(line)) < 0 ||
      strcmp(line, arm == 0 ? want + 1 : want) != 0) {
    complain("did not read its line", arm);
  }
  atomic_store(&next_line, arm + 1);
  atomic_store(&holding, 0);
}

// arm arms the connection for the next line with |op|; with use_del, a
// re-arm is EPOLL_CTL_DEL and EPOLL_CTL_ADD.
static int arm(int op) {
  int next = atomic_load(&next_line);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT,
                           .data.u64 = ARM_TAG + (uint64_t)next};
  if (op == EPOLL_CTL_MOD && use_del) {
    if (epoll_ctl(ep, EPOLL_CTL_DEL, conn_fd, &ev) < 0) {
      complain("EPOLL_CTL_DEL failed", next);
      return -1;
    }
    op = EPOLL_CTL_ADD;
  }
  if (epoll_ctl(ep, op, conn_fd, &ev) < 0) {
    complain(
        op == EPOLL_CTL_ADD ? "EPOLL_CTL_ADD failed" : "EPOLL_CTL_MOD failed",
        next);
    return -1;
  }
  return 0;
}

static void *waiter(void *arg) {
  int index = (int)(intptr_t)arg;
  atomic_store(&tids[index], (pid_t)syscall(SYS_gettid));
  for (;;) {
    struct epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, -1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      complain("epoll_wait failed", atomic_load(&next_line));
      return NULL;
    }
    int stop = 0;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u64 == STOP_TAG) {
        stop = 1;
      } else if (evs[i].data.u64 >= ARM_TAG &&
                 evs[i].data.u64 < ARM_TAG + (uint64_t)lines &&
                 evs[i].events == EPOLLIN) {
        atomic_fetch_add(&deliveries, 1);
        int arm_seen = (int)(evs[i].data.u64 - ARM_TAG);
        if (arm_seen != atomic_load(&next_line)) {
          complain("reported again, after it was handled", arm_seen);
          continue;
        }
        if (pool) {
          take_line();
          if (atomic_load(&next_line) < lines) {
            (void)arm(EPOLL_CTL_MOD);
          }
        }
        if (write(notify_pipe[1], "x", 1) != 1) {
          complain("cannot notify", atomic_load(&next_line));
        }
      } else {
        fprintf(stderr, "unexpected event %#x for %#llx\n", evs[i].events,
                (unsigned long long)evs[i].data.u64);
        atomic_fetch_add(&errors, 1);
      }
    }
    if (stop) {
      return NULL;
    }
  }
}

// in_epoll_wait tells whether thread |tid| is blocked in an epoll wait.
static int in_epoll_wait(pid_t tid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
  FILE *f = fopen(path, "re");
  if (f == NULL) {
    return 0;
  }
  long nr = -1;
  int got = fscanf(f, "%ld", &nr);  // "running" when not in a system call
  fclose(f);
  return got == 1 && (nr == SYS_epoll_wait || nr == SYS_epoll_pwait ||
                      nr == SYS_epoll_pwait2);
}

// all_blocked waits until every waiter is blocked in the kernel; 0 if not
// within WAKE_MS.
static int all_blocked(int waiters) {
  for (int tries = 0; tries < WAKE_MS; tries++) {
    int blocked = 0;
    for (int i = 0; i < waiters; i++) {
      pid_t tid = atomic_load(&tids[i]);
      blocked += tid != 0 && in_epoll_wait(tid);
    }
    if (blocked == waiters) {
      return 1;
    }
    struct timespec ms = {.tv_nsec = 1000000};
    nanosleep(&ms, NULL);  // polling a condition, not waiting out a race
  }
  return 0;
}

// hand_on arms the connection LINES times over and waits for each delivery;
// returns 0 when each came within WAKE_MS.
static int hand_on(int waiters) {
  for (int i = 0; i < lines; i++) {
    if ((i == 0 || !pool) && !all_blocked(waiters)) {
      complain("waiters not all blocked in epoll_wait", i);
      return -1;
    }
    if ((i == 0 || !pool) && arm(i == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD) < 0) {
      return -1;
    }
    struct pollfd p = {.fd = notify_pipe[0], .events = POLLIN};
    char note;
    if (poll(&p, 1, WAKE_MS) != 1 || read(notify_pipe[0], &note, 1) != 1) {
      complain(i == 0 ? "no waiter woke after EPOLL_CTL_ADD"
                      : "no waiter woke after EPOLL_CTL_MOD",
               i);
      return -1;
    }
    if (!pool) {
      take_line();
    }
  }
  return 0;
}

// wait_for waits up to WAKE_MS for |path| to exist; 0 if it does not.
static int wait_for(const char *path) {
  struct stat st;
  for (int tries = 0; tries < WAKE_MS / 10; tries++) {
    if (stat(path, &st) == 0) {
      return 1;
    }
    struct timespec ten_ms = {.tv_nsec = 10000000};
    nanosleep(&ten_ms, NULL);  // polling a condition, not waiting out a race
  }
  return 0;
}

int main(int argc, char **argv) {
  if ((argc != 6 && argc != 7) ||
      (strcmp(argv[5], "main") != 0 && strcmp(argv[5], "pool") != 0 &&
       strcmp(argv[5], "pool-del") != 0)) {
    fprintf(stderr,
            "usage: handoff_client HOST PORT LINES WAITERS main|pool|pool-del "
            "[SENT]\n");
    return 2;
  }
  lines = atoi(argv[3]);
  int waiters = atoi(argv[4]);
  pool = strncmp(argv[5], "pool", 4) == 0;
  use_del = strcmp(argv[5], "pool-del") == 0;
  if (lines < 1 || waiters < 1 || waiters > MAX_WAITERS) {
    fprintf(stderr, "handoff_client: bad LINES or WAITERS\n");
    return 2;
  }
  conn_fd = connect_to(argv[1], argv[2]);
  char first;
  if (conn_fd < 0 || write(conn_fd, "go\n", 3) != 3 ||
      (argc == 7 && !wait_for(argv[6])) || read(conn_fd, &first, 1) != 1 ||
      first != 'l') {
    fprintf(stderr, "handoff_client: no reply from %s:%s\n", argv[1], argv[2]);
    return 1;
  }
  int stop_pipe[2];
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0 || fcntl(conn_fd, F_SETFL, O_NONBLOCK) < 0 ||
      pipe2(notify_pipe, O_CLOEXEC) < 0 || pipe2(stop_pipe, O_CLOEXEC) < 0) {
    perror("handoff_client: set-up");
    return 1;
  }
  struct epoll_event stop_ev = {.events = EPOLLIN, .data.u64 = STOP_TAG};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, stop_pipe[0], &stop_ev) < 0) {
    perror("handoff_client: epoll_ctl");
    return 1;
  }
  pthread_t threads[MAX_WAITERS];
  for (int i = 0; i < waiters; i++) {
    if (pthread_create(&threads[i], NULL, waiter, (void *)(intptr_t)i) != 0) {
      fprintf(stderr, "handoff_client: cannot start a waiter\n");
      return 1;
    }
  }
  int status = hand_on(waiters) < 0 ? 1 : 0;
  if (write(stop_pipe[1], "s", 1) != 1) {
    return 1;
  }
  for (int i = 0; i < waiters; i++) {
    pthread_join(threads[i], NULL);
  }
  int delivered = atomic_load(&deliveries);
  if (status == 0 && (delivered != lines || atomic_load(&errors) != 0)) {
    fprintf(stderr, "%d arms, %d deliveries, %d errors\n", lines, delivered,
            atomic_load(&errors));
    status = 1;
  }
  if (status == 0) {
    printf("handoff_client: %s: %d arms, %d waiters, %d deliveries\n", argv[5],
           lines, waiters, delivered);
  }
  close(conn_fd);
  return status;
}
