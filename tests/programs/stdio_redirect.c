// stdio_redirect — an inetd-style service that talks through stdio and then
// moves its standard output away: it reads a line from stdin, answers
// "reply: LINE" with printf but does not flush, then puts /dev/null on
// descriptor 1 with dup2, and exits. The answer was written while stdout
// was the connection, so it must reach the client. Exits 0, or 1 when stdin
// gave nothing.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char line[256];
  if (fgets(line, sizeof(line), stdin) == NULL) {
    return 1;
  }
  printf("reply: %s", line);
  int null_fd = open("/dev/null", O_WRONLY);
  if (null_fd < 0 || dup2(null_fd, 1) != 1) {
    return 1;
  }
  return 0;
}
