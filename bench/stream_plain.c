// stream_plain.c — bench/stream's plaintext connection (see stream.h).
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"

const char stream_recv_usage[] = "";
const char stream_send_usage[] = "";

struct stream {
  int fd;
};

int stream_init(int sender, int argc, char **argv) {
  (void)sender;
  (void)argv;
  return argc == 0;
}

struct stream *stream_open(int fd, int sender) {
  (void)sender;
  struct stream *s = malloc(sizeof(*s));
  if (s != NULL) {
    s->fd = fd;
  }
  return s;
}

ssize_t stream_send(struct stream *s, const void *buf, size_t len) {
  return send(s->fd, buf, len, MSG_NOSIGNAL);
}

ssize_t stream_recv(struct stream *s, void *buf, size_t len) {
  return read(s->fd, buf, len);
}

int stream_finish(struct stream *s, const void *buf, size_t len) {
  return send(s->fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len &&
         shutdown(s->fd, SHUT_WR) == 0;
}

void stream_free(struct stream *s) {
  close(s->fd);
  free(s);
}
