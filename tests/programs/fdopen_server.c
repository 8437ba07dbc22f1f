// fdopen_server PORT — a plaintext line server written with stdio: each
// connection is wrapped with fdopen() and served with fgets()/fprintf().
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listen_util.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fdopen_server PORT\n");
    return 2;
  }
  int lfd = listen_on(argv[1]);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      continue;
    }
    FILE *in = fdopen(fd, "r");
    FILE *out = fdopen(dup(fd), "w");
    if (in == NULL || out == NULL) {
      perror("fdopen");
      return 1;
    }
    char line[512];
    while (fgets(line, sizeof(line), in) != NULL) {
      line[strcspn(line, "\r\n")] = '\0';
      fprintf(out, "stdio says: %s (%zu bytes)\n", line, strlen(line));
      fflush(out);
    }
    fclose(out);
    fclose(in);
  }
}
