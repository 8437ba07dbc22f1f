// dprintf_client HOST PORT — a plaintext client that writes formatted lines
// to its socket with dprintf and vdprintf, both as glibc's fortified
// __dprintf_chk and __vdprintf_chk (this file is built with
// _FORTIFY_SOURCE) and by their plain names, then with printf after putting
// the socket on standard output (dup2), and reads each echo. Exits 0
// when every echo came back whole; 1 otherwise. It knows nothing of TLS;
// the integration tests run it under tlsshim against a TLS echo server.
#undef _FORTIFY_SOURCE
#define _FORTIFY_SOURCE 2
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect_util.h"
#include "echo_util.h"

static int fortified_vdprintf(int fd, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int r = vdprintf(fd, format, ap);
  va_end(ap);
  return r;
}

static int plain_vdprintf(int (*fn)(int, const char *, va_list), int fd,
                          const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int r = fn(fd, format, ap);
  va_end(ap);
  return r;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: dprintf_client HOST PORT\n");
    return 2;
  }
  int fd = connect_to(argv[1], argv[2]);
  if (fd < 0) {
    perror("connect");
    return 1;
  }
  // Through pointers, the plain names; called directly, the fortified ones.
  int (*volatile plain_dprintf)(int, const char *, ...) = dprintf;
  int (*volatile plain_v)(int, const char *, va_list) = vdprintf;
  const char *want[4] = {"dprintf-chk 1\n", "dprintf-vchk 2\n",
                         "dprintf-plain 3\n", "dprintf-vplain 4\n"};
  int wrote[4];
  wrote[0] = dprintf(fd, "dprintf-%s %d\n", "chk", 1);
  int ok = read_echo(fd, want[0]);
  wrote[1] = fortified_vdprintf(fd, "dprintf-%s %d\n", "vchk", 2);
  ok = ok && read_echo(fd, want[1]);
  wrote[2] = plain_dprintf(fd, "dprintf-%s %d\n", "plain", 3);
  ok = ok && read_echo(fd, want[2]);
  wrote[3] = plain_vdprintf(plain_v, fd, "dprintf-%s %d\n", "vplain", 4);
  ok = ok && read_echo(fd, want[3]);
  for (int i = 0; i < 4; i++) {
    if (wrote[i] != (int)strlen(want[i])) {
      fprintf(stderr, "call %d returned %d for %zu bytes\n", i, wrote[i],
              strlen(want[i]));
      ok = 0;
    }
  }
  // The socket as standard output, written with printf: glibc's stdout
  // must follow it.
  if (ok && dup2(fd, 1) == 1) {
    printf("dprintf-%s %d\n", "stdout", 5);
    fflush(stdout);
    ok = read_echo(fd, "dprintf-stdout 5\n");
  } else {
    ok = 0;
  }
  if (!ok) {
    fprintf(stderr, "a formatted line did not come back whole\n");
    return 1;
  }
  return 0;
}
