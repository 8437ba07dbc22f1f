// keys.c — one `key = value` line applied to the open section.
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "paths.h"
#include "values.h"

// Which sections accept a key.
#define IN_GLOBAL 1u
#define IN_CLIENT 2u
#define IN_SERVER 4u

struct key_info {
  const char *name;
  enum ts_key key;
  unsigned sections;
};

static const struct key_info keys[] = {
    {"port", TS_KEY_PORT, IN_CLIENT | IN_SERVER},
    {"host", TS_KEY_HOST, IN_CLIENT},
    {"ca_file", TS_KEY_CA_FILE, IN_CLIENT},
    {"server_name", TS_KEY_SERVER_NAME, IN_CLIENT},
    {"cert", TS_KEY_CERT, IN_CLIENT | IN_SERVER},
    {"key", TS_KEY_KEY, IN_CLIENT | IN_SERVER},
    {"client_ca", TS_KEY_CLIENT_CA, IN_SERVER},
    {"allow_names", TS_KEY_ALLOW_NAMES, IN_SERVER},
    {"min_version", TS_KEY_MIN_VERSION, IN_CLIENT | IN_SERVER},
    {"resumption", TS_KEY_RESUMPTION, IN_CLIENT | IN_SERVER},
    {"log_level", TS_KEY_LOG_LEVEL, IN_GLOBAL},
    {"log_file", TS_KEY_LOG_FILE, IN_GLOBAL},
};

#define NUM_KEYS (sizeof(keys) / sizeof(keys[0]))

// Room for a section label and for the reason a value was refused.
#define LABEL_LEN 80
#define WHY_LEN 512

static const struct key_info *find_key(const char *name) {
  for (size_t i = 0; i < NUM_KEYS; i++) {
    if (strcmp(keys[i].name, name) == 0) {
      return &keys[i];
    }
  }
  return NULL;
}

static struct ts_rule *open_rule(struct ts_loader *loader) {
  return &loader->config->rules[loader->rule];
}

static unsigned open_section_bit(const struct ts_loader *loader) {
  if (loader->section == TS_SECTION_GLOBAL) {
    return IN_GLOBAL;
  }
  return loader->config->rules[loader->rule].role == TS_ROLE_CLIENT ? IN_CLIENT
                                                                    : IN_SERVER;
}

// refuse_misplaced explains why |info| does not belong in the open section.
static int refuse_misplaced(struct ts_loader *loader,
                            const struct key_info *info, const char *label) {
  const char *belongs;
  if (info->sections == IN_GLOBAL) {
    belongs = "it belongs in [global]";
  } else if (loader->section == TS_SECTION_GLOBAL) {
    belongs = "it belongs in a [client:NAME] or [server:NAME] section";
  } else if (info->sections == IN_CLIENT) {
    belongs = "it is valid in [client:NAME] sections only";
  } else {
    belongs = "it is valid in [server:NAME] sections only";
  }
  return ts_loader_fail(loader, loader->line,
                        "key '%s' is not valid in section %s (%s)", info->name,
                        label, belongs);
}

// file_key resolves a file-naming key of a rule, checks the file and stores
// the absolute path in |*field|.
static int file_key(struct ts_loader *loader, const struct key_info *info,
                    const char *value, const char *label, char **field) {
  char why[WHY_LEN];
  char *path = ts_path_resolve(loader->dir, value, why, sizeof(why));
  if (path == NULL) {
    return ts_loader_fail(loader, loader->line, "cannot use %s '%s' in %s: %s",
                          info->name, value, label, why);
  }
  *field = path;  // owned by the rule from here on, even on failure
  if (!ts_path_check_readable(path, why, sizeof(why))) {
    return ts_loader_fail(loader, loader->line, "cannot read %s %s in %s: %s",
                          info->name, path, label, why);
  }
  unsigned mode;
  if (info->key == TS_KEY_KEY && !ts_path_is_private(path, &mode)) {
    return ts_loader_fail(loader, loader->line,
                          "key file %s in %s is accessible by others (mode "
                          "%04o); run chmod 600 on it",
                          path, label, mode);
  }
  return 1;
}

static size_t count_list_entries(const char *text) {
  size_t count = 1;
  for (const char *p = strchr(text, ','); p != NULL; p = strchr(p + 1, ',')) {
    count++;
  }
  return count;
}

static int listed_before(const struct ts_rule *rule, const char *item) {
  for (size_t i = 0; i < rule->num_allow_names; i++) {
    if (strcmp(rule->allow_names[i], item) == 0) {
      return 1;
    }
  }
  return 0;
}

static int add_allow_name(struct ts_loader *loader, struct ts_rule *rule,
                          const char *item, const char *label) {
  if (item[0] == '\0') {
    return ts_loader_fail(loader, loader->line,
                          "allow_names has an empty entry in %s", label);
  }
  if (!ts_is_peer_identity(item)) {
    return ts_loader_fail(loader, loader->line,
                          "allow_names entry '%s' in %s is not a DNS name, a "
                          "*.wildcard name, an IP address or a URI "
                          "(scheme://...)",
                          item, label);
  }
  if (listed_before(rule, item)) {
    return ts_loader_fail(loader, loader->line,
                          "allow_names lists '%s' twice in %s", item, label);
  }
  char *copy = strdup(item);
  if (copy == NULL) {
    return ts_loader_fail(loader, loader->line, "out of memory");
  }
  rule->allow_names[rule->num_allow_names++] = copy;
  return 1;
}

static int allow_names_key(struct ts_loader *loader, struct ts_rule *rule,
                           const char *value, const char *label) {
  rule->allow_names = calloc(count_list_entries(value), sizeof(char *));
  if (rule->allow_names == NULL) {
    return ts_loader_fail(loader, loader->line, "out of memory");
  }
  char item[TS_MAX_LIST_ITEM];
  const char *cursor = value;
  int got;
  while ((got = ts_list_next(&cursor, item, sizeof(item))) != 0) {
    if (got < 0) {
      return ts_loader_fail(loader, loader->line,
                            "allow_names has an entry that is too long in %s",
                            label);
    }
    if (!add_allow_name(loader, rule, item, label)) {
      return 0;
    }
  }
  return 1;
}

// parsed reports the outcome of a value parser that explains itself in
// |why|.
static int parsed(struct ts_loader *loader, int ok, const char *why,
                  const char *label) {
  if (!ok) {
    return ts_loader_fail(loader, loader->line, "%s in %s", why, label);
  }
  return 1;
}

static int apply_rule_key(struct ts_loader *loader, const struct key_info *info,
                          const char *value, const char *label) {
  struct ts_rule *rule = open_rule(loader);
  char why[WHY_LEN];
  switch (info->key) {
    case TS_KEY_PORT:
      return parsed(loader,
                    ts_parse_ports(value, rule->ports, &rule->num_ports, why,
                                   sizeof(why)),
                    why, label);
    case TS_KEY_HOST:
      return parsed(loader, ts_parse_host(value, &rule->host, why, sizeof(why)),
                    why, label);
    case TS_KEY_SERVER_NAME:
      rule->server_name = ts_parse_server_name(value, why, sizeof(why));
      return parsed(loader, rule->server_name != NULL, why, label);
    case TS_KEY_MIN_VERSION:
      return parsed(
          loader,
          ts_parse_tls_version(value, &rule->min_version, why, sizeof(why)),
          why, label);
    case TS_KEY_RESUMPTION:
      return parsed(loader,
                    ts_parse_yes_no(info->name, value, &rule->resumption, why,
                                    sizeof(why)),
                    why, label);
    case TS_KEY_CA_FILE:
      return file_key(loader, info, value, label, &rule->ca_file);
    case TS_KEY_CERT:
      return file_key(loader, info, value, label, &rule->cert);
    case TS_KEY_KEY:
      return file_key(loader, info, value, label, &rule->key);
    case TS_KEY_CLIENT_CA:
      return file_key(loader, info, value, label, &rule->client_ca);
    case TS_KEY_ALLOW_NAMES:
      return allow_names_key(loader, rule, value, label);
    default:
      return ts_loader_fail(loader, loader->line,
                            "internal error: key '%s' in %s", info->name,
                            label);
  }
}

static int set_once_in_rule(struct ts_loader *loader,
                            const struct key_info *info, const char *label) {
  unsigned *line = &loader->lines[loader->rule].line[info->key];
  if (*line != 0) {
    return ts_loader_fail(loader, loader->line,
                          "key '%s' is set twice in %s (first at line %u)",
                          info->name, label, *line);
  }
  *line = loader->line;
  return 1;
}

static int log_file_key(struct ts_loader *loader, const char *value) {
  char why[WHY_LEN];
  char *path = ts_path_resolve(loader->dir, value, why, sizeof(why));
  if (path == NULL) {
    return ts_loader_fail(loader, loader->line,
                          "cannot use log_file '%s' in [global]: %s", value,
                          why);
  }
  loader->config->log_file = path;
  if (!ts_path_check_log_file(path, why, sizeof(why))) {
    return ts_loader_fail(loader, loader->line,
                          "cannot write log_file %s in [global]: %s", path,
                          why);
  }
  return 1;
}

static int apply_global_key(struct ts_loader *loader,
                            const struct key_info *info, const char *value) {
  char why[WHY_LEN];
  struct ts_place *set = info->key == TS_KEY_LOG_LEVEL ? &loader->log_level_set
                                                       : &loader->log_file_set;
  if (set->line != 0) {
    return ts_loader_fail(loader, loader->line,
                          "key '%s' in [global] is already set at %s:%u",
                          info->name, set->file, set->line);
  }
  snprintf(set->file, sizeof(set->file), "%s", loader->file);
  set->line = loader->line;
  if (info->key == TS_KEY_LOG_FILE) {
    return log_file_key(loader, value);
  }
  return parsed(
      loader,
      ts_parse_log_level(value, &loader->config->log_level, why, sizeof(why)),
      why, "[global]");
}

int ts_loader_apply_key(void *user, const char *section, const char *name,
                        const char *value) {
  struct ts_loader *loader = user;
  char label[LABEL_LEN];
  (void)section;  // lines.c tracks sections itself, with their line numbers
  if (loader->failed) {
    return 0;
  }
  if (name[0] == '\0') {
    return ts_loader_fail(loader, loader->line, "no key name before '='");
  }
  if (loader->section == TS_SECTION_NONE) {
    return ts_loader_fail(loader, loader->line,
                          "key '%s' is outside any section (put it under "
                          "[global], [client:NAME] or [server:NAME])",
                          name);
  }
  ts_loader_section_label(loader, label, sizeof(label));
  const struct key_info *info = find_key(name);
  if (info == NULL) {
    return ts_loader_fail(loader, loader->line,
                          "unknown key '%s' in section %s", name, label);
  }
  if ((info->sections & open_section_bit(loader)) == 0) {
    return refuse_misplaced(loader, info, label);
  }
  if (value[0] == '\0') {
    return ts_loader_fail(loader, loader->line, "key '%s' has no value in %s",
                          name, label);
  }
  if (loader->section == TS_SECTION_GLOBAL) {
    return apply_global_key(loader, info, value);
  }
  return set_once_in_rule(loader, info, label) &&
         apply_rule_key(loader, info, value, label);
}
