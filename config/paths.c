// paths.c — configured paths made absolute and checked at load time.
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The permission bits a private key must not grant: read or write by the
// group or by others (execute bits say nothing about secrecy).
#define KEY_FORBIDDEN_BITS (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)

char *ts_path_resolve(const char *dir, const char *text, char *why,
                      size_t why_len) {
  char *out = NULL;
  int len;
  if (text[0] == '/') {
    len = (int)strlen(text);
    out = len < PATH_MAX ? strdup(text) : NULL;
  } else {
    while (strncmp(text, "./", 2) == 0) {
      text += 2;
      while (*text == '/') {
        text++;
      }
    }
    const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
    len = asprintf(&out, "%s%s%s", dir, sep, text);
    if (len < 0) {
      out = NULL;
    } else if (len >= PATH_MAX) {
      free(out);
      out = NULL;
    }
  }
  if (out == NULL) {
    snprintf(why, why_len,
             len >= PATH_MAX ? "path is too long" : "out of memory");
  }
  return out;
}

int ts_path_check_readable(const char *path, char *why, size_t why_len) {
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(why, why_len, "%s", strerror(errno));
    return 0;
  }
  if (S_ISDIR(st.st_mode)) {
    snprintf(why, why_len, "%s", strerror(EISDIR));
    return 0;
  }
  if (!S_ISREG(st.st_mode)) {
    // Opening a FIFO or a device could block or consume data.
    snprintf(why, why_len, "not a regular file");
    return 0;
  }
  FILE *f = fopen(path, "re");
  if (f == NULL) {
    snprintf(why, why_len, "%s", strerror(errno));
    return 0;
  }
  fclose(f);
  return 1;
}

int ts_path_is_private(const char *path, unsigned *out_mode) {
  struct stat st;
  *out_mode = 0;
  if (stat(path, &st) != 0) {
    return 0;
  }
  *out_mode = (unsigned)(st.st_mode & 07777);
  return (st.st_mode & KEY_FORBIDDEN_BITS) == 0;
}

// parent_dir writes the directory part of the absolute |path| into |out|.
static void parent_dir(const char *path, char *out, size_t out_cap) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    snprintf(out, out_cap, ".");
  } else if (slash == path) {
    snprintf(out, out_cap, "/");
  } else {
    snprintf(out, out_cap, "%.*s", (int)(slash - path), path);
  }
}

int ts_path_check_log_file(const char *path, char *why, size_t why_len) {
  struct stat st;
  char *dir = malloc(PATH_MAX);
  if (dir == NULL) {
    snprintf(why, why_len, "out of memory");
    return 0;
  }
  parent_dir(path, dir, PATH_MAX);
  int ok = 0;
  if (stat(dir, &st) != 0) {
    snprintf(why, why_len, "directory %s: %s", dir, strerror(errno));
  } else if (!S_ISDIR(st.st_mode)) {
    snprintf(why, why_len, "%s: %s", dir, strerror(ENOTDIR));
  } else if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      snprintf(why, why_len, "%s", strerror(EISDIR));
    } else if (euidaccess(path, W_OK) != 0) {
      snprintf(why, why_len, "%s", strerror(errno));
    } else {
      ok = 1;
    }
  } else if (euidaccess(dir, W_OK | X_OK) != 0) {
    snprintf(why, why_len, "cannot create it in %s: %s", dir, strerror(errno));
  } else {
    ok = 1;
  }
  free(dir);
  return ok;
}
