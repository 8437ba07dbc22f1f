// close.c — the end of a descriptor (close, close_range, closefrom, dup2
// over one), duplicates sharing one connection (dup, dup2, dup3), and
// shutdown.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "../epoll_watch.h"
#include "../log.h"
#include "../vfork.h"
#include "hook.h"

// How long close() waits for buffered ciphertext (about a record at most) to
// leave, as the kernel would keep sending after close() returns. An
// event-loop program (non-blocking socket) must not stall in close(), so it
// gets a much shorter bound.
#define CLOSE_FLUSH_MS 2000
#define CLOSE_FLUSH_NONBLOCK_MS 50

// forget_fd drops |fd|'s tie to its connection before the descriptor is
// closed; the last descriptor of a connection sends close_notify.
static void forget_fd(int fd) {
  ts_epoll_forget_fd(fd);
  int last = 0;
  struct ts_conn *conn = (struct ts_conn *)ts_fdtable_remove(fd, &last);
  if (conn == NULL) {
    return;
  }
  if (last) {
    ts_conn_close_last(
        conn, fd,
        ts_conn_app_nonblock(conn) ? CLOSE_FLUSH_NONBLOCK_MS : CLOSE_FLUSH_MS);
  }
  ts_conn_put(conn);
}

// ts_hook_share_fd makes |new_fd|, just made by the kernel as a duplicate of
// a descriptor of |conn| (looked up before the kernel call, so that another
// thread's close of the original in between cannot leave the duplicate
// untracked), name |conn| too; it drops the caller's reference and returns
// |new_fd|. With no |conn|, or a failed kernel call (|new_fd| < 0), it only
// passes |new_fd| on. A duplicate that cannot be tracked (descriptor 2^20 or
// above, memory short) would carry plaintext: it is closed again, and -1
// returned with EMFILE. A duplicate on 0, 1 or 2 takes its standard stream
// along.
int ts_hook_share_fd(struct ts_conn *conn, int new_fd) {
  if (conn == NULL) {
    return new_fd;
  }
  if (new_fd < 0) {
    int err = errno;  // the kernel call's
    ts_conn_put(conn);
    errno = err;
    return new_fd;
  }
  int tracked = ts_fdtable_insert(new_fd, &conn->entry);
  if (!tracked) {
    ts_log_error("%s: cannot track duplicate descriptor %d; closed",
                 conn->label, new_fd);
  }
  ts_conn_put(conn);
  if (!tracked) {
    TS_REAL(close)(new_fd);
    errno = EMFILE;
    return -1;
  }
  ts_stdio_follow(new_fd);
  return new_fd;
}

int ts_hook_close(int fd) {
  if (ts_log_owns_fd(fd)) {
    return 0;  // the log's descriptor is ours, not the program's
  }
  if (ts_vfork_child()) {
    return TS_REAL(close)(fd);  // the parent keeps its descriptor
  }
  ts_epoll_note_closed(fd);
  if (ts_fdtable_count() > 0 || ts_epoll_tracking()) {
    forget_fd(fd);
  }
  int r = TS_REAL(close)(fd);
  ts_stdio_unfollow(fd);
  return r;
}

TS_EXPORT int close(int fd) { return ts_hook_close(fd); }

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT int __close(int fd) __attribute__((alias("close"), copy(close)));

// close_range_around_log is the kernel's close_range, leaving out the log's
// descriptor, which the program does not own.
static int close_range_around_log(unsigned int first, unsigned int last,
                                  int flags) {
  int log_fd = ts_log_fd();
  if (log_fd < 0 || (unsigned int)log_fd < first ||
      (unsigned int)log_fd > last) {
    return TS_REAL(close_range)(first, last, flags);
  }
  if ((unsigned int)log_fd > first &&
      TS_REAL(close_range)(first, (unsigned int)log_fd - 1, flags) < 0) {
    return -1;
  }
  if ((unsigned int)log_fd < last) {
    return TS_REAL(close_range)((unsigned int)log_fd + 1, last, flags);
  }
  return 0;
}

static int hooked_close_range(unsigned int first, unsigned int last,
                              int flags) {
  if (TS_REAL(close_range) == NULL) {
    errno = ENOSYS;
    return -1;
  }
  if ((flags & CLOSE_RANGE_CLOEXEC) != 0 || first > last) {
    return TS_REAL(close_range)(first, last, flags);
  }
  if (ts_vfork_child()) {
    return close_range_around_log(first, last, flags);
  }
  ts_epoll_forget_range(first, last);
  ts_epoll_note_closed_range(first, last);
  for (int fd = ts_fdtable_next((int)first);
       fd >= 0 && (unsigned int)fd <= last; fd = ts_fdtable_next(fd + 1)) {
    forget_fd(fd);
  }
  int r = close_range_around_log(first, last, flags);
  for (unsigned int fd = first; fd <= last && fd <= 2; fd++) {
    ts_stdio_unfollow((int)fd);
  }
  return r;
}

TS_EXPORT int close_range(unsigned int first, unsigned int last, int flags) {
  return hooked_close_range(first, last, flags);
}

// closefrom: glibc's calls its own close_range, past the hook above, which
// would close the log's descriptor (and the program's next file would get
// the log's lines) and leave the table naming connections the kernel has
// closed. So it is that hook over [lowfd, ~0U]; where the kernel has no
// close_range (before Linux 5.9), one close() per open descriptor, found
// in /proc/self/fd, or else by number up to the soft RLIMIT_NOFILE.
TS_EXPORT void closefrom(int lowfd) {
  unsigned int first = lowfd < 0 ? 0U : (unsigned int)lowfd;
  if (hooked_close_range(first, ~0U, 0) == 0) {
    return;
  }
  DIR *dir = opendir("/proc/self/fd");
  if (dir != NULL) {
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
      char *end = NULL;
      long fd = strtol(entry->d_name, &end, 10);
      if (end != entry->d_name && *end == '\0' && fd >= (long)first &&
          fd != dirfd(dir)) {
        (void)ts_hook_close((int)fd);
      }
    }
    closedir(dir);
    return;
  }
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    lim.rlim_cur = 1024;
  }
  for (rlim_t fd = first; fd < lim.rlim_cur && fd <= INT_MAX; fd++) {
    (void)ts_hook_close((int)fd);
  }
}

// In a vfork child, duplicates are left untracked: the child's descriptor
// numbers are not the parent's, and it is about to exec (the new image
// adopts inherited connections itself, inherit.c).
TS_EXPORT int dup(int old_fd) {
  struct ts_conn *conn = ts_vfork_child() ? NULL : ts_conn_get(old_fd);
  return ts_hook_share_fd(conn, TS_REAL(dup)(old_fd));
}

// dup_over is dup2/dup3: |new_fd| is closed first, which ends its own
// connection if it was the last descriptor of one.
static int dup_over(int old_fd, int new_fd, int flags, int use_dup3) {
  if (old_fd != new_fd && ts_log_owns_fd(new_fd)) {
    errno = EBUSY;  // never let a program's dup2 replace our log
    return -1;
  }
  // What the kernel would refuse is refused first: a failed call must
  // leave |new_fd| and its connection as they were.
  if (TS_REAL(fcntl)(old_fd, F_GETFD) < 0) {
    return -1;  // EBADF
  }
  if (use_dup3 && (old_fd == new_fd || (flags & ~O_CLOEXEC) != 0)) {
    errno = EINVAL;
    return -1;
  }
  int track = old_fd != new_fd && !ts_vfork_child();
  struct ts_conn *conn = NULL;
  if (track) {
    conn = ts_conn_get(old_fd);
    struct ts_conn *replaced = new_fd <= 2 ? ts_conn_get(new_fd) : NULL;
    if (conn != NULL || replaced != NULL) {
      // A standard stream's buffer goes where it was written for, while
      // |new_fd| is still what it was (TLS or not).
      ts_stdio_flush(new_fd);
    }
    ts_conn_put(replaced);
    forget_fd(new_fd);
  }
  int fd =
      ts_hook_share_fd(conn, use_dup3 ? TS_REAL(dup3)(old_fd, new_fd, flags)
                                      : TS_REAL(dup2)(old_fd, new_fd));
  if (track) {
    ts_stdio_unfollow(new_fd);  // when |new_fd| carries no TLS now
  }
  return fd;
}

TS_EXPORT int dup2(int old_fd, int new_fd) {
  return dup_over(old_fd, new_fd, 0, 0);
}

// glibc exports this under a second name too, which some binaries import.
TS_EXPORT int __dup2(int old_fd, int new_fd)
    __attribute__((alias("dup2"), copy(dup2)));

TS_EXPORT int dup3(int old_fd, int new_fd, int flags) {
  return dup_over(old_fd, new_fd, flags, 1);
}

TS_EXPORT int shutdown(int fd, int how) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return TS_REAL(shutdown)(fd, how);
  }
  int r = ts_conn_shutdown(conn, fd, how);
  ts_conn_put(conn);
  return (int)ts_hook_ret(r);
}
