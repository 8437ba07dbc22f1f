// run.c — `tlsshim run`: validate the configuration, find the preload
// library, set the environment, and become the program.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../config/config.h"
#include "launcher.h"

#define LIBRARY_NAME "libtlsshim.so"

struct run_args {
  const char *config_path;
  char **program_argv;  // NULL-terminated; program_argv[0] is PROGRAM
};

// take_option recognises -c FILE, -cFILE, --config FILE and --config=FILE at
// argv[*i], advancing *i past what it consumed.
static int take_option(int argc, char **argv, int *i, struct run_args *out) {
  const char *arg = argv[*i];
  if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
    if (*i + 1 >= argc) {
      return 0;
    }
    out->config_path = argv[*i + 1];
    *i += 2;
    return 1;
  }
  if (strncmp(arg, "--config=", 9) == 0) {
    out->config_path = arg + 9;
  } else if (strncmp(arg, "-c", 2) == 0) {
    out->config_path = arg + 2;
  } else {
    return 0;
  }
  (*i)++;
  return 1;
}

// parse_run_args returns -1 when parsed, or the exit status to use.
static int parse_run_args(int argc, char **argv, struct run_args *out) {
  int i = 1;
  memset(out, 0, sizeof(*out));
  while (i < argc && argv[i][0] == '-') {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      ts_launcher_usage(stdout);
      return TS_EXIT_OK;
    }
    if (!take_option(argc, argv, &i, out)) {
      char message[256];
      snprintf(message, sizeof(message), "run: bad option '%.200s'", argv[i]);
      return ts_launcher_usage_error(message);
    }
  }
  if (out->config_path == NULL || out->config_path[0] == '\0') {
    return ts_launcher_usage_error("run needs -c FILE");
  }
  if (i >= argc) {
    return ts_launcher_usage_error("run needs a PROGRAM to run");
  }
  out->program_argv = argv + i;
  return -1;
}

// default_library_path names libtlsshim.so beside the running executable.
static char *default_library_path(void) {
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (len <= 0) {
    return NULL;
  }
  exe[len] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash == NULL) {
    return NULL;
  }
  *slash = '\0';
  char *path = NULL;
  if (asprintf(&path, "%s/%s", exe, LIBRARY_NAME) < 0) {
    return NULL;
  }
  return path;
}

// usable_file returns 1 when |path| is a readable regular file, else 0 with
// errno set.
static int usable_file(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    return 0;
  }
  if (!S_ISREG(st.st_mode)) {
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return 0;
  }
  return access(path, R_OK) == 0;
}

// find_library returns the absolute path of the preload library, or NULL
// after saying why on standard error.
static char *find_library(void) {
  const char *env = getenv("TLSSHIM_LIBRARY");
  int from_env = env != NULL && env[0] != '\0';
  char *wanted = from_env ? strdup(env) : default_library_path();
  if (wanted == NULL) {
    fprintf(stderr, "tlsshim: cannot locate %s (set TLSSHIM_LIBRARY)\n",
            LIBRARY_NAME);
    return NULL;
  }
  char *real = realpath(wanted, NULL);
  if (real == NULL || !usable_file(real)) {
    fprintf(stderr, "tlsshim: cannot use the preload library %s: %s (%s)\n",
            wanted, strerror(errno),
            from_env ? "from TLSSHIM_LIBRARY" : "set TLSSHIM_LIBRARY");
    free(real);
    free(wanted);
    return NULL;
  }
  free(wanted);
  return real;
}

// validate_config loads the configuration once, so errors are reported
// before the program starts rather than inside it.
static int validate_config(const char *path) {
  struct ts_config *config = NULL;
  char err[2048];
  if (!ts_config_load(path, &config, err, sizeof(err))) {
    fprintf(stderr, "tlsshim: %s\n", err);
    return 0;
  }
  ts_config_free(config);
  return 1;
}

static int set_environment(const char *library, const char *config_path) {
  char *config_abs = realpath(config_path, NULL);
  char *preload = ts_preload_list_with(getenv("LD_PRELOAD"), library);
  int ok = config_abs != NULL && preload != NULL &&
           setenv("LD_PRELOAD", preload, 1) == 0 &&
           setenv("TLSSHIM_CONFIG", config_abs, 1) == 0;
  if (!ok) {
    fprintf(stderr, "tlsshim: cannot set the environment: %s\n",
            strerror(errno));
  }
  free(preload);
  free(config_abs);
  return ok;
}

// check_preloadable refuses a path the dynamic loader would split in two.
static int check_preloadable(const char *library) {
  if (strpbrk(library, ": ") != NULL) {
    fprintf(stderr,
            "tlsshim: the preload library path %s contains ':' or ' ', which "
            "LD_PRELOAD cannot express; move it\n",
            library);
    return 0;
  }
  return 1;
}

int ts_launcher_run(int argc, char **argv) {
  struct run_args args;
  int status = parse_run_args(argc, argv, &args);
  if (status >= 0) {
    return status;
  }
  if (!validate_config(args.config_path)) {
    return TS_EXIT_CONFIG;
  }
  char *library = find_library();
  if (library == NULL) {
    return TS_EXIT_CONFIG;
  }
  int ready =
      check_preloadable(library) && set_environment(library, args.config_path);
  free(library);
  if (!ready) {
    return TS_EXIT_CONFIG;
  }
  execvp(args.program_argv[0], args.program_argv);
  fprintf(stderr, "tlsshim: cannot run %s: %s\n", args.program_argv[0],
          strerror(errno));
  return TS_EXIT_EXEC;
}
