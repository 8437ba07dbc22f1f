// std_streams.c — stdin, stdout and stderr on a TLS connection. glibc's
// three streams write and read their descriptor with the kernel's calls, so
// while descriptor 0, 1 or 2 carries a connection the program's `stdin`,
// `stdout` or `stderr` is a cookie stream (cookie.h) instead, and glibc's
// own names no descriptor.
#include <signal.h>
#include <stdio.h>

#include "../log.h"
#include "cookie.h"
#include "hook.h"

// The cookie streams put in place, by descriptor. A slot is emptied when the
// program closes its stream; a stream tlsshim put in place stays open (the
// program may hold pointers to it) and is used again when TLS comes back.
// Only these and glibc's own three (never freed) are ever flushed, replaced
// or put back here: a stream the program closed, or put there itself, is
// left alone.
static FILE *installed[3];
// Which of glibc's own three tlsshim took the descriptor from.
static int blanked[3];
static pthread_mutex_t std_lock = PTHREAD_MUTEX_INITIALIZER;
extern FILE _IO_2_1_stdin_, _IO_2_1_stdout_, _IO_2_1_stderr_;

// std_lock is taken with every signal blocked: close() and dup2() are
// async-signal-safe, and a handler calling them must not wait for a lock
// its own thread holds.
static void lock_std(sigset_t *saved) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, saved);
  pthread_mutex_lock(&std_lock);
}

static void unlock_std(const sigset_t *saved) {
  pthread_mutex_unlock(&std_lock);
  pthread_sigmask(SIG_SETMASK, saved, NULL);
}

static FILE *glibc_stream(int fd) {
  return fd == 0   ? &_IO_2_1_stdin_
         : fd == 1 ? &_IO_2_1_stdout_
                   : &_IO_2_1_stderr_;
}

static FILE **standard_stream(int fd) {
  FILE **stream = fd == 0   ? &stdin
                  : fd == 1 ? &stdout
                  : fd == 2 ? &stderr
                            : NULL;
  if (stream == NULL || *stream == NULL) {
    return NULL;
  }
  return *stream == glibc_stream(fd) || *stream == installed[fd] ? stream
                                                                 : NULL;
}

// glibc's recursive stream lock (libio's _IO_lock_t): |cnt| counts how many
// times its owner has taken it.
struct glibc_stream_lock {
  int lock;
  int cnt;
  void *owner;
};

// lock_idle takes |file|'s lock when no thread holds it, this one included,
// and returns 1; else 0. A stream is swapped only so: another thread may be
// inside it, and a program that called flockfile(stdout) will call
// funlockfile(stdout), which must find the same stream.
static int lock_idle(FILE *file) {
  if (ftrylockfile(file) != 0) {
    return 0;
  }
  const struct glibc_stream_lock *lock = file->_lock;
  if (lock != NULL && lock->cnt > 1) {
    funlockfile(file);
    return 0;
  }
  return 1;
}

// forget_installed is told that the program is closing |file| (fclose):
// glibc's own stream, which survives fclose(), stands in again, so that
// `stdout` never points at freed memory. It names no descriptor until the
// connection's descriptor is closed (which fclose does next).
static void forget_installed(FILE *file) {
  sigset_t saved;
  lock_std(&saved);
  for (int fd = 0; fd < 3; fd++) {
    if (installed[fd] == file) {
      installed[fd] = NULL;
      FILE **stream = fd == 0 ? &stdin : fd == 1 ? &stdout : &stderr;
      if (*stream == file) {
        *stream = glibc_stream(fd);
      }
    }
  }
  unlock_std(&saved);
}

void ts_stdio_flush(int fd) {
  FILE **stream = standard_stream(fd);
  // Never wait for a stream another thread holds: its buffer then goes
  // wherever the descriptor leads when that thread flushes.
  if (stream != NULL && fd != 0 && ftrylockfile(*stream) == 0) {
    fflush_unlocked(*stream);
    funlockfile(*stream);
  }
}

// While |fd| carries TLS, glibc's own stream for it names no descriptor, so
// that a pointer to it the program kept (C++'s std::cout keeps one) fails
// with EBADF instead of reaching the socket in plaintext. What it had
// buffered was flushed before a dup2 changed the descriptor
// (ts_stdio_flush); anything left (written while |fd| was closed, or while
// another thread held the stream) fails at its next flush.
void ts_stdio_follow(int fd) {
  if (fd < 0 || fd > 2) {
    return;
  }
  sigset_t saved;
  lock_std(&saved);
  FILE *own = glibc_stream(fd);
  FILE **stream = standard_stream(fd);
  int ours = own->_fileno == fd || blanked[fd];
  int swap = ours && stream != NULL && *stream == own && lock_idle(own);
  if (own->_fileno == fd) {
    own->_fileno = -1;
    blanked[fd] = 1;
  }
  if (swap) {
    FILE *file = installed[fd];
    if (file == NULL) {
      file = ts_cookie_file(fd, fd == 0 ? "r" : "w", forget_installed);
      if (file != NULL && fd == 2) {
        setvbuf(file, NULL, _IONBF, 0);  // stderr is unbuffered
      }
    }
    if (file != NULL) {
      installed[fd] = file;
      *stream = file;
    }
    funlockfile(own);
  } else if (ours && stream != NULL && *stream == own) {
    ts_log_warn(
        "descriptor %d is a TLS connection while its standard stream is "
        "locked; stdio on it fails with EBADF",
        fd);
  }
  unlock_std(&saved);
}

void ts_stdio_unfollow(int fd) {
  // Nothing to give back (a program that never had TLS on 0-2 stops here):
  // read without the lock, as only this module's calls change it.
  if (fd < 0 || fd > 2 || (!blanked[fd] && installed[fd] == NULL)) {
    return;
  }
  int saved_errno = errno;  // called after close(), whose errno stands
  sigset_t saved;
  lock_std(&saved);
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    FILE *own = glibc_stream(fd);
    if (blanked[fd] && own->_fileno == -1) {
      own->_fileno = fd;  // kept pointers work again
    }
    blanked[fd] = 0;
    // The installed stream goes to the kernel now; glibc's own is put back
    // when the installed one is not in use (it stays, and works, if it is).
    FILE **stream = standard_stream(fd);
    if (stream != NULL && *stream == installed[fd] && own->_fileno == fd &&
        lock_idle(*stream)) {
      FILE *file = *stream;
      *stream = own;
      funlockfile(file);
    }
  }
  ts_conn_put(conn);
  unlock_std(&saved);
  errno = saved_errno;
}

void ts_stdio_after_fork_child(void) { pthread_mutex_init(&std_lock, NULL); }

// freopen on a stream tlsshim put in place: glibc's would treat the cookie
// stream as a file stream and crash. The connection on its descriptor ends
// as with close(), glibc's own stream is put back, and glibc reopens that.
static FILE *hook_freopen(FILE *(*real)(const char *, const char *, FILE *),
                          const char *path, const char *mode, FILE *file) {
  int fd = ts_cookie_fd(file);
  if (fd < 0) {
    return real(path, mode, file);
  }
  if (fd > 2 || file != installed[fd] || path == NULL) {
    // An fdopen()ed socket names no file to reopen; nor does a socket
    // reopened in another mode.
    errno = EINVAL;
    return NULL;
  }
  fflush(file);
  ts_hook_close(fd);  // puts glibc's own stream back, when it can
  FILE *own = glibc_stream(fd);
  FILE **stream = standard_stream(fd);
  if (stream == NULL || *stream != own) {
    errno = EBUSY;  // the installed stream is in use
    return NULL;
  }
  return real(path, mode, own);
}

TS_EXPORT FILE *freopen(const char *path, const char *mode, FILE *file) {
  return hook_freopen(TS_REAL(freopen), path, mode, file);
}

TS_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *file) {
  return hook_freopen(TS_REAL(freopen64), path, mode, file);
}
