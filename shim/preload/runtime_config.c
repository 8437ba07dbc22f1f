// runtime_config.c — loads TLSSHIM_CONFIG once per process.
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "runtime.h"
#include "vfork.h"

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static struct ts_config *config;
static atomic_int loaded;

// The path is read from the environment when the library starts, not when
// the configuration is first needed: servers such as nginx scrub the
// environment of the worker processes they fork, and those workers must
// still find it. Loading itself stays lazy, so a process that never opens a
// TCP connection never reads the file.
static char config_path[PATH_MAX];

__attribute__((constructor)) static void remember_config_path(void) {
  const char *path = getenv("TLSSHIM_CONFIG");
  if (path != NULL && config_path[0] == '\0') {
    snprintf(config_path, sizeof(config_path), "%s", path);
  }
}

static void load_config(void) {
  atomic_store(&loaded, 1);  // tried, whatever the outcome
  // Another constructor (inherit.c) may need the configuration before ours
  // has run; constructor order between files is not defined.
  remember_config_path();
  const char *path = config_path;
  char err[1024];
  if (path[0] == '\0') {
    ts_log_error(
        "TLSSHIM_CONFIG is not set; every TCP connect and accept "
        "will fail with EACCES (run the program with `tlsshim run "
        "-c FILE -- PROGRAM`)");
    return;
  }
  if (!ts_config_load(path, &config, err, sizeof(err))) {
    config = NULL;
    ts_log_error(
        "cannot load configuration: %s; every TCP connect and accept "
        "will fail with EACCES",
        err);
    return;
  }
  ts_log_configure(config->log_level, config->log_file);
  ts_log_debug("configuration %s loaded: %zu rules", path, config->num_rules);
}

int ts_runtime_config_named(void) {
  static atomic_int looked;  // the environment is read once, not per call
  if (!atomic_load(&looked)) {
    remember_config_path();
    atomic_store(&looked, 1);
  }
  return config_path[0] != '\0';
}

const struct ts_config *ts_runtime_config(void) {
  if (!atomic_load(&loaded) && ts_vfork_child()) {
    // Loading opens the log in the child's descriptor table but records
    // its number in the parent's memory; without a configuration, TCP is
    // denied (fail closed), as when it cannot be loaded.
    return NULL;
  }
  pthread_once(&config_once, load_config);
  return config;
}
