// preload_list.c — building the LD_PRELOAD value: our library first, the
// program's existing preloads kept, ours never listed twice.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"

// The dynamic loader splits LD_PRELOAD on both colons and spaces.
static const char preload_separators[] = ": ";

// names_library returns 1 when the LD_PRELOAD entry |entry| (|len| bytes) is
// |library|, written the same way or reached through a link or a relative
// path.
static int names_library(const char *entry, size_t len, const char *library) {
  if (len == strlen(library) && strncmp(entry, library, len) == 0) {
    return 1;
  }
  char *copy = strndup(entry, len);
  if (copy == NULL) {
    return 0;
  }
  char *real = realpath(copy, NULL);
  int same = real != NULL && strcmp(real, library) == 0;
  free(real);
  free(copy);
  return same;
}

static int already_listed(const char *existing, const char *library) {
  const char *p = existing;
  while (*p != '\0') {
    size_t len = strcspn(p, preload_separators);
    if (len > 0 && names_library(p, len, library)) {
      return 1;
    }
    p += len;
    p += strspn(p, preload_separators);
  }
  return 0;
}

char *ts_preload_list_with(const char *existing, const char *library) {
  if (existing == NULL ||
      existing[strspn(existing, preload_separators)] == '\0') {
    return strdup(library);
  }
  if (already_listed(existing, library)) {
    return strdup(existing);
  }
  char *out = NULL;
  if (asprintf(&out, "%s:%s", library, existing) < 0) {
    return NULL;
  }
  return out;
}
