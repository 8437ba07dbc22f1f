// match.c — which rule covers a connection. These run on every connect() and
// accept() of the program, so they allocate nothing, take no lock (the
// config is immutable) and scan the few rules a configuration has.
#include <arpa/inet.h>
#include <string.h>

#include "config.h"
#include "values.h"

// Scores for the specificity of a client rule's match; a CIDR scores
// SCORE_CIDR_BASE plus its prefix length (0..128), so a longer prefix wins and
// any CIDR beats no host, and every name beats every CIDR.
#define SCORE_NONE -1
#define SCORE_ANY 0
#define SCORE_CIDR_BASE 1
#define SCORE_NAME 1000

static const uint8_t ipv4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                               0, 0, 0, 0, 0xff, 0xff};

static int rule_has_port(const struct ts_rule *rule, uint16_t port) {
  for (size_t i = 0; i < rule->num_ports; i++) {
    if (rule->ports[i] == port) {
      return 1;
    }
  }
  return 0;
}

// prefix_matches compares the first |prefix_len| bits of two addresses.
static int prefix_matches(const uint8_t *a, const uint8_t *b,
                          unsigned prefix_len) {
  unsigned whole = prefix_len / 8;
  unsigned rest = prefix_len % 8;
  if (memcmp(a, b, whole) != 0) {
    return 0;
  }
  if (rest == 0) {
    return 1;
  }
  uint8_t mask = (uint8_t)(0xffu << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// name_matches compares the program's name for the destination with a rule's
// lower-cased name; "DB.internal." names the same host as "db.internal".
static int name_matches(const char *name, const char *rule_name) {
  if (name == NULL) {
    return 0;
  }
  size_t len = strlen(name);
  if (len > 0 && name[len - 1] == '.') {
    len--;
  }
  return len > 0 && ts_ascii_iequal(name, len, rule_name);
}

static int match_score(const struct ts_host_match *host, int family,
                       const uint8_t *addr, const char *name) {
  switch (host->kind) {
    case TS_HOST_ANY:
      return SCORE_ANY;
    case TS_HOST_NAME:
      return name_matches(name, host->name) ? SCORE_NAME : SCORE_NONE;
    case TS_HOST_CIDR:
      if (addr == NULL || family != host->family ||
          !prefix_matches(addr, host->addr, host->prefix_len)) {
        return SCORE_NONE;
      }
      return SCORE_CIDR_BASE + (int)host->prefix_len;
    default:
      return SCORE_NONE;
  }
}

const struct ts_rule *ts_config_find_client_rule(const struct ts_config *config,
                                                 int family,
                                                 const uint8_t *addr,
                                                 uint16_t port,
                                                 const char *name) {
  if (config == NULL) {
    return NULL;
  }
  if (family == AF_INET6 && addr != NULL &&
      memcmp(addr, ipv4_mapped_prefix, sizeof(ipv4_mapped_prefix)) == 0) {
    family = AF_INET;
    addr += sizeof(ipv4_mapped_prefix);
  }
  if (family != AF_INET && family != AF_INET6) {
    addr = NULL;  // only rules without an address can match
  }
  const struct ts_rule *best = NULL;
  int best_score = SCORE_NONE;
  for (size_t i = 0; i < config->num_rules; i++) {
    const struct ts_rule *rule = &config->rules[i];
    if (rule->role != TS_ROLE_CLIENT || !rule_has_port(rule, port)) {
      continue;
    }
    int score = match_score(&rule->host, family, addr, name);
    if (score > best_score) {
      best = rule;
      best_score = score;
    }
  }
  return best;
}

const struct ts_rule *ts_config_find_server_rule(const struct ts_config *config,
                                                 uint16_t port) {
  if (config == NULL) {
    return NULL;
  }
  for (size_t i = 0; i < config->num_rules; i++) {
    const struct ts_rule *rule = &config->rules[i];
    if (rule->role == TS_ROLE_SERVER && rule_has_port(rule, port)) {
      return rule;
    }
  }
  return NULL;
}

int ts_config_covers_port(const struct ts_config *config, uint16_t port) {
  if (config == NULL) {
    return 0;
  }
  for (size_t i = 0; i < config->num_rules; i++) {
    if (rule_has_port(&config->rules[i], port)) {
      return 1;
    }
  }
  return 0;
}
