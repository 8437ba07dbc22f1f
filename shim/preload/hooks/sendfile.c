// sendfile.c — sendfile and splice on a TLS socket. The kernel would copy
// the bytes to the socket unencrypted, so they fall back to read + encrypt.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "hook.h"

// One chunk of a fallback copy; a TLS record holds at most 16 KiB, so a few
// records per round keep the copy cheap without a large buffer.
#define CHUNK (64 * 1024)

// read_source reads up to |len| bytes of |in_fd| at |*offset| (advancing it)
// or, without an offset, at the file position.
static ssize_t read_source(int in_fd, off_t *offset, void *buf, size_t len) {
  if (offset == NULL) {
    ssize_t n = TS_REAL(read)(in_fd, buf, len);
    return n < 0 ? -errno : n;
  }
  ssize_t n = pread(in_fd, buf, len, *offset);
  if (n < 0) {
    return -errno;
  }
  *offset += n;
  return n;
}

// copy_to_tls moves up to |count| bytes from |in_fd| to the TLS connection,
// as sendfile would: a short count when the socket would block (for a
// non-blocking program) or on end of file. Returns the count or -errno.
static ssize_t copy_to_tls(struct ts_conn *conn, int out_fd, int in_fd,
                           off_t *offset, size_t count) {
  size_t len = count < CHUNK ? count : CHUNK;
  char *buf = malloc(len == 0 ? 1 : len);
  if (buf == NULL) {
    return -ENOMEM;
  }
  size_t done = 0;
  ssize_t r = 0;
  while (done < count) {
    size_t want = count - done < len ? count - done : len;
    off_t start = offset != NULL ? *offset : 0;
    r = read_source(in_fd, offset, buf, want);
    if (r <= 0) {
      break;
    }
    ssize_t sent = ts_conn_send(conn, out_fd, buf, (size_t)r, MSG_NOSIGNAL);
    ssize_t taken = sent < 0 ? 0 : sent;
    if (taken < r) {
      // Give back what was read but not sent, so nothing is skipped.
      if (offset != NULL) {
        *offset = start + taken;
      } else {
        (void)lseek(in_fd, (off_t)(taken - r), SEEK_CUR);
      }
    }
    if (sent < 0) {
      r = sent;
      break;
    }
    done += (size_t)sent;
    if (sent < r) {
      break;
    }
  }
  free(buf);
  return done > 0 ? (ssize_t)done : r;
}

static ssize_t hook_sendfile(ssize_t (*real)(int, int, off_t *, size_t),
                             int out_fd, int in_fd, off_t *offset,
                             size_t count) {
  struct ts_conn *conn = ts_conn_get(out_fd);
  if (conn == NULL) {
    return real(out_fd, in_fd, offset, count);
  }
  ssize_t r = copy_to_tls(conn, out_fd, in_fd, offset, count);
  ts_conn_put(conn);
  return ts_hook_send_ret(r, 0);
}

TS_EXPORT ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count) {
  return hook_sendfile(TS_REAL(sendfile), out_fd, in_fd, offset, count);
}

TS_EXPORT ssize_t sendfile64(int out_fd, int in_fd, off_t *offset,
                             size_t count) {
  return hook_sendfile(TS_REAL(sendfile64), out_fd, in_fd, offset, count);
}

// splice_from_tls reads plaintext from the connection and writes it to
// |out_fd| (a pipe): one read's worth, as splice moves what is available.
static ssize_t splice_from_tls(struct ts_conn *conn, int in_fd, int out_fd,
                               size_t len, unsigned int flags) {
  size_t want = len < CHUNK ? len : CHUNK;
  char *buf = malloc(want == 0 ? 1 : want);
  if (buf == NULL) {
    return -ENOMEM;
  }
  int recv_flags = (flags & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0;
  ssize_t r = ts_conn_recv(conn, in_fd, buf, want, recv_flags);
  size_t written = 0;
  while (r > 0 && written < (size_t)r) {
    ssize_t w = TS_REAL(write)(out_fd, buf + written, (size_t)r - written);
    if (w < 0) {
      // Plaintext already taken from TLS cannot be handed back.
      r = written > 0 ? (ssize_t)written : -errno;
      break;
    }
    written += (size_t)w;
  }
  free(buf);
  return r;
}

TS_EXPORT ssize_t splice(int in_fd, loff_t *in_off, int out_fd, loff_t *out_off,
                         size_t len, unsigned int flags) {
  struct ts_conn *out_conn = ts_conn_get(out_fd);
  struct ts_conn *in_conn = out_conn == NULL ? ts_conn_get(in_fd) : NULL;
  if (out_conn == NULL && in_conn == NULL) {
    return TS_REAL(splice)(in_fd, in_off, out_fd, out_off, len, flags);
  }
  ssize_t r;
  if (out_conn != NULL) {
    r = copy_to_tls(out_conn, out_fd, in_fd, (off_t *)in_off, len);
    ts_conn_put(out_conn);
    return ts_hook_send_ret(r, 0);
  }
  r = out_off != NULL ? -ESPIPE
                      : splice_from_tls(in_conn, in_fd, out_fd, len, flags);
  ts_conn_put(in_conn);
  return ts_hook_ret(r);
}
