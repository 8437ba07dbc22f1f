// Unit tests for `tlsshim run` (shim/launcher/run.c): its command line, the
// checks made before the program starts, and the environment the program
// gets. Where the launcher succeeds it replaces the test process with
// /bin/sh, whose script checks that environment and exits with a code the
// test expects (Criterion runs each test in its own process).
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../shim/launcher/launcher.h"

// tlsshim.c holds main(), so the usage helpers the launcher calls are
// stood in for here; usage_calls counts the usage errors reported.
static int usage_calls;

void ts_launcher_usage(FILE *out) { (void)out; }

int ts_launcher_usage_error(const char *message) {
  (void)message;
  usage_calls++;
  return TS_EXIT_USAGE;
}

#define GOOD_CONFIG "tests/unit/fixtures/config/comments.ini"
#define LIBRARY "build/libtlsshim.so"

// The exit status a successful exec's script returns when the environment
// is as it must be.
#define ENV_OK 42

static char config_abs[PATH_MAX];
static char library_abs[PATH_MAX];

static void setup(void) {
  cr_assert_not_null(realpath(GOOD_CONFIG, config_abs),
                     "run from the repository root");
  cr_assert_not_null(realpath(LIBRARY, library_abs), "build the library first");
  setenv("TLSSHIM_LIBRARY", LIBRARY, 1);
  unsetenv("LD_PRELOAD");
}

TestSuite(run, .init = setup, .timeout = 10);

// run calls the launcher with "run" and the given arguments.
static int run(const char *const *args) {
  char *argv[16] = {"run"};
  int argc = 1;
  for (; args[argc - 1] != NULL && argc < 15; argc++) {
    argv[argc] = (char *)args[argc - 1];
  }
  argv[argc] = NULL;
  return ts_launcher_run(argc, argv);
}

// exec_checking runs the launcher with |options| before "--" and a shell
// that exits ENV_OK when TLSSHIM_CONFIG is the configuration's absolute path
// and LD_PRELOAD is |preload|. It returns only when the launcher failed.
static void exec_checking(const char *const *options, const char *preload) {
  static char script[4 * PATH_MAX];
  snprintf(script, sizeof(script),
           "[ \"$TLSSHIM_CONFIG\" = '%s' ] && [ \"$LD_PRELOAD\" = '%s' ] && "
           "exit %d; echo \"TLSSHIM_CONFIG=$TLSSHIM_CONFIG "
           "LD_PRELOAD=$LD_PRELOAD\" >&2; exit 1",
           config_abs, preload, ENV_OK);
  const char *args[16];
  size_t n = 0;
  for (; options[n] != NULL; n++) {
    args[n] = options[n];
  }
  args[n++] = "--";
  args[n++] = "/bin/sh";
  args[n++] = "-c";
  args[n++] = script;
  args[n] = NULL;
  int status = run(args);
  cr_assert_fail("the launcher returned %d instead of running the program",
                 status);
}

Test(run, short_option_sets_the_environment, .exit_code = ENV_OK) {
  exec_checking((const char *[]){"-c", GOOD_CONFIG, NULL}, library_abs);
}

Test(run, joined_short_option, .exit_code = ENV_OK) {
  exec_checking((const char *[]){"-c" GOOD_CONFIG, NULL}, library_abs);
}

Test(run, long_option_with_equals, .exit_code = ENV_OK) {
  exec_checking((const char *[]){"--config=" GOOD_CONFIG, NULL}, library_abs);
}

Test(run, long_option_separate_value, .exit_code = ENV_OK) {
  exec_checking((const char *[]){"--config", GOOD_CONFIG, NULL}, library_abs);
}

Test(run, an_existing_preload_is_kept_after_the_library, .exit_code = ENV_OK) {
  setenv("LD_PRELOAD", "libm.so.6", 1);
  char expected[PATH_MAX + 32];
  snprintf(expected, sizeof(expected), "%s:libm.so.6", library_abs);
  exec_checking((const char *[]){"-c", GOOD_CONFIG, NULL}, expected);
}

Test(run, command_line_mistakes_are_usage_errors) {
  cr_assert_eq(run((const char *[]){"--", "/bin/true", NULL}), TS_EXIT_USAGE,
               "no -c");
  cr_assert_eq(run((const char *[]){"-c", GOOD_CONFIG, NULL}), TS_EXIT_USAGE,
               "no program");
  cr_assert_eq(run((const char *[]){"-c", NULL}), TS_EXIT_USAGE,
               "-c without a file");
  cr_assert_eq(
      run((const char *[]){"-x", "-c", GOOD_CONFIG, "/bin/true", NULL}),
      TS_EXIT_USAGE, "unknown option");
  cr_assert_eq(run((const char *[]){"--config=", "/bin/true", NULL}),
               TS_EXIT_USAGE, "empty file name");
  cr_assert_eq(usage_calls, 5);
}

Test(run, a_bad_configuration_stops_the_program) {
  cr_assert_eq(run((const char *[]){"-c",
                                    "tests/unit/fixtures/config/"
                                    "syntax_error.ini",
                                    "/bin/true", NULL}),
               TS_EXIT_CONFIG);
  cr_assert_eq(
      run((const char *[]){"-c", "build/no-such.ini", "/bin/true", NULL}),
      TS_EXIT_CONFIG);
}

Test(run, an_unusable_library_stops_the_program) {
  setenv("TLSSHIM_LIBRARY", "build", 1);  // a directory
  cr_assert_eq(run((const char *[]){"-c", GOOD_CONFIG, "/bin/true", NULL}),
               TS_EXIT_CONFIG);
  setenv("TLSSHIM_LIBRARY", "build/no-such-library.so", 1);
  cr_assert_eq(run((const char *[]){"-c", GOOD_CONFIG, "/bin/true", NULL}),
               TS_EXIT_CONFIG);
  // LD_PRELOAD splits on ':' and ' ', so such a path cannot be preloaded.
  char odd[64];
  snprintf(odd, sizeof(odd), "build/tests/lib:%d.so", (int)getpid());
  FILE *f = fopen(odd, "w");
  cr_assert_not_null(f);
  fclose(f);
  setenv("TLSSHIM_LIBRARY", odd, 1);
  int status = run((const char *[]){"-c", GOOD_CONFIG, "/bin/true", NULL});
  unlink(odd);
  cr_assert_eq(status, TS_EXIT_CONFIG);
}

Test(run, a_program_that_cannot_run_is_exit_127) {
  cr_assert_eq(run((const char *[]){"-c", GOOD_CONFIG, "--",
                                    "build/no-such-program", NULL}),
               TS_EXIT_EXEC);
}
