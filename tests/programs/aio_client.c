// aio_client HOST PORT — a plaintext client that tries POSIX asynchronous
// I/O on its socket: aio_write and lio_listio of "aio-refused\n" must fail
// with ENOSYS (glibc would carry them out with writes no hook sees), after
// which it falls back to write() with "aio-fallback\n" and reads the echo,
// which must be only that line. Exits 0 when so; 1 otherwise. It knows
// nothing of TLS; the integration tests run it under tlsshim.
#include <aio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect_util.h"
#include "echo_util.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: aio_client HOST PORT\n");
    return 2;
  }
  int fd = connect_to(argv[1], argv[2]);
  if (fd < 0) {
    perror("connect");
    return 1;
  }
  char refused[] = "aio-refused\n";
  struct aiocb cb;
  memset(&cb, 0, sizeof(cb));
  cb.aio_fildes = fd;
  cb.aio_buf = refused;
  cb.aio_nbytes = strlen(refused);
  cb.aio_lio_opcode = LIO_WRITE;
  if (aio_write(&cb) != -1 || errno != ENOSYS) {
    fprintf(stderr, "aio_write on the socket was not refused with ENOSYS\n");
    return 1;
  }
  struct aiocb *list[1] = {&cb};
  if (lio_listio(LIO_WAIT, list, 1, NULL) != -1 || errno != ENOSYS) {
    fprintf(stderr, "lio_listio on the socket was not refused with ENOSYS\n");
    return 1;
  }
  const char *line = "aio-fallback\n";
  size_t len = strlen(line);
  if (write(fd, line, len) != (ssize_t)len) {
    perror("write");
    return 1;
  }
  if (!read_echo(fd, line)) {
    fprintf(stderr, "the echo is not just the fallback line\n");
    return 1;
  }
  return 0;
}
