// tlsshim.c — the `tlsshim` command: dispatch, usage, and `check`.
#include <stdio.h>
#include <string.h>

#include "../../config/config.h"
#include "launcher.h"

void ts_launcher_usage(FILE *out) {
  fputs(
      "usage: tlsshim run -c FILE [--] PROGRAM [ARGS...]\n"
      "       tlsshim check FILE\n"
      "       tlsshim --help | --version\n"
      "\n"
      "  run    validate FILE, then run PROGRAM with libtlsshim.so preloaded\n"
      "         (LD_PRELOAD) and TLSSHIM_CONFIG set to FILE's absolute path\n"
      "  check  validate FILE and print the effective rules\n"
      "\n"
      "FILE is an INI file, or a directory whose *.ini files are read in name\n"
      "order. See config/examples/ for every key.\n"
      "\n"
      "environment:\n"
      "  TLSSHIM_LIBRARY  the preload library (default: libtlsshim.so in the\n"
      "                   directory of this program)\n"
      "\n"
      "exit status: 0 ok, 2 configuration or library error, 64 usage error,\n"
      "127 PROGRAM could not be run; otherwise PROGRAM's own status.\n",
      out);
}

int ts_launcher_usage_error(const char *message) {
  fprintf(stderr, "tlsshim: %s\n", message);
  ts_launcher_usage(stderr);
  return TS_EXIT_USAGE;
}

static int is_help(const char *arg) {
  return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int ts_launcher_check(int argc, char **argv) {
  if (argc == 2 && is_help(argv[1])) {
    ts_launcher_usage(stdout);
    return TS_EXIT_OK;
  }
  if (argc != 2) {
    return ts_launcher_usage_error("check needs exactly one FILE");
  }
  struct ts_config *config = NULL;
  char err[2048];
  if (!ts_config_load(argv[1], &config, err, sizeof(err))) {
    fprintf(stderr, "tlsshim: %s\n", err);
    return TS_EXIT_CONFIG;
  }
  ts_config_print(config, stdout);
  printf("\nconfiguration OK: %zu %s\n", config->num_rules,
         config->num_rules == 1 ? "rule" : "rules");
  ts_config_free(config);
  return fflush(stdout) == 0 ? TS_EXIT_OK : TS_EXIT_CONFIG;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    return ts_launcher_usage_error("missing command");
  }
  const char *command = argv[1];
  if (is_help(command)) {
    ts_launcher_usage(stdout);
    return TS_EXIT_OK;
  }
  if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0) {
    printf("tlsshim %s\n", TS_VERSION);
    return TS_EXIT_OK;
  }
  if (strcmp(command, "run") == 0) {
    return ts_launcher_run(argc - 1, argv + 1);
  }
  if (strcmp(command, "check") == 0) {
    return ts_launcher_check(argc - 1, argv + 1);
  }
  char message[256];
  snprintf(message, sizeof(message), "unknown command '%.200s'", command);
  return ts_launcher_usage_error(message);
}
