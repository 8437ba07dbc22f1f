// sections.c — section headers: [global], [client:NAME] and [server:NAME].
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "values.h"

#define MAX_RULE_NAME 63
#define QUOTE_LEN 60

static int rule_name_char(char c) {
  return ts_ascii_alpha(c) || ts_ascii_digit(c) || c == '_' || c == '.' ||
         c == '-';
}

// rule_name_ok accepts [A-Za-z0-9_.-]{1,63}: a name that is safe in log lines
// and needs no quoting.
static int rule_name_ok(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len > MAX_RULE_NAME) {
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    if (!rule_name_char(name[i])) {
      return 0;
    }
  }
  return 1;
}

// header_inner copies what is between the brackets of |text|, trimmed, into
// |out|.
static int header_inner(struct ts_loader *loader, const char *text, char *out,
                        size_t out_cap) {
  size_t len = strlen(text);
  if (text[len - 1] != ']') {
    if (strchr(text, ']') != NULL) {
      return ts_loader_fail(loader, loader->line,
                            "unexpected text after the section header '%.*s'",
                            QUOTE_LEN, text);
    }
    return ts_loader_fail(loader, loader->line,
                          "section header '%.*s' has no closing ']'", QUOTE_LEN,
                          text);
  }
  const char *start = text + 1;
  const char *end = text + len - 1;
  while (start < end && ts_ascii_space(*start)) {
    start++;
  }
  while (end > start && ts_ascii_space(end[-1])) {
    end--;
  }
  size_t inner_len = (size_t)(end - start);
  if (inner_len >= out_cap) {
    inner_len = out_cap - 1;  // too long for any valid header; refused later
  }
  memcpy(out, start, inner_len);
  out[inner_len] = '\0';
  return 1;
}

static const struct ts_rule *find_rule(const struct ts_config *config,
                                       enum ts_role role, const char *name) {
  for (size_t i = 0; i < config->num_rules; i++) {
    const struct ts_rule *rule = &config->rules[i];
    if (rule->role == role && strcmp(rule->name, name) == 0) {
      return rule;
    }
  }
  return NULL;
}

// reserve_rule makes room for one more rule in both parallel arrays.
static int reserve_rule(struct ts_loader *loader) {
  struct ts_config *config = loader->config;
  if (config->num_rules < loader->rules_cap) {
    return 1;
  }
  size_t cap = loader->rules_cap == 0 ? 4 : loader->rules_cap * 2;
  struct ts_rule *rules = realloc(config->rules, cap * sizeof(*rules));
  if (rules == NULL) {
    return 0;
  }
  config->rules = rules;
  struct ts_rule_lines *lines = realloc(loader->lines, cap * sizeof(*lines));
  if (lines == NULL) {
    return 0;
  }
  loader->lines = lines;
  loader->rules_cap = cap;
  return 1;
}

static int add_rule(struct ts_loader *loader, enum ts_role role,
                    const char *name) {
  struct ts_config *config = loader->config;
  if (!reserve_rule(loader)) {
    return ts_loader_fail(loader, loader->line, "out of memory");
  }
  size_t index = config->num_rules++;
  struct ts_rule *rule = &config->rules[index];
  memset(rule, 0, sizeof(*rule));
  memset(&loader->lines[index], 0, sizeof(loader->lines[index]));
  snprintf(rule->name, sizeof(rule->name), "%s", name);
  rule->role = role;
  rule->host.kind = TS_HOST_ANY;
  rule->min_version = 0x0303;
  rule->resumption = 1;
  snprintf(rule->source_file, sizeof(rule->source_file), "%s", loader->file);
  rule->source_line = loader->line;
  rule->index = index;
  loader->section = TS_SECTION_RULE;
  loader->rule = index;
  return 1;
}

static int parse_role(const char *kind, size_t kind_len,
                      enum ts_role *out_role) {
  if (kind_len == 6 && strncmp(kind, "client", 6) == 0) {
    *out_role = TS_ROLE_CLIENT;
    return 1;
  }
  if (kind_len == 6 && strncmp(kind, "server", 6) == 0) {
    *out_role = TS_ROLE_SERVER;
    return 1;
  }
  return 0;
}

static int open_rule(struct ts_loader *loader, const char *inner) {
  const char *colon = strchr(inner, ':');
  enum ts_role role;
  if (colon == NULL || !parse_role(inner, (size_t)(colon - inner), &role)) {
    return ts_loader_fail(loader, loader->line,
                          "unknown section [%s] (expected [global], "
                          "[client:NAME] or [server:NAME])",
                          inner);
  }
  const char *name = colon + 1;
  if (!rule_name_ok(name)) {
    return ts_loader_fail(loader, loader->line,
                          "rule name '%s' in [%s] is not valid (1-63 "
                          "letters, digits, '_', '.' or '-')",
                          name, inner);
  }
  const struct ts_rule *other = find_rule(loader->config, role, name);
  if (other != NULL) {
    return ts_loader_fail(loader, loader->line,
                          "rule [%s] is already defined at %s:%u", inner,
                          other->source_file, other->source_line);
  }
  return add_rule(loader, role, name);
}

int ts_loader_open_section(struct ts_loader *loader, const char *text) {
  char inner[256];
  if (!ts_loader_close_section(loader) ||
      !header_inner(loader, text, inner, sizeof(inner))) {
    return 0;
  }
  if (strcmp(inner, "global") == 0) {
    loader->section = TS_SECTION_GLOBAL;
    return 1;
  }
  return open_rule(loader, inner);
}

int ts_loader_close_section(struct ts_loader *loader) {
  enum ts_section closing = loader->section;
  loader->section = TS_SECTION_NONE;
  switch (closing) {
    case TS_SECTION_RULE:
      return ts_loader_finish_rule(loader, loader->rule);
    case TS_SECTION_NONE:
    case TS_SECTION_GLOBAL:
      return 1;
    default:
      return ts_loader_fail(loader, loader->line, "internal error: section");
  }
}

const char *ts_loader_section_label(const struct ts_loader *loader, char *out,
                                    size_t out_len) {
  switch (loader->section) {
    case TS_SECTION_GLOBAL:
      snprintf(out, out_len, "[global]");
      break;
    case TS_SECTION_RULE: {
      const struct ts_rule *rule = &loader->config->rules[loader->rule];
      snprintf(out, out_len, "[%s:%s]", ts_role_name(rule->role), rule->name);
      break;
    }
    case TS_SECTION_NONE:
    default:
      snprintf(out, out_len, "(no section)");
      break;
  }
  return out;
}
