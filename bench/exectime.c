// exectime RUNS LIBRARY COMMAND [ARGS...] — the time LD_PRELOAD=LIBRARY adds
// to one run of COMMAND. Runs COMMAND 2 x RUNS times, alternately without and
// with the library, and prints the median over the pairs of (with - without)
// in microseconds. Alternating run by run, and taking the median, keeps this
// shared machine's noise out of the figure: a slow stretch slows both runs of
// a pair, and a burst moves a few pairs, not the median. With LIBRARY empty
// both runs of a pair are the same, and the figure is the measurement's own
// noise. Exits 1 if any run fails.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// run_once runs |argv| with |library| preloaded (none if empty) and returns
// its wall time in nanoseconds, or -1 if it failed.
static long long run_once(char **argv, const char *library) {
  long long start = now_ns();
  pid_t pid = fork();
  if (pid == 0) {
    if (library[0] != '\0') {
      setenv("LD_PRELOAD", library, 1);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return -1;
  }
  return now_ns() - start;
}

static int by_value(const void *a, const void *b) {
  long long x = *(const long long *)a;
  long long y = *(const long long *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int runs = argc > 3 ? atoi(argv[1]) : 0;
  if (runs <= 0) {
    fprintf(stderr, "usage: exectime RUNS LIBRARY COMMAND [ARGS...]\n");
    return 2;
  }
  unsetenv("LD_PRELOAD");  // the runs without must be without
  long long *added = malloc((size_t)runs * sizeof(*added));
  if (added == NULL) {
    perror("exectime");
    return 1;
  }
  for (int i = 0; i < runs; i++) {
    long long without = run_once(argv + 3, "");
    long long with = run_once(argv + 3, argv[2]);
    if (without < 0 || with < 0) {
      fprintf(stderr, "exectime: %s failed\n", argv[3]);
      return 1;
    }
    added[i] = with - without;
  }
  qsort(added, (size_t)runs, sizeof(*added), by_value);
  printf("%.1f\n", (double)added[runs / 2] / 1000.0);
  free(added);
  return 0;
}
