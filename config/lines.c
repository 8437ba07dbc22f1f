// lines.c — the line reader inih calls. Doing this work here rather than
// in inih's options gives one meaning to a file whatever inih was built with,
// and a line number for every message:
//  - Indentation is removed, so an indented line is an ordinary line and never
//    a continuation of the previous value (inih's multi-line values are off).
//  - Comments start with `;` or `#`, at the start of a line or after
//    whitespace; a `;` or `#` inside a word ("a#b") is part of the value.
//  - Section headers are seen here, so a section without keys still exists
//    and errors about a whole section can name its header's line.
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "loader.h"
#include "values.h"

static const char utf8_bom[] = "\xEF\xBB\xBF";

// How much of an offending line a message quotes.
#define QUOTE_LEN 60

static int is_comment_start(char c) { return c == ';' || c == '#'; }

// strip_inline_comment ends |text| before the first comment that follows
// whitespace.
static void strip_inline_comment(char *text) {
  for (char *p = text + 1; *p != '\0'; p++) {
    if (is_comment_start(*p) && ts_ascii_space(p[-1])) {
      *p = '\0';
      return;
    }
  }
}

static void strip_trailing_space(char *text) {
  size_t len = strlen(text);
  while (len > 0 && ts_ascii_space(text[len - 1])) {
    text[--len] = '\0';
  }
}

// clean_line returns the meaningful part of |raw| (modified in place): ""
// for a blank or comment line.
static char *clean_line(char *raw, int first_line) {
  if (first_line && strncmp(raw, utf8_bom, 3) == 0) {
    raw += 3;
  }
  while (ts_ascii_space(*raw)) {
    raw++;
  }
  if (is_comment_start(*raw)) {
    *raw = '\0';
    return raw;
  }
  strip_inline_comment(raw);
  strip_trailing_space(raw);
  return raw;
}

// check_key_value accepts the lines inih parses as `key = value` (it also
// takes `key: value`, as Python's configparser does).
static int check_key_value(struct ts_loader *loader, const char *text) {
  if (strpbrk(text, "=:") != NULL) {
    return 1;
  }
  return ts_loader_fail(loader, loader->line,
                        "expected 'key = value' or a [section] header, found "
                        "'%.*s'",
                        QUOTE_LEN, text);
}

// check_no_nul refuses a NUL byte, after which inih would see nothing.
static int check_no_nul(struct ts_loader *loader, ssize_t raw_len) {
  if (memchr(loader->raw_line, '\0', (size_t)raw_len) != NULL) {
    return ts_loader_fail(loader, loader->line, "line contains a NUL byte");
  }
  return 1;
}

// check_fits refuses a line inih's fixed buffer would split in two.
static int check_fits(struct ts_loader *loader, size_t len, int out_cap) {
  if (len >= (size_t)out_cap) {
    return ts_loader_fail(loader, loader->line,
                          "line is too long (at most %d characters after "
                          "indentation and comments are removed)",
                          out_cap - 1);
  }
  return 1;
}

char *ts_loader_read_line(char *out, int out_cap, void *user) {
  struct ts_loader *loader = user;
  if (loader->failed || out_cap <= 0) {
    return NULL;
  }
  ssize_t raw_len =
      getline(&loader->raw_line, &loader->raw_cap, loader->stream);
  if (raw_len < 0) {
    return NULL;  // the end, or a read error load.c reports with ferror()
  }
  loader->line++;
  if (!check_no_nul(loader, raw_len)) {
    return NULL;
  }
  char *text = clean_line(loader->raw_line, loader->line == 1);
  size_t len = strlen(text);
  if (!check_fits(loader, len, out_cap)) {
    return NULL;
  }
  if (text[0] == '[') {
    if (!ts_loader_open_section(loader, text)) {
      return NULL;
    }
  } else if (len > 0 && !check_key_value(loader, text)) {
    return NULL;
  }
  memcpy(out, text, len + 1);
  return out;
}
