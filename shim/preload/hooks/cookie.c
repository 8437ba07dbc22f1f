// cookie.c — FILE streams on a TLS connection (cookie.h). Each names its
// descriptor by number, as glibc's streams do: once the number no longer
// carries a connection (closed, or another file put on it), its I/O is the
// kernel's. Open streams are kept in a list, so that exit can flush them
// while their sessions still run.
#include "cookie.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "hook.h"

struct cookie {
  atomic_int fd;  // -1 once the stream must no longer reach its connection
  FILE *file;
  void (*on_close)(FILE *file);
  struct cookie *prev, *next;
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cookie *list_head;

static ssize_t cookie_read(void *opaque, char *buf, size_t len) {
  int fd = atomic_load(&((struct cookie *)opaque)->fd);
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(read)(fd, buf, len);
  }
  ssize_t r = ts_conn_recv(conn, fd, buf, len, 0);
  ts_conn_put(conn);
  return ts_hook_ret(r);
}

static ssize_t cookie_write(void *opaque, const char *buf, size_t len) {
  int fd = atomic_load(&((struct cookie *)opaque)->fd);
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(write)(fd, buf, len);
  }
  ssize_t r = ts_conn_send(conn, fd, buf, len, 0);
  ts_conn_put(conn);
  // stdio treats 0 as an error; a write that moved nothing reports one.
  return ts_hook_send_ret(r, 0);
}

// cookie_seek fails as lseek() on a socket does: ftell() and fseek() on the
// stream report ESPIPE, as on the stream glibc would have made.
static int cookie_seek(void *opaque, off64_t *offset, int whence) {
  (void)opaque;
  (void)offset;
  (void)whence;
  errno = ESPIPE;
  return -1;
}

static int cookie_close(void *opaque) {
  struct cookie *cookie = opaque;
  pthread_mutex_lock(&list_lock);
  if (cookie->prev != NULL) {
    cookie->prev->next = cookie->next;
  } else {
    list_head = cookie->next;
  }
  if (cookie->next != NULL) {
    cookie->next->prev = cookie->prev;
  }
  pthread_mutex_unlock(&list_lock);
  if (cookie->on_close != NULL) {
    cookie->on_close(cookie->file);
  }
  int fd = atomic_load(&cookie->fd);
  int r = fd >= 0 ? ts_hook_close(fd) : 0;
  free(cookie);
  return r;
}

FILE *ts_cookie_file(int fd, const char *mode, void (*on_close)(FILE *file)) {
  struct cookie *cookie = calloc(1, sizeof(*cookie));
  if (cookie == NULL) {
    return NULL;
  }
  cookie_io_functions_t io = {
      .read = cookie_read,
      .write = cookie_write,
      .seek = cookie_seek,
      .close = cookie_close,
  };
  FILE *file = fopencookie(cookie, mode, io);
  if (file == NULL) {
    free(cookie);
    return NULL;
  }
  // fileno() on the FILE must still name the socket, for programs that
  // poll it; the cookie functions, not the descriptor, carry the I/O.
  file->_fileno = fd;
  atomic_store(&cookie->fd, fd);
  cookie->file = file;
  cookie->on_close = on_close;
  pthread_mutex_lock(&list_lock);
  cookie->next = list_head;
  if (list_head != NULL) {
    list_head->prev = cookie;
  }
  list_head = cookie;
  pthread_mutex_unlock(&list_lock);
  return file;
}

int ts_cookie_fd(FILE *file) {
  int fd = -1;
  pthread_mutex_lock(&list_lock);
  for (struct cookie *c = list_head; c != NULL; c = c->next) {
    if (c->file == file) {
      fd = atomic_load(&c->fd);
      break;
    }
  }
  pthread_mutex_unlock(&list_lock);
  return fd;
}

void ts_cookie_flush_all(void) {
  pthread_mutex_lock(&list_lock);
  for (struct cookie *c = list_head; c != NULL; c = c->next) {
    // A stream left unflushed here must not reach its connection later,
    // when glibc flushes it after the session has ended; it fails instead.
    // So does one another thread holds (it may be blocked for good,
    // reading): it is never waited for.
    if (ftrylockfile(c->file) != 0) {
      atomic_store(&c->fd, -1);
      continue;
    }
    fflush_unlocked(c->file);
    funlockfile(c->file);
  }
  pthread_mutex_unlock(&list_lock);
}

// What a stream on a connection held unwritten when the process forked is
// its parent's to send: the child sending its copy, through its copy of the
// parent's session (the sequence numbers are the parent's), would break the
// session. So the child's copy is dropped; what the child writes itself
// goes out. The child runs alone here.
void ts_cookie_after_fork_child(void) {
  pthread_mutex_init(&list_lock, NULL);
  for (struct cookie *c = list_head; c != NULL; c = c->next) {
    struct ts_conn *conn = ts_conn_get(atomic_load(&c->fd));
    if (conn != NULL) {
      c->file->_IO_write_ptr = c->file->_IO_write_base;
    }
    ts_conn_put(conn);
  }
}
