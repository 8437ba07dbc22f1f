// banner_server PORT — a plaintext server that speaks first, as SMTP does:
// it writes a greeting right after accept, then answers one line.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listen_util.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: banner_server PORT\n");
    return 2;
  }
  int lfd = listen_on(argv[1]);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      continue;
    }
    const char banner[] = "220 banner_server ready\r\n";
    if (write(fd, banner, sizeof(banner) - 1) < 0) {
      close(fd);
      continue;
    }
    char line[256];
    ssize_t n = read(fd, line, sizeof(line) - 1);
    if (n > 0) {
      line[n] = '\0';
      line[strcspn(line, "\r\n")] = '\0';
      char reply[320];
      int len = snprintf(reply, sizeof(reply), "250 got '%s'\r\n", line);
      if (write(fd, reply, (size_t)len) < 0) {
        perror("write");
      }
    }
    close(fd);
  }
}
