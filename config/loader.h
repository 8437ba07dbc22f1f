// loader.h — internal to config/: the state of one ts_config_load() call and
// the steps that share it. The steps, in the order a file meets them:
//   lines.c     reads and cleans each line for inih, and sees section headers;
//   sections.c  opens [global], [client:NAME] and [server:NAME] sections;
//   keys.c      applies each `key = value` inih hands back;
//   rules.c     checks a finished rule and the rules against each other;
//   load.c      walks the file or directory and owns the result.
// The first error wins; every step after it does nothing.
#ifndef TLSSHIM_CONFIG_LOADER_H
#define TLSSHIM_CONFIG_LOADER_H

#include <limits.h>
#include <stdio.h>

#include "config.h"

// ts_key names every key the configuration knows.
enum ts_key {
  TS_KEY_PORT,
  TS_KEY_HOST,
  TS_KEY_CA_FILE,
  TS_KEY_SERVER_NAME,
  TS_KEY_CERT,
  TS_KEY_KEY,
  TS_KEY_CLIENT_CA,
  TS_KEY_ALLOW_NAMES,
  TS_KEY_MIN_VERSION,
  TS_KEY_RESUMPTION,
  TS_KEY_LOG_LEVEL,
  TS_KEY_LOG_FILE,
  TS_KEY_COUNT,
};

// ts_rule_lines records, for one rule, the line that set each key (0 when
// the key is not set). The file is the rule's |source_file|.
struct ts_rule_lines {
  unsigned line[TS_KEY_COUNT];
};

// ts_place is where a [global] key was set, to name both places when it is
// set again, possibly in another file.
struct ts_place {
  char file[PATH_MAX];
  unsigned line;  // 0 when not set
};

enum ts_section {
  TS_SECTION_NONE,    // before the first header of a file
  TS_SECTION_GLOBAL,  // [global]
  TS_SECTION_RULE,    // [client:NAME] or [server:NAME]; see |rule|
};

struct ts_loader {
  struct ts_config *config;  // being built; rules grow as sections open
  size_t rules_cap;
  struct ts_rule_lines *lines;  // parallel to config->rules
  struct ts_place log_level_set;
  struct ts_place log_file_set;

  // The file being read.
  char file[PATH_MAX];  // absolute, as used in messages
  char dir[PATH_MAX];   // its directory, for relative paths
  FILE *stream;
  char *raw_line;  // getline() buffer
  size_t raw_cap;
  unsigned line;  // number of the last line read
  enum ts_section section;
  size_t rule;  // index of the open rule (TS_SECTION_RULE)

  // The first error, formatted as "FILE:LINE: message".
  char *err;
  size_t err_len;
  int failed;
  unsigned err_line;
};

// ts_loader_fail records "FILE:LINE: message" for the file being read, or
// "FILE: message" when |line| is 0, unless an error is already recorded. It
// always returns 0, so callers can `return ts_loader_fail(...)`.
int ts_loader_fail(struct ts_loader *loader, unsigned line, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));

// ts_loader_fail_at is ts_loader_fail for a place in any |file|. It returns
// 0.
int ts_loader_fail_at(struct ts_loader *loader, const char *file, unsigned line,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// ts_loader_section_label writes "[global]", "[client:NAME]" or
// "[server:NAME]" for the open section into |out| and returns |out|.
const char *ts_loader_section_label(const struct ts_loader *loader, char *out,
                                    size_t out_len);

// ts_loader_read_line is the ini_reader: it reads the next line of
// |loader->stream|, counts it, removes a UTF-8 byte order mark, indentation,
// trailing space and comments (a `;` or `#` that starts the line or follows
// whitespace), opens the section a header names, and copies what is left
// into |out| (capacity |out_cap|). It returns |out|, or NULL at the end of
// the file or after an error (a line too long for inih, a NUL byte, a line
// that is neither a header nor `key = value`, a bad header).
char *ts_loader_read_line(char *out, int out_cap, void *loader);

// ts_loader_open_section finishes the open section and opens the one the
// header |text| ("[...]", already trimmed) names. It returns 1, or 0 after
// recording why (malformed header, unknown kind, invalid or repeated name).
int ts_loader_open_section(struct ts_loader *loader, const char *text);

// ts_loader_close_section finishes the open section, if any: a rule is
// checked for its required keys and completed with defaults. It returns 1,
// or 0 after recording why.
int ts_loader_close_section(struct ts_loader *loader);

// ts_loader_apply_key is the ini_handler for one `name = value` line of the
// open section. It returns 1, or 0 after recording why (no section, unknown
// key, key not valid in this kind of section, key set twice, empty or
// invalid value, unusable file).
int ts_loader_apply_key(void *loader, const char *section, const char *name,
                        const char *value);

// ts_loader_finish_rule checks rule |index| once its section has ended:
// required keys, keys that go in pairs, and the default trust store. It
// returns 1, or 0 after recording why at the line concerned.
int ts_loader_finish_rule(struct ts_loader *loader, size_t index);

// ts_loader_check_overlaps checks every pair of rules: two server rules may
// not share a port, and two client rules that share a port may not be
// equally specific for the same destinations. It returns 1, or 0 after
// recording why at the later rule's header.
int ts_loader_check_overlaps(struct ts_loader *loader);

#endif  // TLSSHIM_CONFIG_LOADER_H
