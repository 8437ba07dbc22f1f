// log.h — the preload's log: one line per event, formatted on the stack and
// written with the real write(), so logging never re-enters a hook or stdio.
#ifndef TLSSHIM_LOG_H
#define TLSSHIM_LOG_H

#include "../../config/config.h"

// ts_log writes "tlsshim[PID]: LEVEL: message\n" when |level| is at or below
// the configured level. It preserves errno.
void ts_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define ts_log_error(...) ts_log(TS_LOG_ERROR, __VA_ARGS__)
#define ts_log_warn(...) ts_log(TS_LOG_WARN, __VA_ARGS__)
#define ts_log_info(...) ts_log(TS_LOG_INFO, __VA_ARGS__)
#define ts_log_debug(...) ts_log(TS_LOG_DEBUG, __VA_ARGS__)

// ts_log_enabled returns 1 when a line at |level| would be written.
int ts_log_enabled(int level);

// ts_log_configure sets the level and, when |path| is not NULL, appends to
// that file instead of standard error. The file descriptor is moved above the
// range programs usually use and is protected from the program's close().
// Returns 1 on success, 0 (logging to stderr, reason logged) on failure.
int ts_log_configure(int level, const char *path);

// ts_log_fd returns the log file's own descriptor, or -1 when the log goes
// to standard error.
int ts_log_fd(void);

// ts_log_owns_fd returns 1 when |fd| is the log's own descriptor.
int ts_log_owns_fd(int fd);

#endif  // TLSSHIM_LOG_H
