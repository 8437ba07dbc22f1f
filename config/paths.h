// paths.h — internal to config/: making configured paths absolute and
// checking, at load time, that the files they name can be used. Failures are
// described in |why| (NUL-terminated, at most |why_len| bytes), usually the
// strerror() text, without a location.
//
// Only stat(), fopen() and fclose() touch the file system here: this code
// also runs inside the preloaded library, where open(), read() and close()
// are hooked and must not be re-entered from a configuration load.
#ifndef TLSSHIM_CONFIG_PATHS_H
#define TLSSHIM_CONFIG_PATHS_H

#include <stddef.h>

// ts_path_resolve returns a new absolute path for |text|, which is used as is
// when it starts with '/' and is otherwise taken relative to the directory
// |dir| (leading "./" components are dropped). Symbolic links are not
// resolved, so the path still reads as the operator wrote it. It returns NULL
// with |why| set when the result would not fit in PATH_MAX or memory runs
// out. The caller frees the result.
char *ts_path_resolve(const char *dir, const char *text, char *why,
                      size_t why_len);

// ts_path_check_readable returns 1 when |path| names a regular file (after
// following symbolic links) that this process can open for reading, else 0.
int ts_path_check_readable(const char *path, char *why, size_t why_len);

// ts_path_is_private returns 1 when neither the group nor others may read or
// write the file |path|, as ssh demands of private keys, else 0 and sets
// |*out_mode| to its permission bits. A file that cannot be examined returns
// 0 with |*out_mode| set to 0.
int ts_path_is_private(const char *path, unsigned *out_mode);

// ts_path_check_log_file returns 1 when a log may be appended to |path|: its
// directory exists, and either the file exists, is not a directory and is
// writable, or the directory is writable so the file can be created. Else it
// returns 0.
int ts_path_check_log_file(const char *path, char *why, size_t why_len);

#endif  // TLSSHIM_CONFIG_PATHS_H
