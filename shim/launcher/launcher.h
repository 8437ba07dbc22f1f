// launcher.h — the `tlsshim` command: its subcommands and exit statuses.
#ifndef TLSSHIM_LAUNCHER_H
#define TLSSHIM_LAUNCHER_H

#include <stddef.h>
#include <stdio.h>

#define TS_VERSION "0.1.0"

// Exit statuses. A program started by `tlsshim run` exits with its own.
#define TS_EXIT_OK 0
#define TS_EXIT_CONFIG 2  // the configuration or the library is unusable
#define TS_EXIT_USAGE 64  // EX_USAGE: the command line is wrong
#define TS_EXIT_EXEC 127  // PROGRAM could not be executed

// ts_launcher_usage writes the command's usage text to |out|.
void ts_launcher_usage(FILE *out);

// ts_launcher_usage_error writes "tlsshim: |message|" and the usage text to
// standard error and returns TS_EXIT_USAGE.
int ts_launcher_usage_error(const char *message);

// ts_launcher_run implements `tlsshim run -c FILE [--] PROGRAM [ARGS...]`;
// |argv[0]| is "run". It validates FILE, sets LD_PRELOAD and TLSSHIM_CONFIG
// and replaces the process with PROGRAM. It returns only on failure, with
// the exit status to use, after writing the reason to standard error.
int ts_launcher_run(int argc, char **argv);

// ts_launcher_check implements `tlsshim check FILE`; |argv[0]| is "check". It
// prints the effective rules and "configuration OK: N rules" to standard
// output and returns TS_EXIT_OK, or writes the error to standard error and
// returns TS_EXIT_CONFIG (TS_EXIT_USAGE for a wrong command line).
int ts_launcher_check(int argc, char **argv);

// ts_preload_list_with returns a new LD_PRELOAD value with |library| (an
// absolute path) first and the entries of |existing| (which may be NULL)
// after it, separated by ':'. When |existing| already names |library|,
// directly or through a link, the result is a copy of |existing|. Returns
// NULL when memory runs out. The caller frees the result.
char *ts_preload_list_with(const char *existing, const char *library);

#endif  // TLSSHIM_LAUNCHER_H
