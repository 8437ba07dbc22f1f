// load.c — ts_config_load(): the file or directory walk, inih, and the
// ownership of the result.
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "loader.h"

static void format_error(struct ts_loader *loader, const char *file,
                         unsigned line, const char *fmt, va_list args) {
  if (loader->err == NULL || loader->err_len == 0) {
    return;
  }
  int used = line != 0
                 ? snprintf(loader->err, loader->err_len, "%s:%u: ", file, line)
                 : snprintf(loader->err, loader->err_len, "%s: ", file);
  if (used < 0 || (size_t)used >= loader->err_len) {
    return;
  }
  vsnprintf(loader->err + used, loader->err_len - (size_t)used, fmt, args);
}

int ts_loader_fail_at(struct ts_loader *loader, const char *file, unsigned line,
                      const char *fmt, ...) {
  if (loader->failed) {
    return 0;
  }
  va_list args;
  va_start(args, fmt);
  format_error(loader, file, line, fmt, args);
  va_end(args);
  loader->failed = 1;
  loader->err_line = line;
  return 0;
}

int ts_loader_fail(struct ts_loader *loader, unsigned line, const char *fmt,
                   ...) {
  if (loader->failed) {
    return 0;
  }
  va_list args;
  va_start(args, fmt);
  format_error(loader, loader->file, line, fmt, args);
  va_end(args);
  loader->failed = 1;
  loader->err_line = line;
  return 0;
}

// report_parse_result turns what inih returned into our first error. inih
// keeps reading after a line it cannot parse, so the line it reports may come
// before an error our handler recorded later in the same file.
static int report_parse_result(struct ts_loader *loader, int ini_result) {
  if (ferror(loader->stream)) {
    loader->failed = 0;  // a read error explains everything after it
    return ts_loader_fail(loader, 0, "read error: %s", strerror(errno));
  }
  if (ini_result > 0 &&
      (!loader->failed || (unsigned)ini_result < loader->err_line)) {
    loader->failed = 0;
    return ts_loader_fail(loader, (unsigned)ini_result,
                          "expected 'key = value' or a [section] header");
  }
  if (ini_result < 0 && !loader->failed) {
    return ts_loader_fail(loader, 0, "cannot parse (inih error %d)",
                          ini_result);
  }
  return !loader->failed;
}

// set_current_file makes |path| the file being read: its absolute name for
// messages and its directory for relative paths.
static int set_current_file(struct ts_loader *loader, const char *path) {
  char *abs = realpath(path, NULL);
  if (abs == NULL) {
    return ts_loader_fail_at(loader, path, 0, "cannot read: %s",
                             strerror(errno));
  }
  snprintf(loader->file, sizeof(loader->file), "%s", abs);
  free(abs);
  snprintf(loader->dir, sizeof(loader->dir), "%s", loader->file);
  char *slash = strrchr(loader->dir, '/');
  if (slash == loader->dir) {
    slash[1] = '\0';  // a file in the root directory
  } else if (slash != NULL) {
    *slash = '\0';
  }
  loader->line = 0;
  loader->section = TS_SECTION_NONE;
  return 1;
}

static int load_file(struct ts_loader *loader, const char *path) {
  if (!set_current_file(loader, path)) {
    return 0;
  }
  loader->stream = fopen(loader->file, "re");
  if (loader->stream == NULL) {
    return ts_loader_fail(loader, 0, "cannot read: %s", strerror(errno));
  }
  int result = ini_parse_stream(ts_loader_read_line, loader,
                                ts_loader_apply_key, loader);
  int ok =
      report_parse_result(loader, result) && ts_loader_close_section(loader);
  fclose(loader->stream);
  loader->stream = NULL;
  return ok;
}

// is_config_name selects the files of a directory that are read: visible
// files named *.ini. Editors' backups ("a.ini~", ".a.ini.swp") and dot files
// are not.
static int is_config_name(const char *name) {
  size_t len = strlen(name);
  return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".ini") == 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t num) {
  for (size_t i = 0; i < num; i++) {
    free(names[i]);
  }
  free(names);
}

static int add_name(char ***names, size_t *num, size_t *cap, const char *dir,
                    const char *name) {
  if (*num == *cap) {
    size_t new_cap = *cap == 0 ? 8 : *cap * 2;
    char **grown = realloc(*names, new_cap * sizeof(char *));
    if (grown == NULL) {
      return 0;
    }
    *names = grown;
    *cap = new_cap;
  }
  if (asprintf(&(*names)[*num], "%s/%s", dir, name) < 0) {
    return 0;
  }
  (*num)++;
  return 1;
}

// list_config_files returns the sorted paths of the *.ini files in |dir|.
// Sorting is bytewise (strcmp), never by locale, so the order is the same
// for every program and every user.
static int list_config_files(struct ts_loader *loader, const char *dir,
                             char ***out_names, size_t *out_num) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    return ts_loader_fail_at(loader, dir, 0, "cannot read directory: %s",
                             strerror(errno));
  }
  char **names = NULL;
  size_t num = 0;
  size_t cap = 0;
  int ok = 1;
  struct dirent *entry;
  while (ok && (entry = readdir(d)) != NULL) {
    if (is_config_name(entry->d_name)) {
      ok = add_name(&names, &num, &cap, dir, entry->d_name);
    }
  }
  closedir(d);
  if (!ok) {
    free_names(names, num);
    return ts_loader_fail_at(loader, dir, 0, "out of memory");
  }
  if (num > 1) {
    qsort(names, num, sizeof(char *), compare_names);  // never qsort(NULL, 0)
  }
  *out_names = names;
  *out_num = num;
  return 1;
}

static int load_directory(struct ts_loader *loader, const char *dir) {
  char **names = NULL;
  size_t num = 0;
  if (!list_config_files(loader, dir, &names, &num)) {
    return 0;
  }
  int ok = 1;
  if (num == 0) {
    ok = ts_loader_fail_at(loader, dir, 0, "no *.ini files in directory");
  }
  for (size_t i = 0; ok && i < num; i++) {
    ok = load_file(loader, names[i]);
  }
  free_names(names, num);
  return ok;
}

static int load_path(struct ts_loader *loader, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    return ts_loader_fail_at(loader, path, 0, "cannot read: %s",
                             strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return load_directory(loader, path);
  }
  if (!S_ISREG(st.st_mode)) {
    return ts_loader_fail_at(loader, path, 0,
                             "not a regular file or a directory");
  }
  return load_file(loader, path);
}

static int require_rules(struct ts_loader *loader, const char *path) {
  if (loader->config->num_rules == 0) {
    return ts_loader_fail_at(loader, path, 0,
                             "no [client:...] or [server:...] rules");
  }
  return 1;
}

static struct ts_loader *loader_new(char *err, size_t err_len) {
  struct ts_loader *loader = calloc(1, sizeof(*loader));
  if (loader == NULL) {
    return NULL;
  }
  loader->config = calloc(1, sizeof(*loader->config));
  if (loader->config == NULL) {
    free(loader);
    return NULL;
  }
  loader->config->log_level = TS_LOG_WARN;
  loader->err = err;
  loader->err_len = err_len;
  return loader;
}

int ts_config_load(const char *path, struct ts_config **out_config, char *err,
                   size_t err_len) {
  if (err != NULL && err_len > 0) {
    err[0] = '\0';
  }
  if (out_config == NULL) {
    if (err != NULL && err_len > 0) {
      snprintf(err, err_len,
               "tlsshim: internal error: no place for the "
               "configuration");
    }
    return 0;
  }
  *out_config = NULL;
  struct ts_loader *loader = loader_new(err, err_len);
  if (loader == NULL) {
    if (err != NULL && err_len > 0) {
      snprintf(err, err_len, "%s: out of memory", path != NULL ? path : "");
    }
    return 0;
  }
  int ok;
  if (path == NULL || path[0] == '\0') {
    ok = ts_loader_fail_at(loader, "tlsshim", 0, "no configuration path given");
  } else {
    ok = load_path(loader, path) && require_rules(loader, path) &&
         ts_loader_check_overlaps(loader);
  }
  if (ok) {
    *out_config = loader->config;
  } else {
    ts_config_free(loader->config);
  }
  free(loader->lines);
  free(loader->raw_line);
  free(loader);
  return ok;
}

static void free_rule(struct ts_rule *rule) {
  free(rule->ca_file);
  free(rule->server_name);
  free(rule->cert);
  free(rule->key);
  free(rule->client_ca);
  for (size_t i = 0; i < rule->num_allow_names; i++) {
    free(rule->allow_names[i]);
  }
  free(rule->allow_names);
}

void ts_config_free(struct ts_config *config) {
  if (config == NULL) {
    return;
  }
  for (size_t i = 0; i < config->num_rules; i++) {
    free_rule(&config->rules[i]);
  }
  free(config->rules);
  free(config->log_file);
  free(config);
}
