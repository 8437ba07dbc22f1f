// rules.c — checks that need a whole rule, or every rule: required keys,
// keys that go together, defaults, and rules that would fight over a
// connection.
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "paths.h"
#include "values.h"

#define LABEL_LEN 80
#define WHY_LEN 512

static void rule_label(const struct ts_rule *rule, char *out, size_t out_len) {
  snprintf(out, out_len, "[%s:%s]", ts_role_name(rule->role), rule->name);
}

static int require(struct ts_loader *loader, const struct ts_rule *rule,
                   enum ts_key key, const char *key_name) {
  char label[LABEL_LEN];
  if (loader->lines[rule->index].line[key] != 0) {
    return 1;
  }
  rule_label(rule, label, sizeof(label));
  return ts_loader_fail_at(loader, rule->source_file, rule->source_line,
                           "missing required key '%s' in %s", key_name, label);
}

// require_pair refuses a client certificate without its key, or the
// reverse, at the line of the key that is present.
static int require_pair(struct ts_loader *loader, const struct ts_rule *rule) {
  const unsigned *line = loader->lines[rule->index].line;
  char label[LABEL_LEN];
  if ((line[TS_KEY_CERT] != 0) == (line[TS_KEY_KEY] != 0)) {
    return 1;
  }
  rule_label(rule, label, sizeof(label));
  int has_cert = line[TS_KEY_CERT] != 0;
  return ts_loader_fail_at(
      loader, rule->source_file,
      has_cert ? line[TS_KEY_CERT] : line[TS_KEY_KEY],
      "key '%s' is set without '%s' in %s (set both or neither)",
      has_cert ? "cert" : "key", has_cert ? "key" : "cert", label);
}

// default_trust_store gives a client rule without ca_file the system's
// trust store, which must be readable like a named one.
static int default_trust_store(struct ts_loader *loader, struct ts_rule *rule) {
  char why[WHY_LEN];
  char label[LABEL_LEN];
  if (rule->ca_file != NULL) {
    return 1;
  }
  rule_label(rule, label, sizeof(label));
  if (!ts_path_check_readable(TS_DEFAULT_CA_FILE, why, sizeof(why))) {
    return ts_loader_fail_at(loader, rule->source_file, rule->source_line,
                             "cannot read the default ca_file %s for %s: %s "
                             "(install ca-certificates or set ca_file)",
                             TS_DEFAULT_CA_FILE, label, why);
  }
  rule->ca_file = strdup(TS_DEFAULT_CA_FILE);
  if (rule->ca_file == NULL) {
    return ts_loader_fail(loader, rule->source_line, "out of memory");
  }
  return 1;
}

// allow_names_need_client_ca: without client certificates there is no peer
// name to compare with the list, so the list would silently allow everyone.
static int allow_names_need_client_ca(struct ts_loader *loader,
                                      const struct ts_rule *rule) {
  const unsigned *line = loader->lines[rule->index].line;
  char label[LABEL_LEN];
  if (line[TS_KEY_ALLOW_NAMES] == 0 || line[TS_KEY_CLIENT_CA] != 0) {
    return 1;
  }
  rule_label(rule, label, sizeof(label));
  return ts_loader_fail_at(loader, rule->source_file, line[TS_KEY_ALLOW_NAMES],
                           "key 'allow_names' needs 'client_ca' in %s (client "
                           "certificates carry the names it allows)",
                           label);
}

int ts_loader_finish_rule(struct ts_loader *loader, size_t index) {
  struct ts_rule *rule = &loader->config->rules[index];
  if (loader->failed || !require(loader, rule, TS_KEY_PORT, "port")) {
    return 0;
  }
  if (rule->role == TS_ROLE_SERVER) {
    return require(loader, rule, TS_KEY_CERT, "cert") &&
           require(loader, rule, TS_KEY_KEY, "key") &&
           allow_names_need_client_ca(loader, rule);
  }
  return require_pair(loader, rule) && default_trust_store(loader, rule);
}

// shared_port returns a port both rules name, or 0.
static uint16_t shared_port(const struct ts_rule *a, const struct ts_rule *b) {
  for (size_t i = 0; i < a->num_ports; i++) {
    for (size_t j = 0; j < b->num_ports; j++) {
      if (a->ports[i] == b->ports[j]) {
        return a->ports[i];
      }
    }
  }
  return 0;
}

// same_destinations returns 1 when two client rules' `host` keys are equally
// specific and match the same destinations, so neither could win.
static int same_destinations(const struct ts_host_match *a,
                             const struct ts_host_match *b) {
  if (a->kind != b->kind) {
    return 0;
  }
  switch (a->kind) {
    case TS_HOST_ANY:
      return 1;
    case TS_HOST_NAME:
      return strcmp(a->name, b->name) == 0;
    case TS_HOST_CIDR:
      return a->family == b->family && a->prefix_len == b->prefix_len &&
             memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
    default:
      return 0;
  }
}

static void host_text(const struct ts_host_match *host, char *out,
                      size_t out_len) {
  char addr[INET6_ADDRSTRLEN];
  switch (host->kind) {
    case TS_HOST_NAME:
      snprintf(out, out_len, "host %s", host->name);
      break;
    case TS_HOST_CIDR:
      if (inet_ntop(host->family, host->addr, addr, sizeof(addr)) == NULL) {
        snprintf(addr, sizeof(addr), "?");
      }
      snprintf(out, out_len, "host %s/%u", addr, host->prefix_len);
      break;
    case TS_HOST_ANY:
    default:
      snprintf(out, out_len, "any host");
      break;
  }
}

static int check_pair(struct ts_loader *loader, const struct ts_rule *first,
                      const struct ts_rule *later) {
  uint16_t port = shared_port(first, later);
  char label[LABEL_LEN];
  char first_label[LABEL_LEN];
  char host[300];
  if (port == 0 || first->role != later->role) {
    return 1;
  }
  rule_label(later, label, sizeof(label));
  rule_label(first, first_label, sizeof(first_label));
  if (later->role == TS_ROLE_SERVER) {
    return ts_loader_fail_at(loader, later->source_file, later->source_line,
                             "port %u of %s is already served by %s at %s:%u",
                             (unsigned)port, label, first_label,
                             first->source_file, first->source_line);
  }
  if (!same_destinations(&first->host, &later->host)) {
    return 1;  // different specificity: the more specific rule wins
  }
  host_text(&later->host, host, sizeof(host));
  return ts_loader_fail_at(loader, later->source_file, later->source_line,
                           "port %u of %s overlaps %s at %s:%u: both match %s "
                           "(give one a different port or host)",
                           (unsigned)port, label, first_label,
                           first->source_file, first->source_line, host);
}

int ts_loader_check_overlaps(struct ts_loader *loader) {
  const struct ts_config *config = loader->config;
  for (size_t later = 1; later < config->num_rules; later++) {
    for (size_t first = 0; first < later; first++) {
      if (!check_pair(loader, &config->rules[first], &config->rules[later])) {
        return 0;
      }
    }
  }
  return 1;
}
